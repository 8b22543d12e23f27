"""Instrumental variables: two-stage least squares (linearmodels) with a weak-instrument check."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, MethodEstimate
from causal_tasks.design import DesignChoice
from causal_tasks.estimation import Estimation, Progress, dowhy_estimate, dowhy_model, timed, value_of

# Staiger & Stock's rule of thumb: a first-stage F below 10 marks a weak instrument.
WEAK_INSTRUMENT_F = 10.0

ASSUMPTIONS = [
    "the instrument moves the treatment (relevance: checked by the first-stage F)",
    "the instrument reaches the outcome only through the treatment (exclusion: cannot be checked from the data)",
    "the instrument shares no unmeasured cause with the outcome, given the covariates (independence)",
    "the instrument pushes everyone's treatment the same way (monotonicity; with a varying effect the estimate is "
    "the effect on those whose treatment the instrument changes)",
]


def two_stage_least_squares(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> tuple[float, float, tuple[float, float], float, float]:
    """Estimate, standard error, interval, first-stage partial F and partial R² (heteroskedasticity-robust)."""
    from linearmodels.iv import IV2SLS
    from linearmodels.iv.results import IVResults

    exogenous = data[covariates].copy() if covariates else pd.DataFrame(index=data.index)
    exogenous.insert(0, "const", 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = IV2SLS(data[outcome], exogenous, data[[treatment]], data[instruments]).fit(cov_type="robust")
        assert isinstance(fit, IVResults)  # an OLSResults only when there is no endogenous variable
        diagnostics = fit.first_stage.diagnostics
    value = float(fit.params[treatment])
    standard_error = float(fit.std_errors[treatment])
    bounds = fit.conf_int().loc[treatment]
    first_stage_f = float(diagnostics.loc[treatment, "f.stat"])
    partial_r2 = float(diagnostics.loc[treatment, "partial.rsquared"])
    return value, standard_error, (float(bounds.iloc[0]), float(bounds.iloc[1])), first_stage_f, partial_r2


def estimate(
    data: pd.DataFrame, args: CausalAnalysisArgs, covariates: list[str], choice: DesignChoice, progress: Progress
) -> tuple[Estimation, tuple[Any, Any] | None]:
    instruments = choice.instruments
    constant = [name for name in instruments if data[name].nunique() <= 1]
    if constant:
        raise InvalidInputError(f"instrument(s) {', '.join(constant)} do not vary in the analysed rows")
    value, standard_error, bounds, first_stage_f, partial_r2 = two_stage_least_squares(
        data, args.treatment, args.outcome, instruments, covariates
    )
    progress("estimate", f"2SLS: {value:,.4g} (first-stage F {first_stage_f:,.1f})", 45)
    headline = MethodEstimate(method="iv.two_stage_least_squares", estimate=value, ci=bounds)
    model, estimand = dowhy_model(data, args.treatment, args.outcome, covariates, instruments)
    dowhy_iv = None

    def dowhy_wald() -> tuple[float, tuple[float, float] | None]:
        nonlocal dowhy_iv
        dowhy_iv = dowhy_estimate(model, estimand, "iv.instrumental_variable", "ate")
        return value_of(dowhy_iv), None

    methods = [headline, timed("iv.instrumental_variable", dowhy_wald)]
    methods[1].method = "iv.instrumental_variable (DoWhy, no covariates)"
    notes: list[str] = []
    weak = first_stage_f < WEAK_INSTRUMENT_F
    if weak:
        notes.append(
            f"weak instrument: the first-stage F is {first_stage_f:,.1f} (below {WEAK_INSTRUMENT_F:g}), so "
            "the 2SLS estimate is biased toward the confounded comparison and its interval is unreliable"
        )
    binary_treatment = set(np.unique(data[args.treatment])) <= {0.0, 1.0}
    target_reason = (
        "LATE: with an instrument the data speak for the units whose treatment the instrument changes "
        "(the compliers); it equals the average effect only if the effect is the same for everyone"
    )
    result = Estimation(
        design="iv",
        design_reason=choice.reason,
        target="late" if binary_treatment else "ate",
        target_reason=target_reason
        if binary_treatment
        else "the treatment is continuous: the effect per unit of treatment the instrument induces",
        headline=headline,
        standard_error=standard_error,
        methods=methods,
        assumptions=list(ASSUMPTIONS),
        why_trusted="two-stage least squares uses only the variation in the treatment that the instrument causes",
        dof=len(data) - len(covariates) - 2,
        warnings=notes,
        diagnostics={
            "first_stage_f": round(first_stage_f, 3),
            "first_stage_partial_r2": round(partial_r2, 5),
            "weak_instrument": float(weak),
        },
    )
    return result, (model, dowhy_iv)
