"""Instrumental variables: two-stage least squares (linearmodels), the instrument's strength, and with a weak
instrument a headline interval that stays valid however weak it is (``causal_tasks.weak_instruments``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.confidence import ConfidenceSet
from causal_common.models.tools import CausalAnalysisArgs, MethodEstimate
from causal_tasks import weak_instruments
from causal_tasks.design import DesignChoice
from causal_tasks.estimation import (
    ESTIMATION_ERRORS,
    Estimation,
    Progress,
    dowhy_estimate,
    dowhy_model,
    timed,
    value_of,
)

# Staiger & Stock's rule of thumb: a first-stage F below 10 marks a weak instrument.
WEAK_INSTRUMENT_F = 10.0

ASSUMPTIONS = [
    "the instrument moves the treatment (relevance: checked by the first-stage F)",
    "the instrument reaches the outcome only through the treatment (exclusion: cannot be checked from the data)",
    "the instrument shares no unmeasured cause with the outcome, given the covariates (independence)",
    "the instrument pushes everyone's treatment the same way (monotonicity; with a varying effect the estimate is "
    "the effect on those whose treatment the instrument changes)",
]


@dataclass
class TwoStageFit:
    estimate: float
    standard_error: float
    ci: tuple[float, float]
    # Heteroskedasticity-robust Wald statistic of the excluded instruments in the first stage, divided by their
    # number (what Stata's ivreg2 and R's ivreg report as the robust F; with one instrument it is also Montiel Olea
    # and Pflueger's effective F).
    first_stage_f: float
    partial_r2: float
    # Limited-information maximum likelihood: the effect the weak-instrument tests reject least (equal to 2SLS
    # with one instrument).
    liml: float


def two_stage_least_squares(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> TwoStageFit:
    """2SLS with heteroskedasticity-robust errors, the first stage's robust F and partial R², and LIML."""
    from linearmodels.iv import IV2SLS, IVLIML
    from linearmodels.iv.results import IVResults

    exogenous = data[covariates].copy() if covariates else pd.DataFrame(index=data.index)
    exogenous.insert(0, "const", 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = IV2SLS(data[outcome], exogenous, data[[treatment]], data[instruments]).fit(cov_type="robust")
        assert isinstance(fit, IVResults)  # an OLSResults only when there is no endogenous variable
        diagnostics = fit.first_stage.diagnostics
        liml = float(fit.params[treatment])
        if len(instruments) > 1:
            liml_fit = IVLIML(data[outcome], exogenous, data[[treatment]], data[instruments]).fit(cov_type="robust")
            liml = float(liml_fit.params[treatment])
    bounds = fit.conf_int().loc[treatment]
    return TwoStageFit(
        estimate=float(fit.params[treatment]),
        standard_error=float(fit.std_errors[treatment]),
        ci=(float(bounds.iloc[0]), float(bounds.iloc[1])),
        # linearmodels reports the robust Wald statistic itself (chi-squared with one degree per instrument).
        first_stage_f=float(diagnostics.loc[treatment, "f.stat"]) / len(instruments),
        partial_r2=float(diagnostics.loc[treatment, "partial.rsquared"]),
        liml=liml,
    )


def _weak_warning(first_stage_f: float, headline: ConfidenceSet | None, instruments: list[str], treatment: str) -> str:
    named = ", ".join(f"`{name}`" for name in instruments)
    moves = "moves" if len(instruments) == 1 else "move"
    start = (
        f"weak instrument: the first-stage F is {first_stage_f:,.1f} (heteroskedasticity-robust; below "
        f"{WEAK_INSTRUMENT_F:g}), so {named} {moves} `{treatment}` too little for two-stage least squares to be "
        "trusted: its estimate is pulled toward the confounded comparison and its interval is too narrow"
    )
    if headline is None:
        return start + "; no interval valid under a weak instrument could be computed, so treat the estimate as rough"
    name = headline.test_name
    if headline.shape == "interval":
        return start + f". The headline interval is the {name} one, which stays valid however weak the instrument"
    return (
        start + f". The {name} set, which stays valid however weak the instrument, is not one finite interval: "
        f"the data are consistent with {headline.describe()}"
    )


def estimate(
    data: pd.DataFrame, args: CausalAnalysisArgs, covariates: list[str], choice: DesignChoice, progress: Progress
) -> tuple[Estimation, tuple[Any, Any] | None]:
    """2SLS as the headline with a strong instrument; with a weak one the weak-instrument-robust set leads.

    The design stays IV whatever the first-stage F: the instrument was named by the user or the dataset's roles,
    and an adjustment estimate (which cannot see an unmeasured confounder) is reported beside it, not instead.
    """
    instruments = choice.instruments
    constant = [name for name in instruments if data[name].nunique() <= 1]
    if constant:
        raise InvalidInputError(f"instrument(s) {', '.join(constant)} do not vary in the analysed rows")
    fit = two_stage_least_squares(data, args.treatment, args.outcome, instruments, covariates)
    progress("estimate", f"2SLS: {fit.estimate:,.4g} (first-stage F {fit.first_stage_f:,.1f})", 45)
    two_stage = MethodEstimate(method="iv.two_stage_least_squares", estimate=fit.estimate, ci=fit.ci)
    notes: list[str] = []
    try:
        sets = weak_instruments.robust_sets(data, args.treatment, args.outcome, instruments, covariates)
    except (*ESTIMATION_ERRORS, AssertionError) as exc:  # ivmodels checks its root finding with assert
        sets = []
        notes.append(f"the weak-instrument-robust (Anderson–Rubin) interval could not be computed: {exc}")
    robust = [
        MethodEstimate(method=found.method, estimate=fit.liml, ci=found.interval, confidence_set=found)
        for found in sets
    ]
    weak = fit.first_stage_f < WEAK_INSTRUMENT_F
    if weak:
        notes.insert(0, _weak_warning(fit.first_stage_f, sets[-1] if sets else None, instruments, args.treatment))
    elif sets and sets[-1].contains(0.0) != (fit.ci[0] <= 0.0 <= fit.ci[1]):
        # An F above 10 does not make the 2SLS interval exact: where it and the weak-instrument-robust set
        # disagree about no effect, the conclusion depends on trusting the instrument's strength.
        robust_includes = sets[-1].contains(0.0)
        notes.append(
            f"the two-stage least squares interval {'excludes' if robust_includes else 'includes'} no effect but "
            f"the {sets[-1].test_name} set, valid however weak the instrument, "
            f"{'includes' if robust_includes else 'excludes'} it: with a first-stage F of {fit.first_stage_f:,.1f} "
            "whether the effect differs from zero depends on trusting 2SLS"
        )
    headline = robust[-1] if weak and robust else two_stage
    model, estimand = dowhy_model(data, args.treatment, args.outcome, covariates, instruments)
    dowhy_iv = None

    def dowhy_wald() -> tuple[float, tuple[float, float] | None]:
        nonlocal dowhy_iv
        dowhy_iv = dowhy_estimate(model, estimand, "iv.instrumental_variable", "ate")
        return value_of(dowhy_iv), None

    dowhy_line = timed("iv.instrumental_variable", dowhy_wald)
    dowhy_line.method = "iv.instrumental_variable (DoWhy, no covariates)"
    others = [line for line in (two_stage, *robust) if line is not headline]
    methods = [headline, *others, dowhy_line]
    binary_treatment = set(np.unique(data[args.treatment])) <= {0.0, 1.0}
    target_reason = (
        "LATE: with an instrument the data speak for the units whose treatment the instrument changes "
        "(the compliers); it equals the average effect only if the effect is the same for everyone"
    )
    why_trusted = "two-stage least squares uses only the variation in the treatment that the instrument causes"
    if headline.confidence_set is not None:
        why_trusted = (
            f"the {headline.confidence_set.test_name} test uses only the variation the instrument causes and keeps its "
            "5% error rate however weak the instrument"
        )
    diagnostics = {
        "first_stage_f": round(fit.first_stage_f, 3),
        "first_stage_partial_r2": round(fit.partial_r2, 5),
        "weak_instrument": float(weak),
    }
    result = Estimation(
        design="iv",
        design_reason=choice.reason,
        target="late" if binary_treatment else "ate",
        target_reason=target_reason
        if binary_treatment
        else "the treatment is continuous: the effect per unit of treatment the instrument induces",
        headline=headline,
        # A weak instrument's 2SLS standard error is the misleading part: no sensitivity figure is built on it.
        standard_error=fit.standard_error if headline is two_stage else None,
        methods=methods,
        assumptions=list(ASSUMPTIONS),
        why_trusted=why_trusted,
        dof=len(data) - len(covariates) - 2,
        warnings=notes,
        diagnostics=diagnostics,
    )
    return result, (model, dowhy_iv)
