"""A named instrument stays the design whatever its strength; a weak one gets an interval valid under weakness.

The data are generated here with a strong unmeasured confounder (the treatment's and the outcome's errors correlate
0.9), which is where two-stage least squares' interval misleads and the Anderson–Rubin set does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_agent.answer import answer_result, causal_lines, headline_sentence
from causal_agent.conversation import ToolExchange, compact_result
from causal_common.models.confidence import ConfidenceSet
from causal_common.models.tools import CausalAnalysisArgs, CausalResult, CausalSummary
from causal_tasks import weak_instruments
from causal_tasks.causal import run_causal_analysis
from causal_tasks.design import DatasetRoles
from causal_tasks.iv import two_stage_least_squares

TRUTH = 1.0


def instrumented(
    seed: int, strength: float, rows: int = 500, instruments: int = 1, effect: float = TRUTH
) -> pd.DataFrame:
    """Treatment ``t`` moved by ``strength`` × each instrument; a hidden confounder moves ``t`` and ``y``."""
    rng = np.random.default_rng(seed)
    covariate = rng.normal(size=rows)
    z = rng.normal(size=(rows, instruments))
    first_stage_error = rng.normal(size=rows)
    outcome_error = 0.9 * first_stage_error + np.sqrt(1 - 0.9**2) * rng.normal(size=rows)
    treatment = strength * z.sum(axis=1) + 0.5 * covariate + first_stage_error
    frame = pd.DataFrame(
        {"x": covariate, "t": treatment, "y": effect * treatment + covariate + outcome_error},
    )
    for index in range(instruments):
        frame[f"z{index}" if instruments > 1 else "z"] = z[:, index]
    return frame


def analyse(frame: pd.DataFrame, named: list[str] | None = None, roles: DatasetRoles | None = None) -> CausalResult:
    """The analysis with the instruments ``named`` in the call, or only in the dataset's ``roles``."""
    args = CausalAnalysisArgs(treatment="t", outcome="y", instruments=named, refutation_simulations=2)
    return run_causal_analysis(frame, args, lambda *_: None, roles=roles)


def summary(result: CausalResult) -> CausalSummary:
    return CausalSummary.model_validate(result.model_dump(mode="json"))


def method(result: CausalResult, name: str):
    return next(line for line in result.methods if line.method == name)


@pytest.mark.slow
def test_a_strong_instrument_keeps_two_stage_least_squares_and_anderson_rubin_agrees():
    result = analyse(instrumented(1, strength=1.0, rows=2000), ["z"])
    assert result.design == "iv" and result.method == "iv.two_stage_least_squares"
    assert result.diagnostics["first_stage_f"] > 100 and result.diagnostics["weak_instrument"] == 0.0
    assert result.ci is not None and result.ci[0] <= TRUTH <= result.ci[1]
    assert result.confidence_set is None  # the headline is an ordinary interval
    anderson_rubin = method(result, "iv.anderson_rubin")
    assert anderson_rubin.confidence_set is not None and anderson_rubin.confidence_set.shape == "interval"
    assert anderson_rubin.ci is not None and anderson_rubin.ci[0] <= TRUTH <= anderson_rubin.ci[1]
    width = result.ci[1] - result.ci[0]
    assert abs(anderson_rubin.ci[0] - result.ci[0]) < 0.25 * width
    assert abs(anderson_rubin.ci[1] - result.ci[1]) < 0.25 * width
    assert not any("weak instrument" in warning or "2SLS" in warning for warning in result.warnings)
    text = "\n".join(causal_lines(summary(result)))
    assert "strong enough for two-stage least squares" in text and "Anderson–Rubin 95% set" in text


def test_with_a_weak_instrument_the_anderson_rubin_set_covers_the_truth_across_draws():
    strengths = [two_stage_least_squares(instrumented(seed, 0.11), "t", "y", ["z"], ["x"]) for seed in range(12)]
    median_f = float(np.median([fit.first_stage_f for fit in strengths]))
    assert 3 <= median_f <= 9  # a weak instrument, in the range where the old product switched design
    sets = [
        weak_instruments.robust_anderson_rubin_set(instrumented(seed, 0.11), "t", "y", "z", ["x"])
        for seed in range(100)
    ]
    coverage = np.mean([found.contains(TRUTH) for found in sets])
    assert coverage >= 0.9
    # Weak enough that the honest set is often not one finite interval.
    assert any(found.shape != "interval" for found in sets)


