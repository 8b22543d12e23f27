"""Accuracy evaluation of the causal pipeline against known truth."""

# The cases first: the situations module builds on them and cases.py appends its builders at its end.
from causal_tasks.evaluation import cases as cases  # noqa: E402,F401
