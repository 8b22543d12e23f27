"""Regression discontinuity: local linear fits either side of the cutoff (``rdrobust``).

``rdrobust`` (Calonico, Cattaneo & Titiunik) chooses the MSE-optimal bandwidth,
fits a local linear regression with a triangular kernel on each side, and gives
the bias-corrected estimate with its robust interval; that pair is the
headline, so estimate and interval belong together. A sharp design (treatment
is exactly "running ≥ cutoff") gives the jump in the outcome; a fuzzy one the
jump in the outcome over the jump in treatment. Covariates are checked for
jumps at the cutoff (a jump in something the treatment cannot move means units
sorted around the cutoff).
"""

from __future__ import annotations

import io
import logging
import warnings
from contextlib import redirect_stdout

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, MethodEstimate, Refutation
from causal_tasks.design import DesignChoice
from causal_tasks.estimation import Estimation, Progress

logger = logging.getLogger(__name__)

MAX_COVARIATE_CHECKS = 5
MIN_ROWS_PER_SIDE = 20

ASSUMPTIONS = [
    "units just below and just above the cutoff are alike in everything but the treatment (no other change "
    "happens at the cutoff)",
    "units could not place themselves precisely on one side of the cutoff (no sorting; checked with covariates)",
    "the estimate is the effect for units near the cutoff, not for everyone",
]


def _rdrobust(outcome: np.ndarray, running: np.ndarray, cutoff: float, fuzzy: np.ndarray | None = None):
    from rdrobust import rdrobust

    with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return rdrobust(outcome, running, c=cutoff, fuzzy=fuzzy)
        except Exception as exc:  # noqa: BLE001 - rdrobust raises bare Exception for data it cannot fit
            raise InvalidInputError(f"the regression discontinuity could not be fitted: {str(exc)[:300]}") from exc


def estimate(
    data: pd.DataFrame,
    args: CausalAnalysisArgs,
    covariates: list[str],
    choice: DesignChoice,
    progress: Progress,
    balance_data: pd.DataFrame | None = None,
) -> Estimation:
    """The jump at the cutoff from ``data``; covariates are checked on ``balance_data`` (rows with every one)."""
    running_name, cutoff = choice.running, choice.cutoff
    assert running_name is not None and cutoff is not None
    running = data[running_name].to_numpy(dtype=float)
    outcome = data[args.outcome].to_numpy(dtype=float)
    treatment = data[args.treatment].to_numpy(dtype=float)
    above = running >= cutoff
    if above.sum() < MIN_ROWS_PER_SIDE or (~above).sum() < MIN_ROWS_PER_SIDE:
        raise InvalidInputError(
            f"a regression discontinuity needs at least {MIN_ROWS_PER_SIDE} rows on each side of "
            f"{running_name} = {cutoff:g} ({int((~above).sum())} below, {int(above.sum())} above)"
        )
    sharp = bool(np.array_equal(treatment, above.astype(float)) or np.array_equal(treatment, (~above).astype(float)))
    if sharp and np.array_equal(treatment, (~above).astype(float)):
        # Treatment below the cutoff: the jump from treated to untreated is minus the effect.
        sign = -1.0
    else:
        sign = 1.0
    fit = _rdrobust(outcome, running, cutoff, None if sharp else treatment)
    value = sign * float(fit.coef.iloc[1, 0])
    conventional = sign * float(fit.coef.iloc[0, 0])
    robust_se = float(fit.se.iloc[2, 0])
    low, high = sorted(sign * float(bound) for bound in fit.ci.iloc[2])
    bandwidth = float(fit.bws.iloc[0, 0])
    in_window = int(np.sum(fit.N_h))
    progress("estimate", f"local linear at {running_name} = {cutoff:g}: {value:,.4g} (bandwidth {bandwidth:,.4g})", 45)
    headline = MethodEstimate(
        method="rdd.local_linear (bias-corrected, robust interval)", estimate=value, ci=(low, high)
    )
    methods = [
        headline,
        MethodEstimate(
            method="rdd.local_linear (conventional)",
            estimate=conventional,
            ci=tuple(sorted(sign * float(b) for b in fit.ci.iloc[0])),
        ),
    ]
    notes = []
    if not sharp:
        jump = float(
            np.mean(treatment[above & (np.abs(running - cutoff) <= bandwidth)])
            - np.mean(treatment[~above & (np.abs(running - cutoff) <= bandwidth)])
        )
        notes.append(
            f"fuzzy design: treatment changes by {jump:.0%} at the cutoff, not from 0 to 1, so the estimate "
            "is the effect for units whose treatment the cutoff switches"
        )
    checks = _covariate_jumps(data if balance_data is None else balance_data, covariates, running_name, cutoff)
    result = Estimation(
        design="rdd",
        design_reason=choice.reason + f"; {'sharp' if sharp else 'fuzzy'} design",
        target="at_cutoff",
        target_reason=(
            f"effect at the cutoff: local linear regressions within {bandwidth:,.4g} of {running_name} = "
            f"{cutoff:g} (MSE-optimal bandwidth, triangular kernel, {in_window} rows in the window)"
        ),
        headline=headline,
        standard_error=robust_se,
        methods=methods,
        assumptions=list(ASSUMPTIONS),
        why_trusted="the bias-corrected estimate and its robust interval account for the curvature the local "
        "linear fit misses",
        dof=max(in_window - 4, 1),
        warnings=notes,
        diagnostics={
            "bandwidth": round(bandwidth, 6),
            "rows_in_bandwidth": float(in_window),
            "cutoff": cutoff,
            "sharp": float(sharp),
        },
        of_what="effect at the cutoff",
    )
    result.refutations = checks
    return result


def _covariate_jumps(data: pd.DataFrame, covariates: list[str], running_name: str, cutoff: float) -> list[Refutation]:
    """A covariate fixed before the treatment should not jump at the cutoff (a placebo outcome)."""
    running = data[running_name].to_numpy(dtype=float)
    checked = [name for name in covariates if data[name].nunique() > 2][:MAX_COVARIATE_CHECKS]
    checked += [name for name in covariates if name not in checked][: max(0, MAX_COVARIATE_CHECKS - len(checked))]
    if not checked:
        return [
            Refutation(
                name="covariate balance at the cutoff",
                passed=True,
                detail="cannot be checked: no covariates were given",
            )
        ]
    jumps = []
    for name in checked:
        try:
            fit = _rdrobust(data[name].to_numpy(dtype=float), running, cutoff)
        except InvalidInputError as exc:
            logger.info("covariate %s not checked: %s", name, exc.message)
            continue
        jumps.append((name, float(fit.coef.iloc[1, 0]), float(fit.pv.iloc[2, 0])))
    if not jumps:
        return []
    # Bonferroni over the covariates checked.
    failed = [(name, jump, p) for name, jump, p in jumps if p < 0.05 / len(jumps)]
    listed = ", ".join(f"{name} (jump {jump:,.3g}, p = {p:.3f})" for name, jump, p in jumps)
    detail = (
        f"no covariate jumps at the cutoff: {listed}"
        if not failed
        else f"covariates jump at the cutoff, so units on either side differ in more than the treatment: {listed}"
    )
    return [
        Refutation(
            name="covariate balance at the cutoff",
            passed=not failed,
            detail=detail,
            p_value=min(p for _, _, p in jumps),
        )
    ]
