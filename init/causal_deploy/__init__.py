"""causal_deploy."""
