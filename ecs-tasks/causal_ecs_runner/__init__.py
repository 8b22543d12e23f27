"""causal_ecs_runner."""
