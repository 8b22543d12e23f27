"""causal_dashboard."""
