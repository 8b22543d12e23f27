"""What every design's estimation hands back, and small estimators shared by the designs."""

from __future__ import annotations

import copy
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from causal_common.models.tools import EventStudyPoint, MethodEstimate, Refutation, Sensitivity

logger = logging.getLogger(__name__)

Progress = Callable[[str, str, float], None]
Z_95 = 1.959963984540054
RANDOM_SEED = 0
ESTIMATION_ERRORS = (ValueError, TypeError, KeyError, IndexError, ArithmeticError, np.linalg.LinAlgError)


@dataclass
class Estimation:
    design: str
    design_reason: str
    target: str
    target_reason: str
    headline: MethodEstimate
    standard_error: float | None
    methods: list[MethodEstimate]
    assumptions: list[str]
    why_trusted: str
    dof: int
    warnings: list[str] = field(default_factory=list)
    diagnostics: dict[str, float] = field(default_factory=dict)
    refutations: list[Refutation] = field(default_factory=list)
    sensitivity: list[Sensitivity] = field(default_factory=list)
    specification_check: Refutation | None = None
    # What the sensitivity sentence calls the headline ("estimate", "effect at the cutoff").
    of_what: str = "estimate"
    # Baseline outcome risk under control, for an E-value (binary outcomes).
    baseline_risk: float | None = None
    # Difference in differences: the effect by period relative to adoption.
    event_study: list[EventStudyPoint] = field(default_factory=list)


def interval(value: float, standard_error: float) -> tuple[float, float]:
    return (value - Z_95 * standard_error, value + Z_95 * standard_error)


def timed(method: str, compute: Callable[[], tuple[float, tuple[float, float] | None]]) -> MethodEstimate:
    """Run one estimator; a failure becomes a MethodEstimate carrying the error."""
    started = time.perf_counter()
    try:
        value, ci = compute()
        if not np.isfinite(value):
            raise ValueError("the estimate is not a finite number")
    except ESTIMATION_ERRORS as exc:
        logger.warning("estimator %s failed: %s", method, exc)
        return MethodEstimate(method=method, estimate=float("nan"), error=str(exc)[:300])
    return MethodEstimate(
        method=method, estimate=float(value), ci=ci, elapsed_ms=round((time.perf_counter() - started) * 1000, 1)
    )


def difference_in_means(treatment: np.ndarray, outcome: np.ndarray) -> tuple[float, float]:
    """Difference in means and its Welch standard error."""
    treated, control = outcome[treatment == 1], outcome[treatment == 0]
    value = float(treated.mean() - control.mean())
    standard_error = float(np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control)))
    return value, standard_error


def ols_slope(
    treatment: np.ndarray, outcome: np.ndarray, covariates: np.ndarray | None = None
) -> tuple[float, float, int]:
    """Coefficient of the treatment in an OLS fit (HC2 standard error) and the residual degrees of freedom."""
    columns = [np.ones(len(outcome)), treatment]
    if covariates is not None and covariates.size:
        columns.append(covariates)
    fit = sm.OLS(outcome, np.column_stack(columns)).fit(cov_type="HC2")
    return float(fit.params[1]), float(fit.bse[1]), int(fit.df_resid)


def regression_with_covariates(
    treatment: np.ndarray, outcome: np.ndarray, covariates: np.ndarray, target: str = "ate"
) -> tuple[float, float, int]:
    """Lin's (2013) regression adjustment for a randomised treatment: covariates centred and interacted, HC2 errors.

    Centred at the mean of everyone (ATE) or of the treated (ATT), the treatment coefficient is that average effect.
    """
    centre = covariates[treatment == 1].mean(axis=0) if target == "att" else covariates.mean(axis=0)
    centred = covariates - centre
    design = np.column_stack([np.ones(len(outcome)), treatment, centred, centred * treatment[:, None]])
    fit = sm.OLS(outcome, design).fit(cov_type="HC2")
    return float(fit.params[1]), float(fit.bse[1]), int(fit.df_resid)


def dowhy_model(
    data: pd.DataFrame, treatment: str, outcome: str, covariates: list[str], instruments: list[str] | None = None
) -> tuple[Any, Any]:
    from dowhy import CausalModel  # heavy: imported here so the module loads fast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CausalModel(
            data=data,
            treatment=treatment,
            outcome=outcome,
            common_causes=covariates or None,
            instruments=instruments or None,
        )
        # The adjustment set is given, so no search over subsets (exponential in the number of covariates).
        estimand = model.identify_effect(proceed_when_unidentifiable=True, method_name="maximal-adjustment")
    return model, estimand


def dowhy_estimate(
    model: Any,
    estimand: Any,
    method: str,
    target: str,
    *,
    confidence_intervals: bool = False,
    method_params: dict[str, Any] | None = None,
) -> Any:
    np.random.seed(RANDOM_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # estimate_effect mutates the estimand: every estimator gets its own copy.
        return model.estimate_effect(
            copy.deepcopy(estimand),
            method_name=method,
            target_units=target,
            confidence_intervals=confidence_intervals,
            method_params=method_params,
        )


def value_of(estimate: Any) -> float:
    return float(np.asarray(estimate.value).reshape(-1)[0])


def interval_of(estimate: Any) -> tuple[float, float] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bounds = np.asarray(estimate.get_confidence_intervals(), dtype=float).reshape(-1)
    except (ValueError, TypeError, AttributeError, np.linalg.LinAlgError) as exc:
        logger.info("no confidence interval: %s", exc)
        return None
    if bounds.size < 2 or not np.all(np.isfinite(bounds[:2])):
        return None
    return float(bounds[0]), float(bounds[1])
