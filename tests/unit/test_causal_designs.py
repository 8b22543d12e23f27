"""Each design on data generated here with a known truth; tolerances come from the reported intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_agent.answer import headline_sentence
from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, CausalSummary
from causal_tasks.causal import run_causal_analysis
from causal_tasks.design import DatasetRoles
from causal_tasks.evaluation import cases

pytestmark = pytest.mark.slow


def analyse(case: cases.Case, **update):
    args = case.args.model_copy(update=update) if update else case.args
    return run_causal_analysis(case.frame, args, lambda *_: None, roles=case.roles)


def covers(result, truth: float) -> bool:
    return result.ci is not None and result.ci[0] <= truth <= result.ci[1]


def test_nonlinear_selection_doubly_robust_headline_and_a_failing_specification_check():
    case = cases.nonlinear_selection(7)
    result = analyse(case)
    assert result.design == "backdoor" and result.method.startswith("doubly robust")
    assert covers(result, case.truth)
    linear = next(m for m in result.methods if m.method == "backdoor.linear_regression")
    assert not (linear.ci[0] <= case.truth <= linear.ci[1])  # the linear model is far off ...
    assert result.specification_check is not None and not result.specification_check.passed  # ... and it is caught
    assert any("backdoor.linear_regression" in note for note in result.disagreement)
    assert "outcome model: linear" not in result.method  # a flexible outcome model was chosen


def test_null_effect_is_not_called_an_effect():
    case = cases.null_binary(3)
    result = analyse(case)
    assert covers(result, 0.0)
    sentence = headline_sentence(CausalSummary.model_validate(result.model_dump()))
    assert sentence.startswith("**No clear evidence that `t` changes `y`**") and "includes no effect" in sentence


def test_declared_randomisation_uses_regression_with_covariates():
    case = cases.randomised(11, declared=True)
    result = analyse(case)
    assert result.design == "randomised" and result.method == "regression with covariates"
    assert covers(result, case.truth)
    assert "difference in means" in {m.method for m in result.methods}
    assert "ruled out by design" in result.sensitivity[0].sentence


def test_balance_consistent_with_randomisation_is_recognised_and_confounding_is_not():
    assert analyse(cases.randomised(12, declared=False)).design == "randomised"
    assert analyse(cases.linear_confounding(12)).design == "backdoor"


def test_continuous_treatment_is_a_per_unit_effect():
    case = cases.continuous_nonlinear(5)
    result = analyse(case)
    assert result.treatment_kind == "continuous" and covers(result, case.truth)
    assert "partially linear" in result.method
    assert headline_sentence(CausalSummary.model_validate(result.model_dump())).startswith(
        "**Each one-unit increase in `t` raises `y` by about"
    )


def test_binary_outcome_is_a_risk_difference_with_an_e_value():
    case = cases.binary_outcome(21, 0.8)
    result = analyse(case)
    assert result.outcome_kind == "binary" and covers(result, case.truth)
    names = [s.name for s in result.sensitivity]
    assert names == ["robustness value", "e-value"] and result.diagnostics["e_value"] > 1
    assert "percentage points" in headline_sentence(CausalSummary.model_validate(result.model_dump()))


def test_yes_no_treatment_text_confounder_and_missing_values_work_and_are_reported():
    frame = cases.categorical_confounder(4).frame.copy()
    frame["t"] = np.where(frame["t"] == 1, "TREATED", "control")
    frame.loc[::25, "x0"] = np.nan
    frame["note"] = [f"free text {i}" for i in range(len(frame))]
    result = run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y", refutation_simulations=2))
    assert covers(result, 1.5)
    assert {note.column for note in result.coded} == {"t", "department"}
    assert "department" in result.common_causes
    assert any(note.column == "note" and "distinct values" in note.reason for note in result.left_out)
    assert any("missing values" in warning for warning in result.warnings)


def test_a_manifest_coding_is_applied_and_an_uncovered_value_is_named():
    frame = cases.linear_confounding(2).frame.copy()
    frame["t"] = np.where(frame["t"] == 1, "enrolled", "waitlist")
    roles = DatasetRoles(codings={"t": {"enrolled": 1, "waitlist": 0}})
    result = run_causal_analysis(
        frame, CausalAnalysisArgs(treatment="t", outcome="y", refutation_simulations=2), roles=roles
    )
    assert covers(result, 2.0)
    frame.loc[3, "t"] = "dropped out"
    with pytest.raises(InvalidInputError, match="dropped out"):
        run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y"), roles=roles)
    frame["t"] = "maybe"
    with pytest.raises(InvalidInputError, match="coding"):
        run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y"))


def test_instrument_recovers_the_effect_that_adjustment_cannot():
    case = cases.instrument(8, binary_treatment=False)
    result = analyse(case)
    assert result.design == "iv" and covers(result, case.truth)
    assert result.diagnostics["first_stage_f"] > 100
    adjusted = next(m for m in result.methods if m.method.startswith("doubly robust"))
    assert adjusted.estimate > case.truth + 0.3  # the unmeasured confounder biases adjustment upward
    assert result.target == "ate"


def test_a_weak_instrument_stays_the_design_and_adjustment_is_reported_beside_it():
    rng = np.random.default_rng(10)
    frame = cases.linear_confounding(10).frame
    frame["z"] = rng.normal(size=len(frame))  # unrelated to the treatment
    result = run_causal_analysis(
        frame, CausalAnalysisArgs(treatment="t", outcome="y", instruments=["z"], refutation_simulations=2)
    )
    assert result.design == "iv" and result.method == "iv.anderson_rubin"
    assert result.diagnostics["first_stage_f"] < 10 and any("weak instrument" in w for w in result.warnings)
    assert result.confidence_set is not None and result.confidence_set.contains(2.0)
    adjusted = next(m for m in result.methods if m.method.startswith("doubly robust"))
    assert adjusted.ci is not None and adjusted.ci[0] <= 2.0 <= adjusted.ci[1]


def test_difference_in_differences_from_manifest_roles_with_a_passing_pre_trend_check():
    case = cases.panel(13, group_column=False)
    roles = DatasetRoles(time="period", unit="unit")
    result = run_causal_analysis(case.frame, CausalAnalysisArgs(treatment="t", outcome="y"), roles=roles)
    assert result.design == "did" and result.target == "att" and covers(result, case.truth)
    check = next(r for r in result.refutations if r.name == "parallel pre-trends")
    assert check.passed and result.diagnostics["pre_periods"] == 3


def test_difference_in_differences_pre_trend_check_fails_when_trends_differ():
    case = cases.panel(14, group_column=True)
    frame = case.frame.copy()
    treated_group = frame.groupby("unit")["t"].transform("max")
    frame["y"] += 1.0 * treated_group * frame["period"]  # the treated group was already rising faster
    result = run_causal_analysis(frame, case.args)
    check = next(r for r in result.refutations if r.name == "parallel pre-trends")
    assert not check.passed and "parallel trends look violated" in check.detail


def test_difference_in_differences_with_a_group_column_needs_a_start():
    case = cases.panel(15, group_column=True)
    with pytest.raises(InvalidInputError, match="treatment_start"):
        run_causal_analysis(case.frame, case.args.model_copy(update={"treatment_start": None}))


def test_regression_discontinuity_states_its_bandwidth_and_covers_the_jump():
    case = cases.discontinuity(16, 2.0)
    result = analyse(case)
    assert result.design == "rdd" and result.target == "at_cutoff" and covers(result, case.truth)
    assert 0 < result.diagnostics["bandwidth"] < 60 and "within" in result.target_reason
    assert next(r for r in result.refutations if r.name == "covariate balance at the cutoff").passed


def test_regression_discontinuity_flags_a_covariate_that_jumps():
    case = cases.discontinuity(17, 2.0)
    frame = case.frame.copy()
    frame["age"] += 6 * (frame["score"] >= 60)  # older people sorted above the cutoff
    result = run_causal_analysis(frame, case.args, roles=case.roles)
    assert not next(r for r in result.refutations if r.name == "covariate balance at the cutoff").passed


def test_a_covariate_with_missing_values_takes_no_rows_from_a_discontinuity_estimate():
    case = cases.discontinuity(16, 2.0)
    frame = case.frame.copy()
    frame.loc[np.random.default_rng(16).uniform(size=len(frame)) < 0.3, "age"] = np.nan
    result = run_causal_analysis(frame, case.args, roles=case.roles)
    without = run_causal_analysis(frame, case.args.model_copy(update={"common_causes": []}), roles=case.roles)
    assert result.rows == without.rows == len(frame)
    assert result.estimate == pytest.approx(without.estimate) and result.ci == pytest.approx(without.ci)
    balance = next(r for r in result.refutations if r.name == "covariate balance at the cutoff")
    assert "age" in balance.detail
    assert any("balance check uses the" in note and f"all {len(frame)} rows" in note for note in result.warnings)


def test_post_treatment_columns_are_flagged_by_data_and_by_name():
    rng = np.random.default_rng(18)
    frame = cases.linear_confounding(18).frame.copy()
    frame["mediator"] = 2.0 * frame["t"] + 0.5 * rng.normal(size=len(frame))
    frame["satisfaction_post"] = rng.normal(size=len(frame))
    result = run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y", refutation_simulations=2))
    flagged = {note.column: note.reason for note in result.post_treatment_suspects}
    assert set(flagged) == {"mediator", "satisfaction_post"}
    assert "explains" in flagged["mediator"] and "name" in flagged["satisfaction_post"]
    described = DatasetRoles(descriptions={"x3": "score measured after the programme"})
    result = run_causal_analysis(
        frame.drop(columns=["mediator", "satisfaction_post"]),
        CausalAnalysisArgs(treatment="t", outcome="y", refutation_simulations=2),
        roles=described,
    )
    assert [note.column for note in result.post_treatment_suspects] == ["x3"]


def test_every_design_says_how_sensitive_it_is():
    for case in (
        cases.linear_confounding(30),
        cases.instrument(31, False),
        cases.panel(32, False),
        cases.discontinuity(33, 2.0),
    ):
        result = analyse(case)
        assert result.sensitivity and "unmeasured confounder would need to explain" in result.sensitivity[0].sentence


def test_the_doubly_robust_ate_agrees_with_econml():
    from econml.dr import LinearDRLearner
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from causal_tasks import doubly_robust

    case = cases.linear_confounding(40)
    features = case.frame[["x0", "x1", "x2", "x3"]].to_numpy()
    treatment, outcome = case.frame["t"].to_numpy(), case.frame["y"].to_numpy()
    ours = doubly_robust.aipw(features, treatment, outcome)
    reference = LinearDRLearner(
        model_propensity=LogisticRegression(), model_regression=LinearRegression(), cv=5, random_state=0
    )
    reference.fit(outcome, treatment, X=None, W=features)
    low, high = reference.ate_interval(X=None)
    assert abs(ours.value - reference.ate(X=None)) < 0.5 * ours.standard_error
    assert abs((high - low) - (ours.ci[1] - ours.ci[0])) < 0.2 * (ours.ci[1] - ours.ci[0])


def test_the_robustness_value_matches_dowhys_on_a_linear_estimate():
    from causal_tasks import sensitivity
    from causal_tasks.estimation import dowhy_estimate, dowhy_model

    frame = cases.linear_confounding(41).frame
    model, estimand = dowhy_model(frame, "t", "y", ["x0", "x1", "x2", "x3"])
    estimate = dowhy_estimate(model, estimand, "backdoor.linear_regression", "ate")
    theirs = sensitivity.dowhy_robustness_value(model, estimate, "x0")
    import statsmodels.api as sm

    fit = sm.OLS(frame["y"], sm.add_constant(frame[["t", "x0", "x1", "x2", "x3"]])).fit()
    assert theirs == pytest.approx(sensitivity.robustness_value(fit.tvalues["t"], int(fit.df_resid)), rel=1e-6)


def test_e_value_formula():
    from causal_tasks.sensitivity import e_value

    assert e_value(1.0) == pytest.approx(1.0)
    assert e_value(2.0) == pytest.approx(2 + np.sqrt(2))
    assert e_value(0.5) == pytest.approx(e_value(2.0))


def test_bad_design_requests_are_refused_clearly():
    frame = pd.DataFrame({"t": [0, 1] * 20, "y": range(40), "x": range(40)})
    with pytest.raises(InvalidInputError, match="running variable"):
        run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y", design="rdd"))
    with pytest.raises(InvalidInputError, match="period"):
        run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y", design="did"))
    with pytest.raises(InvalidInputError, match="unknown design column"):
        run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y", running="score", cutoff=1))


def test_a_panel_with_more_covariates_than_its_rows_can_carry_is_refused_clearly():
    case = cases.panel(19, group_column=False)
    frame = case.frame[case.frame["unit"] < 10].reset_index(drop=True)
    noise = np.random.default_rng(19).normal(size=(len(frame), 50))
    frame = pd.concat([frame, pd.DataFrame(noise, columns=[f"z{i}" for i in range(50)])], axis=1)
    with pytest.raises(InvalidInputError, match="cannot be fitted on 60 complete rows with 50 covariate"):
        run_causal_analysis(frame, case.args, roles=case.roles)


def test_under_random_assignment_a_consequence_of_the_treatment_is_not_adjusted_for():
    rng = np.random.default_rng(41)
    n = 3000
    treated = rng.integers(0, 2, n)
    age = rng.normal(40, 10, n)
    # Only a treated unit can answer the message it got; answering goes with the outcome (a collider).
    answered = (treated == 1) & (rng.random(n) < 0.6)
    outcome = 1.0 * treated + 0.05 * age + 3.0 * answered + rng.normal(0, 1, n)
    frame = pd.DataFrame({"treated": treated, "age": age, "answered": answered.astype(int), "outcome": outcome})
    args = CausalAnalysisArgs(
        treatment="treated",
        outcome="outcome",
        common_causes=["age", "answered"],
        design="randomised",
        refutation_simulations=2,
    )
    result = run_causal_analysis(frame, args, lambda *_: None)
    assert "answered" in {note.column for note in result.left_out}
    assert any("random" in note.reason for note in result.left_out if note.column == "answered")
