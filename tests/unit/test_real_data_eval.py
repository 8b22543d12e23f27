"""The real-data section of `causal-stack eval`: loaders, the judge, the table, the exit code, the real run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_common.models.tools import CausalAnalysisArgs, CausalResult
from causal_stack.cli import main
from causal_tasks import causal
from causal_tasks.evaluation import real_data, real_loaders
from causal_tasks.evaluation import run as evaluation_run
from causal_tasks.evaluation.cases import Case
from causal_tasks.evaluation.real_data import Published, RealCase, judge


@pytest.mark.parametrize(
    ("loader", "shape"),
    [
        (lambda: real_loaders.nhefs(complete=True), (1566, 67)),
        (lambda: real_loaders.nhefs(complete=False), (1629, 67)),
        (real_loaders.nsw_experimental, (445, 10)),
        (real_loaders.nsw_cps, (16177, 10)),
        (real_loaders.close_college, (3010, 8)),
        (real_loaders.card, (3010, 34)),
        (real_loaders.jobtraining, (471, 30)),
        (real_loaders.close_elections, (13588, 9)),
        (real_loaders.senate, (1390, 18)),
    ],
)
def test_each_loader_returns_the_published_sample_without_narrow_numbers(loader, shape):
    frame = loader()
    assert frame.shape == shape
    narrow = [
        name
        for name in frame.columns
        if frame[name].dtype == np.float32
        or (pd.api.types.is_integer_dtype(frame[name]) and frame[name].dtype.itemsize < 8)
    ]
    assert narrow == []


def test_loaders_keep_the_samples_the_books_analyse():
    nhefs = real_loaders.nhefs(complete=False)
    assert int(nhefs["wt82_71"].isna().sum()) == 63
    assert set(nhefs["sex"].unique()) == {0.0, 1.0}
    assert sorted(nhefs["education"].unique()) == ["1", "2", "3", "4", "5"]  # categories, as C(education)
    assert real_loaders.nsw_experimental()["treat"].sum() == 185
    cps = real_loaders.nsw_cps()
    assert cps["treat"].sum() == 185 and (cps["treat"] == 0).sum() == 15992
    # The squares the int8 columns used to overflow in.
    assert cps["age"].pow(3).max() > 127**2
    assert real_loaders.jobtraining()["lscrap"].notna().sum() == 162
    senate = real_loaders.senate()
    assert (senate["democrat_won"] == (senate["margin"] >= 0)).all()


def _real_case(differs: str | None = None, expected_design: str = "backdoor") -> RealCase:
    frame = pd.DataFrame({"t": [0, 1] * 10, "y": np.arange(20.0)})
    case = Case(
        "fabricated",
        "test",
        frame,
        CausalAnalysisArgs(treatment="t", outcome="y"),
        2.0,
        expected_design=expected_design,
        source="real",
    )
    return RealCase(case, "made here", "t on y", Published.from_standard_error(2.0, 0.5, "nowhere"), differs)


def test_published_interval_from_a_standard_error():
    assert Published.from_standard_error(1794.34, 632.85, "x").interval == pytest.approx((553.95, 3034.73), abs=0.01)


def test_judge_passes_an_estimate_inside_the_published_interval():
    assert judge(_real_case(), 2.9, "backdoor") == "PASS"
    assert judge(_real_case(), 1.02, "backdoor") == "PASS"


def test_judge_misses_an_estimate_outside_the_interval_unless_the_case_explains_it():
    verdict = judge(_real_case(), 3.1, "backdoor")
    assert verdict.startswith("MISS") and "outside the published interval" in verdict
    assert real_data.is_unexplained_miss(verdict)
    explained = judge(_real_case(differs="a wider bandwidth"), 3.1, "backdoor")
    assert explained == "differs: a wider bandwidth"
    assert not real_data.is_unexplained_miss(explained)


def test_judge_misses_a_wrong_design_a_crash_and_a_missing_number_even_with_an_explanation():
    for case in (_real_case(), _real_case(differs="a wider bandwidth")):
        design_case = RealCase(
            Case(case.name, "", case.case.frame, case.case.args, 2.0, expected_design="iv"),
            "",
            "",
            case.published,
            case.differs,
        )
        assert judge(design_case, 2.0, "backdoor") == "MISS: design backdoor, expected iv"
        assert judge(case, float("nan"), "backdoor") == "MISS: no estimate"
        assert judge(case, float("nan"), "error", "ValueError: boom") == "MISS: error"


def _fabricated_outcome(case: Case, estimate: float) -> evaluation_run.Outcome:
    return evaluation_run.Outcome(
        case, estimate, (estimate - 1, estimate + 1), case.expected_design, 0.5, 0.0, 0.0, [], {}
    )


@pytest.mark.parametrize(("estimate", "differs", "code"), [(2.1, None, 0), (9.0, "a reason", 0), (9.0, None, 1)])
def test_eval_real_only_prints_the_table_and_fails_on_an_unexplained_miss(monkeypatch, capsys, estimate, differs, code):
    fabricated = _real_case(differs)
    monkeypatch.setattr(real_data, "real_cases", lambda: [fabricated])
    monkeypatch.setattr(evaluation_run, "run_case", lambda case: _fabricated_outcome(case, estimate))
    assert main(["eval", "--real-only"]) == code
    out = capsys.readouterr().out
    assert "published (estimate [95% interval])" in out and "nowhere" in out
    row = next(line for line in out.splitlines() if line.startswith("fabricated"))
    assert "backdoor" in row and f"{estimate:.3f} [" in row and "2.000 [1.020, 2.980]" in row
    assert {0: "PASS" if differs is None else "differs", 1: "MISS"}[code] in row
    assert ("TARGETS MISSED" in out) == bool(code)


@pytest.mark.slow
def test_every_real_case_through_the_pipeline_lands_in_its_published_interval_or_is_explained(capsys):
    code = main(["eval", "--real-only"])
    out = capsys.readouterr().out
    assert code == 0, out
    for real in real_data.real_cases():
        assert real.name in out
    assert "0 unexplained miss(es)" in out


@pytest.mark.slow
def test_a_pipeline_that_returns_the_naive_difference_misses_the_famously_wrong_case(monkeypatch, capsys):
    real = causal.run_causal_analysis

    def naive_only(frame, args, progress=None, **kwargs) -> CausalResult:
        result = real(frame, args, progress, **kwargs)
        return result.model_copy(update={"estimate": result.naive_estimate})

    monkeypatch.setattr(causal, "run_causal_analysis", naive_only)
    monkeypatch.setattr(real_data, "real_cases", lambda: [real_data.nsw_against_cps()])
    assert main(["eval", "--real-only"]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("NSW trainees vs CPS"))
    assert "-8,498 [" in row and "MISS" in row
