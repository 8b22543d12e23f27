"""Accuracy of the causal pipeline against known truth (the same run as `causal-stack eval`).

    .venv/bin/python bench/accuracy_bench.py [--fast] [--ihdp N] [--no-lalonde] [--no-real | --real-only]

Per case: estimate, 95% interval, truth, error, whether the interval covers the
truth, the design chosen; then coverage and mean relative error for the
pipeline, the naive difference and plain linear regression measured in the same
run (the baselines). Exits non-zero when a target is missed.
"""

from __future__ import annotations

import sys

from causal_tasks.evaluation.run import main

if __name__ == "__main__":
    sys.exit(main())
