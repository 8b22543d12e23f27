"""`causal-stack eval`: the fast subset meets its targets, and a pipeline that answers wrong makes it exit non-zero."""

from __future__ import annotations

import pytest

from causal_common.models.tools import CausalResult
from causal_stack.cli import main
from causal_tasks import causal
from causal_tasks.evaluation import cases

pytestmark = pytest.mark.slow


def test_fast_subset_meets_every_target(capsys):
    code = main(["eval", "--fast", "--ihdp", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all targets met" in out
    for name in cases.FAST_CASES:
        assert name in out
    assert "IHDP replication 2" in out and "Lalonde NSW vs CPS" in out and "method spread:" in out
    assert "naive difference" in out and "plain linear regression" in out
    assert "real data:" in out and "0 unexplained miss(es)" in out


def test_a_pipeline_that_returns_the_naive_difference_fails_the_eval(monkeypatch, capsys):
    real = causal.run_causal_analysis

    def naive_only(frame, args, progress=None, **kwargs) -> CausalResult:
        result = real(frame, args, progress, **kwargs)
        half = (result.ci[1] - result.ci[0]) / 2 if result.ci else 1.0
        naive = result.naive_estimate
        return result.model_copy(update={"estimate": naive, "ci": (naive - half, naive + half)})

    monkeypatch.setattr(causal, "run_causal_analysis", naive_only)
    code = main(["eval", "--fast", "--ihdp", "0", "--no-lalonde", "--no-real"])
    out = capsys.readouterr().out
    assert code == 1
    assert "TARGETS MISSED" in out and "synthetic coverage" in out
