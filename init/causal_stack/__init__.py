"""causal_stack."""
