"""Ways to run a task's container: a local subprocess, or Docker."""
