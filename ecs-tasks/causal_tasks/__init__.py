"""causal_tasks."""
