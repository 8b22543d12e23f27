"""The situation cases have the property each claims, and the benchmark bound tells hidden confounding apart."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from causal_agent.answer import headline_sentence
from causal_common.models.tools import AdjustmentVariant, CausalResult, CausalSummary, ColumnNote
from causal_tasks import sensitivity
from causal_tasks.causal import run_causal_analysis
from causal_tasks.evaluation import cases, situations
from causal_tasks.evaluation.run import flags_unsettled

SEED = 7


def _ols(frame: pd.DataFrame, outcome: str, columns: list[str]):
    design = sm.add_constant(pd.get_dummies(frame[columns], drop_first=True).astype(float))
    return sm.OLS(frame[outcome].astype(float), design).fit()


def _within_four_se(value: float, truth: float, standard_error: float) -> bool:
    return abs(value - truth) <= 4 * standard_error


def test_every_situation_is_in_the_full_eval_and_not_in_the_fast_one():
    names = {build(SEED).name for build in situations.SITUATION_BUILDERS}
    assert names <= {case.name for case in cases.synthetic_cases()}
    assert len(names) == len(situations.SITUATION_BUILDERS)
    assert not names & set(cases.FAST_CASES)


@pytest.mark.parametrize("build", situations.SITUATION_BUILDERS, ids=lambda build: build.__name__)
def test_each_case_is_seeded_and_its_oracle_finds_the_truth(build):
    case, again = build(SEED), build(SEED)
    pd.testing.assert_frame_equal(case.frame, again.frame)
    assert case.oracle is not None and case.oracle[1] > 0
    assert _within_four_se(case.oracle[0], case.truth, case.oracle[1])
    assert {case.args.treatment, case.args.outcome} <= set(case.frame.columns)


def test_the_collider_is_caused_by_both_treatment_and_outcome_and_adjusting_for_it_biases():
    case = situations.collider(SEED)
    fit = _ols(case.frame, "account_score", ["enrolled", "satisfaction", "age", "tenure_yrs"])
    assert fit.tvalues["enrolled"] > 5 and fit.tvalues["satisfaction"] > 5
    adjusted = _ols(case.frame, "satisfaction", ["enrolled", "age", "tenure_yrs", "account_score"])
    assert not _within_four_se(adjusted.params["enrolled"], case.truth, adjusted.bse["enrolled"])
    assert case.unsettled


def test_the_mediator_is_moved_by_the_treatment_and_the_total_effect_differs_from_the_direct_one():
    case = situations.mediator(SEED)
    assert _ols(case.frame, "engagement", ["weekly_hours", "region", "income_z"]).tvalues["weekly_hours"] > 10
    direct = _ols(case.frame, "score", ["weekly_hours", "region", "income_z", "engagement"])
    assert not _within_four_se(direct.params["weekly_hours"], case.truth, direct.bse["weekly_hours"])


@pytest.mark.parametrize("build", [situations.subgroup_numeric, situations.subgroup_text])
def test_the_subgroup_truth_differs_from_the_overall_effect(build):
    case = build(SEED)
    frame = case.frame
    (condition,) = case.args.subgroup
    treatment, outcome = case.args.treatment, case.args.outcome
    covariates = [name for name in frame.columns if name not in (treatment, outcome)]
    overall = _ols(frame, outcome, [treatment, *covariates])
    assert abs(overall.params[treatment] - case.truth) > 10 * overall.bse[treatment]
    if isinstance(condition.value, float):
        inside = frame[condition.column] >= condition.value
    else:
        inside = frame[condition.column].str.lower() == condition.value
    assert 0.1 < inside.mean() < 0.6


@pytest.mark.parametrize("build", [situations.staggered_declared, situations.staggered_detected])
def test_staggered_adoption_has_cohorts_and_never_treated_units_and_biases_two_way_fixed_effects(build):
    case = build(SEED)
    frame = case.frame
    unit, period = (case.args.unit, case.args.time) if case.args.unit else ("store_id", "year")
    treatment, outcome = case.args.treatment, case.args.outcome
    first = frame[frame[treatment] == 1].groupby(unit)[period].min()
    assert first.nunique() >= 2
    assert frame.groupby(unit)[treatment].max().eq(0).any()
    twfe = _ols(frame.astype({unit: str, period: str}), outcome, [treatment, unit, period])
    assert twfe.params[treatment] < case.truth - 3 * twfe.bse[treatment]


@pytest.mark.parametrize("build", [situations.rare_outcome, situations.rare_outcome_null])
def test_rare_outcomes_have_a_base_rate_of_one_to_three_percent(build):
    case = build(SEED)
    assert 0.005 <= case.frame[case.args.outcome].mean() <= 0.03


def test_small_samples_and_few_treated():
    assert len(situations.tiny_sample(SEED).frame) == 120
    few = situations.few_treated(SEED).frame
    assert len(few) == 2000 and few["pilot"].sum() == 25


def test_heavy_tails_and_zero_inflation():
    case = situations.heavy_tailed(SEED)
    residuals = _ols(case.frame, "output", ["training_hours", "tenure", "load", "skill"]).resid
    assert pd.Series(residuals).kurt() > 2
    spend = situations.zero_inflated(SEED).frame["spend_usd"]
    assert (spend == 0).mean() > 0.5
    assert spend[spend > 0].skew() > 2


@pytest.mark.parametrize("build", [situations.weak_overlap, situations.weak_overlap_att])
def test_overlap_really_is_weak(build):
    case = build(SEED)
    frame = case.frame
    covariates = [name for name in frame.columns if name not in (case.args.treatment, case.args.outcome)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(frame[case.args.treatment], sm.add_constant(frame[covariates])).fit(disp=0)
    propensity = fit.predict()
    assert np.mean((propensity < 0.02) | (propensity > 0.98)) > 0.15


@pytest.mark.parametrize("build", [situations.hidden_confounder, situations.hidden_confounder_continuous])
def test_the_hidden_confounder_biases_adjustment_for_what_is_measured(build):
    case = build(SEED)
    frame = case.frame
    treatment, outcome = case.args.treatment, case.args.outcome
    covariates = [name for name in frame.columns if name not in (treatment, outcome)]
    adjusted = _ols(frame, outcome, [treatment, *covariates])
    assert adjusted.params[treatment] > case.truth + 4 * adjusted.bse[treatment]
    assert case.unsettled


def _benchmark_of_linear_fit(frame: pd.DataFrame, treatment: str, outcome: str):
    covariates = [name for name in frame.columns if name not in (treatment, outcome)]
    fit = _ols(frame, outcome, [treatment, *covariates])
    encoded = pd.get_dummies(frame, drop_first=True, dtype=float)
    encoded_from = {
        column: original
        for column in encoded.columns
        for original in frame.columns
        if column.startswith(f"{original}_") and frame[original].dtype == object
    }
    coded = [name for name in encoded.columns if name not in (treatment, outcome)]
    strengths = sensitivity.benchmark_strengths(encoded, treatment, outcome, coded, encoded_from)
    assert set(strengths) <= set(covariates)
    return sensitivity.confounder_benchmark(
        strengths,
        float(fit.params[treatment]),
        float(fit.bse[treatment]),
        int(fit.df_resid),
        tuple(fit.conf_int().loc[treatment]),
        treatment,
        outcome,
    )


def test_the_benchmark_bound_fires_on_hidden_confounding_and_not_on_a_well_identified_case():
    hidden = situations.hidden_confounder_null(SEED)
    found = _benchmark_of_linear_fit(hidden.frame, "wellness_app", "claims_next_year")
    assert found is not None and found.explains_away
    assert found.benchmark == "prior_claims_z" and "cannot settle" in found.sentence
    identified = cases.linear_confounding(SEED)
    clear = _benchmark_of_linear_fit(identified.frame, "t", "y")
    assert clear is not None and not clear.explains_away
    assert "stronger than any measured one" in clear.sentence


def test_a_covariate_whose_implied_bound_is_impossible_is_no_benchmark():
    rng = np.random.default_rng(SEED)
    strong, weak = rng.normal(size=(2, 3000))
    treatment = (rng.uniform(size=3000) < 1 / (1 + np.exp(-strong))).astype(float)
    outcome = treatment + 3 * strong + 0.3 * weak + rng.normal(size=3000)
    frame = pd.DataFrame({"strong": strong, "weak": weak, "t": treatment, "y": outcome})
    strengths = sensitivity.benchmark_strengths(frame, "t", "y", ["strong", "weak"], {})
    # `strong` explains 90 % of the outcome's remaining variance: as strong a confounder would leave none.
    assert set(strengths) == {"weak"}
    assert all(0 <= value < 1 for pair in strengths.values() for value in pair)


def test_the_benchmark_bound_matches_the_published_formula_on_a_hand_computed_example():
    # One covariate with partial R² 0.2 with the treatment and 0.3 with the outcome (Cinelli & Hazlett, eqs. 50-52).
    r2_treatment, r2_outcome = 0.2 / 0.8, ((1 + 0.25) / np.sqrt(1 - 0.0625)) ** 2 * (0.3 / 0.7)
    found = sensitivity.confounder_benchmark({"w": (r2_treatment, r2_outcome)}, 1.0, 0.1, 400, (0.8, 1.2), "t", "y")
    assert found is not None
    bias = np.sqrt(r2_outcome * r2_treatment / (1 - r2_treatment)) * 0.1 * np.sqrt(400)
    assert found.adjusted_estimate == pytest.approx(1.0 - bias)
    assert found.explains_away == (found.adjusted_ci[0] <= 0)


def test_the_pipeline_flags_hidden_confounding_and_the_headline_hedges():
    logging.getLogger("dowhy").setLevel(logging.ERROR)
    case = situations.hidden_confounder_null(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_causal_analysis(case.frame, case.args)
    assert result.confounder_benchmark is not None and result.confounder_benchmark.explains_away
    assert flags_unsettled(result)
    sentence = headline_sentence(CausalSummary.model_validate(result.model_dump()))
    assert "cannot settle" in sentence and "`prior_claims_z`" in sentence


def _result(**fields: object) -> CausalResult:
    base: dict[str, object] = dict(
        treatment="t",
        outcome="y",
        common_causes=["w", "m"],
        target="ate",
        target_reason="",
        estimate=1.0,
        ci=(0.8, 1.2),
        method="m",
        naive_estimate=1.5,
        methods=[],
        refutations=[],
        rows=500,
    )
    return CausalResult.model_validate(base | fields)


def test_flags_unsettled_reads_the_benchmark_and_the_adjustment_variants():
    settled = _result(adjustment_sensitivity=[AdjustmentVariant(left_out=["w"], estimate=1.1, ci=(0.9, 1.3))])
    assert not flags_unsettled(settled)
    # Leaving out a measured confounder moves any estimate: that alone says nothing about the data.
    confounder_moves = _result(
        adjustment_sensitivity=[AdjustmentVariant(left_out=["w"], estimate=1.6, ci=(1.4, 1.8), moves=True)]
    )
    assert not flags_unsettled(confounder_moves)
    assert flags_unsettled(confounder_moves, post_treatment=("w",))
    suspect_moves = confounder_moves.model_copy(
        update={"post_treatment_suspects": [ColumnNote(column="w", reason="the treatment explains it")]}
    )
    assert flags_unsettled(suspect_moves)
    hidden = _benchmark_of_linear_fit(situations.hidden_confounder_null(SEED).frame, "wellness_app", "claims_next_year")
    assert flags_unsettled(_result(confounder_benchmark=hidden))