def heteroskedastic(seed: int, strength: float, rows: int = 500) -> pd.DataFrame:
    """As ``instrumented``, with the outcome's errors spreading wider the further the instrument is from zero."""
    frame = instrumented(seed, strength, rows)
    rng = np.random.default_rng(seed + 10_000)
    frame["y"] += rng.normal(size=rows) * np.sqrt(0.2 + frame["z"] ** 2)
    return frame


def test_the_robust_anderson_rubin_set_holds_its_level_when_the_errors_spread_with_the_instrument():
    robust = [
        weak_instruments.robust_anderson_rubin_set(heteroskedastic(seed, 0.11), "t", "y", "z", ["x"])
        for seed in range(200)
    ]
    constant_variance = [
        weak_instruments.anderson_rubin_set(heteroskedastic(seed, 0.11), "t", "y", ["z"], ["x"]) for seed in range(200)
    ]
    assert np.mean([found.contains(TRUTH) for found in robust]) >= 0.9
    # The constant-variance form, which ivmodels offers, is what the robust one is needed for.
    assert np.mean([found.contains(TRUTH) for found in constant_variance]) < 0.88


def test_with_constant_variance_the_robust_set_matches_ivmodels():
    frame = instrumented(7, strength=0.5)
    robust = weak_instruments.robust_anderson_rubin_set(frame, "t", "y", "z", ["x"])
    reference = weak_instruments.anderson_rubin_set(frame, "t", "y", ["z"], ["x"])
    assert robust.interval is not None and reference.interval is not None
    width = reference.interval[1] - reference.interval[0]
    assert abs(robust.interval[0] - reference.interval[0]) < 0.05 * width
    assert abs(robust.interval[1] - reference.interval[1]) < 0.05 * width


@pytest.mark.slow
def test_a_weak_named_instrument_stays_the_design_with_the_robust_interval_as_headline():
    frame = instrumented(3, strength=0.11)
    result = analyse(frame, ["z"])
    assert 3 <= result.diagnostics["first_stage_f"] < 10
    assert result.design == "iv" and result.method == "iv.anderson_rubin"
    assert result.confidence_set is not None and result.confidence_set.contains(TRUTH)
    assert result.ci == result.confidence_set.interval
    two_stage = method(result, "iv.two_stage_least_squares")
    assert two_stage.ci is not None  # beside it, with its own (misleading) interval
    assert any(line.method.startswith("doubly robust") for line in result.methods)  # adjustment beside, not instead
    weak = next(warning for warning in result.warnings if warning.startswith("weak instrument"))
    assert "Anderson–Rubin" in weak and "too little" in weak
    text = "\n".join(causal_lines(summary(result)))
    assert "Two-stage least squares, for comparison only" in text and "weak." in text


@pytest.mark.slow
@pytest.mark.parametrize("named_by", ["the call", "the roles"])
def test_the_design_does_not_switch_away_from_an_instrument(named_by: str):
    frame = instrumented(4, strength=0.09)
    result = analyse(frame, ["z"]) if named_by == "the call" else analyse(frame, roles=DatasetRoles(instruments=["z"]))
    assert result.diagnostics["first_stage_f"] < 10
    assert result.design == "iv" and "instrumental variables" in result.design_reason
    assert result.method in ("iv.anderson_rubin", "iv.two_stage_least_squares")
    assert "backdoor" not in result.design_reason


