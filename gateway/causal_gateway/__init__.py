"""causal_gateway."""
