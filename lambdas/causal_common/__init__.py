"""causal_common."""
