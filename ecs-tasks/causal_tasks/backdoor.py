"""Backdoor adjustment and randomised comparison.

Observational data with measured confounders: the doubly robust estimate is
the headline (AIPW for a binary treatment, partially linear DML for a
continuous one), with linear regression, propensity-score matching and
weighting beside it. Randomised data (declared, or balance consistent with
randomisation): regression with covariates (Lin 2013), difference in means
beside. No covariates at all: the plain comparison, said to be one.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, MethodEstimate
from causal_tasks import checks, doubly_robust, overlap, refuters
from causal_tasks.design import DatasetRoles, DesignChoice
from causal_tasks.estimation import (
    Estimation,
    Progress,
    difference_in_means,
    dowhy_estimate,
    dowhy_model,
    interval,
    interval_of,
    ols_slope,
    regression_with_covariates,
    timed,
    value_of,
)

logger = logging.getLogger(__name__)

# Below this share of treated units (with poor overlap) the treated are the population the data can speak for.
ATT_TREATED_SHARE = 1 / 3
# Randomisation is consistent with the data when no covariate differs by more than this (|SMD|) ...
RANDOMISED_MAX_SMD = 0.1
# ... and the covariates predict treatment no better out of fold than the treated share alone (log-loss margin).
RANDOMISED_LOSS_MARGIN = 0.002

DR_TRUSTED = (
    "it stays consistent if either its outcome model or its propensity model is right, and both were "
    "chosen by out-of-fold fit among a linear model, additive splines and gradient boosting"
)
BACKDOOR_ASSUMPTIONS = [
    "every common cause of treatment and outcome is among the adjusted covariates (no unmeasured confounding)",
    "the covariates were measured before the treatment (none is a consequence of it)",
    "units with the same covariates had a real chance of either treatment (overlap)",
]
RANDOMISED_ASSUMPTIONS = [
    "treatment was assigned at random, independently of the outcomes units would have had",
    "units did not affect one another's outcomes, and everyone assigned kept their assignment",
]


def choose_target(args: CausalAnalysisArgs, treated_share: float, poor: bool, randomised: bool) -> tuple[str, str]:
    if args.target == "ate":
        return "ate", "the average effect over everyone (ATE) was requested"
    if args.target == "att":
        return "att", "the effect on the treated (ATT) was requested"
    if randomised:
        return "ate", "ATE: with random assignment the treated and controls stand for the same population"
    if poor and treated_share < ATT_TREATED_SHARE:
        return "att", (
            f"ATT: the treated are {treated_share:.1%} of the rows and many controls have no treated counterpart "
            "(poor overlap), so the data support the effect on those who were treated; an ATE would extrapolate to "
            "controls unlike anyone treated"
        )
    reason = "ATE: treated and control overlap enough to speak for the whole population"
    if poor:
        reason = (
            f"ATE: the treated are {treated_share:.0%} of the rows, so the question is about the whole "
            "population; overlap is imperfect, so the estimate leans on the outcome model where it is thin"
        )
    return "ate", reason


def _propensity_params(method: str) -> dict[str, Any]:
    init: dict[str, Any] = {"propensity_score_model": overlap.propensity_model()}
    if method.endswith("weighting"):
        # Normalised weights, and no clipping of scores to [0.05, 0.95], which distorts ATT weights of controls.
        init.update(weighting_scheme="ips_normalized_weight", min_ps_score=1e-6, max_ps_score=1 - 1e-6)
    return {"init_params": init}


def _randomisation_consistent(smds: list[float], losses: dict[str, float], treated_share: float) -> tuple[bool, str]:
    constant = float(-(treated_share * np.log(treated_share) + (1 - treated_share) * np.log(1 - treated_share)))
    best = min(losses.values())
    largest = max((abs(value) for value in smds), default=0.0)
    consistent = largest < RANDOMISED_MAX_SMD and best >= constant - RANDOMISED_LOSS_MARGIN
    return consistent, (
        f"no covariate differs between the groups by more than {RANDOMISED_MAX_SMD} standard "
        f"deviations (largest {largest:.2f}) and the covariates predict treatment no better out of "
        f"fold than the treated share alone (log-loss {best:.4f} vs {constant:.4f})"
    )


def estimate(
    data: pd.DataFrame,
    args: CausalAnalysisArgs,
    covariates: list[str],
    choice: DesignChoice,
    roles: DatasetRoles,
    binary_outcome: bool,
    progress: Progress,
) -> tuple[Estimation, tuple[Any, Any] | None]:
    """The backdoor or randomised estimation; also the DoWhy model and linear estimate the refuters use."""
    treatment_name, outcome_name = args.treatment, args.outcome
    treatment = data[treatment_name].to_numpy(dtype=float)
    outcome = data[outcome_name].to_numpy(dtype=float)
    binary = set(np.unique(treatment)) <= {0.0, 1.0}
    rows = len(data)
    if binary and (treatment.sum() < 2 or (1 - treatment).sum() < 2):
        raise InvalidInputError(f"{treatment_name!r} needs at least two treated and two control rows")
    if not covariates:
        return _unadjusted(treatment, outcome, binary, choice, progress), None
    features = data[covariates].to_numpy(dtype=float)
    notes: list[str] = []
    diagnostics: dict[str, float] = {}
    design, design_reason = choice.design, choice.reason
    if not binary:
        return _continuous(data, args, covariates, features, treatment, outcome, choice, progress)

    treated_share = float(treatment.mean())
    propensity, splits = doubly_robust.propensity_model(features, treatment)
    summary = overlap.overlap_summary(np.clip(propensity.predictions, 1e-9, 1 - 1e-9), treatment == 1)
    notes += overlap.overlap_warnings(summary, model=propensity.chosen)
    balance = overlap.balance(data, treatment_name, covariates)
    notes += overlap.balance_warnings(balance)
    poor = overlap.poor_overlap(summary)
    diagnostics.update({f"propensity_{key}": round(value, 6) for key, value in summary.items()})
    consistent, balance_text = _randomisation_consistent([row.smd for row in balance], propensity.losses, treated_share)
    if design == "backdoor" and roles.design is None and args.design == "auto" and consistent:
        design, design_reason = (
            "randomised",
            f"randomised comparison: balance is consistent with randomisation: {balance_text}",
        )
    elif design == "randomised" and not consistent:
        notes.append(
            f"assignment is declared random, but the groups differ before treatment ({balance_text.split(' (')[0]} "
            "does not hold); the covariate adjustment guards against chance imbalance only"
        )
    randomised = design == "randomised"
    target, target_reason = choose_target(args, treated_share, poor, randomised)
    progress("identify", f"{design}: {target.upper()}; propensity model {propensity.chosen}", 20)

    dr = doubly_robust.aipw(features, treatment, outcome, target, propensity=(propensity, splits))
    flexible = MethodEstimate(method=dr.description, estimate=dr.value, ci=dr.ci)
    progress("estimate", f"doubly robust: {dr.value:,.4g}", 45)
    diagnostics["propensity_clipped_share"] = round(dr.clipped_share, 6)
    if dr.clipped_share > 0.05:
        bound = doubly_robust.PROPENSITY_CLIP
        notes.append(
            f"{dr.clipped_share:.0%} of units have propensity scores outside [{bound:g}, {1 - bound:g}]; the "
            f"doubly robust estimate caps their weights there, which steadies it but leans on the outcome "
            "model where treated and controls barely overlap"
        )
    model, estimand = dowhy_model(data, treatment_name, outcome_name, covariates)
    linear_estimate = None

    def linear() -> tuple[float, tuple[float, float] | None]:
        nonlocal linear_estimate
        linear_estimate = dowhy_estimate(
            model, estimand, "backdoor.linear_regression", target, confidence_intervals=True
        )
        return value_of(linear_estimate), interval_of(linear_estimate)

    def side_estimate(method: str) -> tuple[float, tuple[float, float] | None]:
        return (
            value_of(dowhy_estimate(model, estimand, method, target, method_params=_propensity_params(method))),
            None,
        )

    linear_method = timed("backdoor.linear_regression", linear)
    side = [linear_method]
    for method in ("backdoor.propensity_score_matching", "backdoor.propensity_score_weighting"):
        side.append(timed(method, functools.partial(side_estimate, method)))
    progress("estimate", "linear regression, matching and weighting beside it", 60)
    mu0 = dr.nuisance["outcome_control"].predictions
    baseline = float(np.mean(mu0[treatment == 1] if target == "att" else mu0)) if binary_outcome else None
    if randomised:
        value, standard_error, dof = regression_with_covariates(treatment, outcome, features, target)
        headline = MethodEstimate(
            method="regression with covariates", estimate=value, ci=interval(value, standard_error)
        )
        means, means_se = difference_in_means(treatment, outcome)
        methods = [
            headline,
            MethodEstimate(method="difference in means", estimate=means, ci=interval(means, means_se)),
            flexible,
            *side,
        ]
        why = (
            "assignment was random, and adjusting for covariates only sharpens the comparison (Lin's "
            "interacted regression is unbiased for it in large samples)"
        )
        assumptions = list(RANDOMISED_ASSUMPTIONS)
        if baseline is not None:
            baseline = float(outcome[treatment == 0].mean())
    else:
        headline, standard_error, dof = flexible, dr.standard_error, rows - len(covariates) - 2
        methods = [flexible, *side]
        why, assumptions = DR_TRUSTED, list(BACKDOOR_ASSUMPTIONS)
    result = Estimation(
        design=design,
        design_reason=design_reason,
        target=target,
        target_reason=target_reason,
        headline=headline,
        standard_error=standard_error,
        methods=methods,
        assumptions=assumptions,
        why_trusted=why,
        dof=dof,
        warnings=notes,
        diagnostics=diagnostics,
        baseline_risk=baseline,
        specification_check=checks.specification_check(linear_method, flexible, dr.nuisance["outcome"].losses),
    )
    return result, (model, linear_estimate)


def _continuous(
    data: pd.DataFrame,
    args: CausalAnalysisArgs,
    covariates: list[str],
    features: np.ndarray,
    treatment: np.ndarray,
    outcome: np.ndarray,
    choice: DesignChoice,
    progress: Progress,
) -> tuple[Estimation, tuple[Any, Any]]:
    dr = doubly_robust.partially_linear(features, treatment, outcome)
    flexible = MethodEstimate(method=dr.description, estimate=dr.value, ci=dr.ci)
    progress("estimate", f"doubly robust: {dr.value:,.4g}", 45)
    model, estimand = dowhy_model(data, args.treatment, args.outcome, covariates)
    linear_estimate = None

    def linear() -> tuple[float, tuple[float, float] | None]:
        nonlocal linear_estimate
        linear_estimate = dowhy_estimate(
            model, estimand, "backdoor.linear_regression", "ate", confidence_intervals=True
        )
        return value_of(linear_estimate), interval_of(linear_estimate)

    linear_method = timed("backdoor.linear_regression", linear)
    notes = []
    treatment_fit = dr.nuisance["treatment"]
    explained = 1 - min(treatment_fit.losses.values()) / max(float(np.var(treatment)), 1e-300)
    if explained > 0.9:
        notes.append(
            f"the covariates explain {explained:.0%} of the treatment's variance, so the estimate rests on "
            "the little variation left (weak overlap for a continuous treatment)"
        )
    result = Estimation(
        design=choice.design,
        design_reason=choice.reason,
        target="ate",
        target_reason="the treatment is continuous, so the effect is the average change in the outcome per unit "
        "of treatment (a constant slope is assumed; the doubly robust fit lets the confounders enter "
        "in any shape)",
        headline=flexible,
        standard_error=dr.standard_error,
        methods=[flexible, linear_method],
        assumptions=[
            *BACKDOOR_ASSUMPTIONS[:2],
            "the effect of one more unit of treatment is the same at every level (a straight-line dose response)",
        ],
        why_trusted=DR_TRUSTED,
        dof=len(data) - len(covariates) - 2,
        warnings=notes,
        diagnostics={"treatment_variance_explained": round(explained, 4)},
        specification_check=checks.specification_check(linear_method, flexible, dr.nuisance["outcome"].losses),
    )
    return result, (model, linear_estimate)


def _unadjusted(
    treatment: np.ndarray, outcome: np.ndarray, binary: bool, choice: DesignChoice, progress: Progress
) -> Estimation:
    if binary:
        value, standard_error = difference_in_means(treatment, outcome)
        method, dof = "difference in means", len(outcome) - 2
    else:
        value, standard_error, dof = ols_slope(treatment, outcome)
        method = "regression slope (no covariates)"
    progress("estimate", f"{method}: {value:,.4g}", 50)
    headline = MethodEstimate(method=method, estimate=value, ci=interval(value, standard_error))
    randomised = choice.design == "randomised"
    notes = (
        []
        if randomised
        else [
            "no measured confounders to adjust for: this is a plain comparison, a causal effect only if nothing else "
            "differs between the groups"
        ]
    )
    return Estimation(
        design=choice.design,
        design_reason=choice.reason,
        target="ate",
        target_reason="ATE: the average effect over everyone",
        headline=headline,
        standard_error=standard_error,
        methods=[headline],
        assumptions=list(RANDOMISED_ASSUMPTIONS if randomised else BACKDOOR_ASSUMPTIONS[:1]),
        why_trusted="it is the only estimate",
        dof=dof,
        warnings=notes,
        baseline_risk=float(outcome[treatment == 0].mean())
        if binary and set(np.unique(outcome)) <= {0.0, 1.0}
        else None,
    )


def run_refuters(
    refutable: tuple[Any, Any] | None,
    data_rows: int,
    simulations_requested: int,
    result: Estimation,
    progress: Progress,
    of_what: str = "linear-regression estimate",
) -> None:
    """DoWhy's refuters on a cheap-to-refit DoWhy estimate, with the cost-aware simulation count."""
    if refutable is None or refutable[1] is None:
        return
    model, dowhy_result = refutable
    simulations, note = refuters.simulations_for(data_rows, simulations_requested)
    if note:
        result.warnings.append(f"refuters ran {note}")
    bounds = interval_of(dowhy_result)
    standard_error = (bounds[1] - bounds[0]) / 3.92 if bounds else None
    result.refutations = refuters.refute(
        model, dowhy_result, value_of(dowhy_result), standard_error, simulations, progress, of_what
    )
