"""Accuracy evaluation of the causal pipeline against known truth."""