@pytest.mark.slow
def test_an_irrelevant_instrument_gives_an_unbounded_set_and_the_answer_says_so():
    frame = instrumented(5, strength=0.0)
    result = analyse(frame, ["z"])
    assert result.design == "iv" and result.confidence_set is not None
    assert result.confidence_set.shape == "everything" and result.ci is None
    found = summary(result)
    sentence = headline_sentence(found)
    assert "consistent with any effect at all" in sentence and "too weak" in sentence
    # As the conversation keeps it: compacted, then read back typed.
    kept = compact_result("causal_analysis", result.model_dump(mode="json"))
    exchange = ToolExchange(call_id="1", name="causal_analysis", arguments={}, outcome={"ok": True, "result": kept})
    assert headline_sentence(exchange.causal) == sentence
    frame_result = answer_result([exchange])
    assert frame_result is not None and frame_result.ci is None
    assert frame_result.model_dump(by_alias=True)["confidenceSet"]["shape"] == "everything"


@pytest.mark.slow
def test_when_two_stage_least_squares_and_anderson_rubin_disagree_about_no_effect_the_answer_says_so():
    # No effect at all, an instrument above the rule of thumb: here 2SLS's interval wrongly excludes zero.
    result = analyse(instrumented(9, strength=0.16, effect=0.0), ["z"])
    assert result.diagnostics["first_stage_f"] > 10 and result.method == "iv.two_stage_least_squares"
    assert result.ci is not None and result.ci[0] > 0
    anderson_rubin = method(result, "iv.anderson_rubin").confidence_set
    assert anderson_rubin is not None and anderson_rubin.contains(0.0)
    assert any("depends on trusting 2SLS" in warning for warning in result.warnings)


@pytest.mark.slow
def test_several_weak_instruments_lead_with_the_conditional_likelihood_ratio_set():
    frame = instrumented(6, strength=0.08, instruments=2)
    result = analyse(frame, ["z0", "z1"])
    assert result.diagnostics["first_stage_f"] < 10
    assert result.method == "iv.conditional_likelihood_ratio"
    assert result.confidence_set is not None and result.confidence_set.contains(TRUTH)
    assert {line.method for line in result.methods} >= {"iv.anderson_rubin", "iv.two_stage_least_squares"}


@pytest.mark.parametrize(
    ("pieces", "shape", "words"),
    [
        ([(1.0, 2.0)], "interval", "any effect from 1 to 2"),
        ([(1.5, None)], "above", "any effect above 1.5"),
        ([(None, -2.0)], "below", "any effect below -2"),
        ([(3.0, None), (None, -1.0)], "two_rays", "any effect below -1 or above 3"),
        ([(None, None)], "everything", "any effect at all"),
        ([], "empty", "no effect at all"),
    ],
)
def test_a_confidence_set_names_its_shape_and_says_what_it_holds(pieces, shape, words):
    found = ConfidenceSet.of("iv.anderson_rubin", pieces)
    assert found.shape == shape and found.describe() == words
    assert found.interval == (pieces[0] if shape == "interval" else None)


def _weak_summary(pieces: list[tuple[float | None, float | None]]) -> CausalSummary:
    found = ConfidenceSet.of("iv.anderson_rubin", pieces)
    return CausalSummary(
        treatment="t",
        outcome="y",
        estimate=0.4,
        ci=found.interval,
        method="iv.anderson_rubin",
        design="iv",
        treatment_kind="continuous",
        diagnostics={"first_stage_f": 4.2},
        confidence_set=found,
    )


def test_two_rays_are_said_as_two_rays_with_what_they_rule_out():
    sentence = headline_sentence(_weak_summary([(None, -3.0), (0.5, None)]))
    assert "consistent with any effect below -3 or above 0.5" in sentence
    assert "zero is ruled out, but not its size or its sign" in sentence
    assert "first-stage F 4.2" in sentence
    above = headline_sentence(_weak_summary([(None, -3.0), (-0.5, None)]))
    assert "an effect of zero is among them" in above
    half_line = headline_sentence(_weak_summary([(0.5, None)]))
    assert "any effect above 0.5" in half_line and "not how large the effect is" in half_line


def test_a_bounded_robust_interval_is_named_in_the_headline():
    sentence = headline_sentence(_weak_summary([(0.2, 0.9)]))
    assert "95% Anderson–Rubin interval 0.2 to 0.9" in sentence
