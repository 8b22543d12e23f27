"""causal_embedded."""
