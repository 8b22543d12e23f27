"""Difference in differences with staggered adoption: the robust estimate leads, two-way fixed effects beside it,
and the event study's pre-period effects test parallel trends. Panels are simulated here with a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_agent.answer import causal_lines
from causal_common.models.tools import CausalAnalysisArgs, CausalSummary
from causal_tasks import staggered
from causal_tasks.causal import run_causal_analysis

ROBUST, TWO_WAY = "did.callaway_sant_anna", "did.two_way_fixed_effects"


def simulated_panel(
    seed: int,
    cohorts: tuple[int, ...] = (4, 6, 8),
    never_share: float = 0.25,
    units: int = 300,
    periods: int = 10,
    growth: float = 0.5,
    pre_trend: float = 0.0,
) -> pd.DataFrame:
    """Units first treated in one of ``cohorts`` (or never); the effect is 1 at adoption and grows by ``growth``
    each period after it. ``pre_trend``: how much faster the eventually treated units' outcome rises every period,
    before and after adoption (a violation of parallel trends)."""
    rng = np.random.default_rng(seed)
    first = np.where(rng.uniform(size=units) < never_share, 0, rng.choice(cohorts, size=units))
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(1, periods + 1), units)
    start = first[unit]
    treated = ((start > 0) & (period >= start)).astype(int)
    effect = treated * (1.0 + growth * (period - start))
    level = rng.normal(size=units)[unit] + 0.5 * (start > 0)  # adopters start higher
    shock = rng.normal(size=periods)[period - 1]
    trend = pre_trend * (start > 0) * period
    y = level + shock + trend + effect + rng.normal(size=len(unit))
    return pd.DataFrame({"store": unit, "year": period + 2010, "adopted": treated, "sales": y, "effect": effect})


def true_att(frame: pd.DataFrame) -> float:
    """Cohort-size weights over treated periods give each treated unit-period the same weight."""
    return float(frame.loc[frame["adopted"] == 1, "effect"].mean())


def analyse(frame: pd.DataFrame, **arguments):
    args = CausalAnalysisArgs(treatment="adopted", outcome="sales", refutation_simulations=1, **arguments)
    return run_causal_analysis(frame.drop(columns="effect"), args)


def covers(ci: tuple[float, float] | None, truth: float) -> bool:
    return ci is not None and ci[0] <= truth <= ci[1]


def test_staggered_adoption_with_growing_effects_leads_with_the_robust_estimate_that_covers_the_truth():
    frame = simulated_panel(1)
    truth = true_att(frame)
    result = analyse(frame)
    assert result.design == "did" and result.target == "att" and result.method == ROBUST
    assert covers(result.ci, truth), (result.estimate, result.ci, truth)
    two_way = next(m for m in result.methods if m.method == TWO_WAY)
    # Already-treated units serve as its controls: the growing effect drags it down, far outside its interval.
    assert two_way.estimate < truth and not covers(two_way.ci, truth)
    assert any("two-way fixed effects gives" in w and "not the headline" in w for w in result.warnings)
    assert any(TWO_WAY in note for note in result.disagreement)
    assert result.diagnostics["staggered"] == 1.0


def test_the_robust_estimate_covers_the_truth_across_replications_and_two_way_fixed_effects_does_not():
    robust_hits = two_way_hits = 0
    for seed in range(20, 30):
        frame = simulated_panel(seed, units=200)
        truth = true_att(frame)
        result = analyse(frame)
        robust_hits += covers(result.ci, truth)
        two_way_hits += covers(next(m for m in result.methods if m.method == TWO_WAY).ci, truth)
    assert robust_hits >= 8 and two_way_hits <= 2


def test_influence_function_standard_errors_match_the_spread_of_estimates():
    estimates, errors = [], []
    for seed in range(200):
        frame = simulated_panel(seed, units=120, periods=6, cohorts=(3, 5))
        outcome = frame.pivot(index="store", columns="year", values="sales").to_numpy()
        treated = frame.pivot(index="store", columns="year", values="adopted").to_numpy()
        overall = staggered.group_time_effects(outcome, treated).overall()
        estimates.append(overall.estimate)
        errors.append(overall.standard_error)
    ratio = float(np.mean(errors) / np.std(estimates))
    assert 0.85 < ratio < 1.15, ratio


def test_the_pre_trend_test_rarely_cries_wolf_with_many_leads_and_few_units():
    """Parallel trends hold; 60 units, 23 leads. A χ² test of all leads rejects most of these panels."""
    rejected = 0
    for seed in range(100):
        frame = simulated_panel(seed, units=60, periods=30, cohorts=(12, 18, 24))
        outcome = frame.pivot(index="store", columns="year", values="sales").to_numpy()
        treated = frame.pivot(index="store", columns="year", values="adopted").to_numpy()
        estimates = staggered.group_time_effects(outcome, treated)
        test = staggered.lead_test(estimates, estimates.event_study())
        assert test is not None and test.leads == staggered.LEADS_TESTED
        rejected += test.p_value < 0.05
    assert rejected <= 10


def test_without_never_treated_units_later_adopters_are_the_controls():
    frame = simulated_panel(2, never_share=0.0, cohorts=(3, 5, 7, 9))
    result = analyse(frame)
    assert result.method == ROBUST
    outcome = frame.pivot(index="store", columns="year", values="sales").to_numpy()
    treated = frame.pivot(index="store", columns="year", values="adopted").to_numpy()
    estimates = staggered.group_time_effects(outcome, treated)
    assert estimates.control == "not yet treated"
    # The last cohort has no one left to compare with; the truth is over the cells that can be estimated.
    cells = [(e.cohort, e.period) for e in estimates.effects if e.period >= e.cohort]
    assert cells and all(period < 8 for _, period in cells)  # period index 8 = the last cohort's start
    effect = frame.pivot(index="store", columns="year", values="effect").to_numpy()
    cohorts = staggered.cohorts_of(treated)
    weights = np.array([np.sum(cohorts == cohort) for cohort, _ in cells], dtype=float)
    truth = float(np.average([effect[cohorts == c, p].mean() for c, p in cells], weights=weights))
    assert covers(result.ci, truth), (result.ci, truth)


def test_a_single_adoption_date_keeps_two_way_fixed_effects_which_agrees_with_the_cohort_comparison():
    frame = simulated_panel(3, cohorts=(6,), growth=0.0)
    result = analyse(frame)
    assert result.method == TWO_WAY and result.diagnostics["staggered"] == 0.0
    assert [m.method for m in result.methods] == [TWO_WAY, "difference of group means (2×2)"]
    assert covers(result.ci, 1.0)
    outcome = frame.pivot(index="store", columns="year", values="sales").to_numpy()
    treated = frame.pivot(index="store", columns="year", values="adopted").to_numpy()
    cohort_comparison = staggered.group_time_effects(outcome, treated).overall()
    assert abs(cohort_comparison.estimate - result.estimate) < 2 * cohort_comparison.standard_error
    assert not any("two-way fixed effects gives" in w for w in result.warnings)


def test_the_event_study_has_leads_near_zero_and_lags_that_follow_the_dynamic_effect():
    for frame in (simulated_panel(4), simulated_panel(5, cohorts=(6,))):
        result = analyse(frame)
        points = {point.relative_period: point for point in result.event_study}
        assert points[-1].estimate == 0.0 and points[-1].ci is None  # the base
        assert min(points) < -2 and max(points) >= 2
        for relative in (0, 1, 2):
            point, truth = points[relative], 1.0 + 0.5 * relative
            assert point.ci is not None and abs(point.estimate - truth) < 0.75 * (point.ci[1] - point.ci[0])
        check = next(r for r in result.refutations if r.name == "parallel pre-trends")
        assert check.passed and check.p_value is not None and check.p_value >= 0.05
        assert result.diagnostics["pre_trend_p_value"] == check.p_value
        assert not any("parallel trends look violated" in w for w in result.warnings)
        assert "violated" not in result.assumptions[0]


def test_a_pre_trend_is_caught_warned_about_and_named_in_the_assumptions():
    for frame in (simulated_panel(6, pre_trend=0.3), simulated_panel(7, cohorts=(6,), pre_trend=0.3)):
        result = analyse(frame)
        check = next(r for r in result.refutations if r.name == "parallel pre-trends")
        assert not check.passed and check.p_value is not None and check.p_value < 0.01
        assert any("parallel trends look violated" in w for w in result.warnings)
        assert result.assumptions[0].startswith("parallel trends, which look violated here")
        leads = [p for p in result.event_study if p.relative_period <= -2]
        assert leads[0].estimate < -0.3  # the treated were lower, relative to the base, the earlier one looks


def test_covariate_specific_trends_are_removed_by_outcome_regression():
    frame = simulated_panel(8)
    rng = np.random.default_rng(8)
    size = rng.normal(size=frame["store"].nunique())
    frame["size"] = size[frame["store"]]
    adopters = frame.groupby("store")["adopted"].transform("max")
    frame["size"] += 0.8 * adopters  # larger stores adopt more often ...
    frame["sales"] += 0.4 * frame["size"] * (frame["year"] - 2010)  # ... and grow faster
    truth = true_att(frame)
    adjusted = analyse(frame, common_causes=["size"])
    unadjusted = analyse(frame.drop(columns="size"))
    assert covers(adjusted.ci, truth) and not covers(unadjusted.ci, truth)


def test_units_missing_some_periods_still_count_where_they_are_observed():
    frame = simulated_panel(9)
    rng = np.random.default_rng(9)
    frame = frame.drop(frame.index[rng.uniform(size=len(frame)) < 0.03])  # ~26% of units miss a period
    result = analyse(frame)
    assert result.method == ROBUST and covers(result.ci, true_att(frame))
    assert any("units are not observed in every period" in w for w in result.warnings)
    # Nothing looks like switching off or being treated from the start because of a gap.
    assert not any("switches off" in w or "treated from their first" in w for w in result.warnings)
    complete = simulated_panel(9)
    assert abs(result.estimate - analyse(complete).estimate) < 0.1


def test_a_named_group_without_units_gets_an_event_study_from_cell_means():
    rng = np.random.default_rng(10)
    rows = 4000
    region = rng.choice(["north", "south", "east"], size=rows)
    month = rng.integers(1, 9, size=rows)
    treated = (region == "north") & (month >= 5)
    sales = 2.0 * (region == "north") + 0.3 * month + 1.5 * treated + rng.normal(size=rows)
    frame = pd.DataFrame({"region": region, "month": month, "sales": sales, "effect": 0.0})
    result = analyse(frame, group_column="region", treated_groups=["north"], treatment_start=5.0, time="month")
    assert result.design == "did" and result.method == TWO_WAY and covers(result.ci, 1.5)
    points = {point.relative_period: point for point in result.event_study}
    assert set(points) == set(range(-4, 4)) and covers(points[0].ci, 1.5) and covers(points[3].ci, 1.5)
    assert next(r for r in result.refutations if r.name == "parallel pre-trends").passed


def test_the_answer_states_the_event_study_in_one_line():
    result = analyse(simulated_panel(11))
    summary = CausalSummary.model_validate(result.model_dump(mode="json"))
    lines = causal_lines(summary)
    line = next(text for text in lines if text.startswith("Event study"))
    assert "before adoption -4:" in line and "-2:" in line and "after +0:" in line and "+4:" in line
    assert "-5:" not in line and "+5:" not in line
    assert "more periods in the event-study plot" in line
    assert sum(text.startswith("Event study") for text in causal_lines(CausalSummary())) == 0


def test_the_event_study_is_drawn_as_a_plot():
    from causal_tasks import plots

    image = plots.event_study(analyse(simulated_panel(12)))
    assert image.startswith(b"\x89PNG") and len(image) > 5000
