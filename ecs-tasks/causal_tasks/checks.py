"""Checks that fail when the model is wrong: specification, estimator disagreement, post-treatment covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_common.models.tools import ColumnNote, MethodEstimate, Refutation
from causal_common.roles import measured_after_cue

Z_95 = 1.959963984540054
MATERIAL_SHARE = 0.05
# A covariate whose variance the treatment explains this much beyond the other covariates looks post-treatment.
POST_TREATMENT_PARTIAL_R2 = 0.3


def z_difference(first: float, first_se: float | None, second: float, second_se: float | None) -> float | None:
    if first_se is None or second_se is None:
        return None
    spread = float(np.hypot(first_se, second_se))
    return abs(first - second) / spread if spread > 0 else None


def se_from_ci(ci: tuple[float, float] | None) -> float | None:
    return None if ci is None else (ci[1] - ci[0]) / (2 * Z_95)


def specification_check(
    linear: MethodEstimate | None, flexible: MethodEstimate | None, losses: dict[str, float] | None
) -> Refutation | None:
    """Linear vs flexible outcome model: fails when their estimates differ beyond their joint uncertainty.

    The two share the data, so treating their errors as independent makes the test conservative: when it fails,
    the linear model's answer is really different. The out-of-fold fit of both outcome models is reported beside.
    """
    if linear is None or flexible is None or linear.error or flexible.error:
        return None
    z = z_difference(linear.estimate, se_from_ci(linear.ci), flexible.estimate, se_from_ci(flexible.ci))
    if z is None:
        return None
    fit = ""
    flexible_losses = {name: loss for name, loss in (losses or {}).items() if name != "linear"}
    if flexible_losses and (losses or {}).get("linear", 0) > 0:
        best = min(flexible_losses, key=flexible_losses.__getitem__)
        gain = 1 - flexible_losses[best] / losses["linear"]  # type: ignore[index]
        fit = (
            f"; out of fold, {best} predicts the outcome with {abs(gain):.0%} "
            f"{'less' if gain >= 0 else 'more'} squared error than the linear model"
        )
    passed = z <= Z_95
    detail = (
        f"linear regression gives {linear.estimate:,.4g}, the flexible (doubly robust) estimate "
        f"{flexible.estimate:,.4g}: {z:.1f} standard errors apart (passes at ≤ 1.96){fit}"
    )
    if not passed:
        detail += "; the linear outcome model is misspecified, so its estimate is not trusted"
    return Refutation(name="specification (linear vs flexible outcome model)", passed=passed, detail=detail)


WHY_NOT_TRUSTED = {
    "backdoor.linear_regression": "it assumes the outcome is a straight-line function of the covariates",
    "regression with covariates": "it assumes the outcome is a straight-line function of the covariates",
    "backdoor.propensity_score_matching": "it matches on a logistic propensity score, which misses selection "
    "that is not linear in the covariates, and matching with replacement "
    "is noisy",
    "backdoor.propensity_score_weighting": "inverse-probability weights from a logistic propensity score are "
    "unstable when a few units carry large weights",
    "iv.instrumental_variable (DoWhy, no covariates)": "it ignores the covariates, so it is noisier and needs the "
    "instrument to be independent of them",
    "iv.instrumental_variable": "it relies on the instrument reaching the outcome only through the treatment",
    "difference in means": "it does not adjust for the covariates",
    "did.two_way_fixed_effects": "with staggered adoption it also uses units already treated as controls, which "
    "biases it when the effect changes with time since adoption",
}


def disagreement(headline: MethodEstimate, methods: list[MethodEstimate], why_trusted: str) -> list[str]:
    """Sentences for estimators whose estimates differ from the headline beyond what their intervals allow."""
    notes: list[str] = []
    headline_se = se_from_ci(headline.ci)
    for method in methods:
        if method.method == headline.method or method.error is not None or not np.isfinite(method.estimate):
            continue
        z = z_difference(headline.estimate, headline_se, method.estimate, se_from_ci(method.ci))
        if z is None and headline.ci is not None:
            # Without its own interval, an estimate outside the headline's interval widened by √2 disagrees.
            half = (headline.ci[1] - headline.ci[0]) / 2 * np.sqrt(2)
            z = abs(method.estimate - headline.estimate) / half * Z_95 if half > 0 else None
        # A difference must also matter: under 5% of the larger estimate is noise however tight the intervals.
        material = abs(method.estimate - headline.estimate) > MATERIAL_SHARE * max(
            abs(method.estimate), abs(headline.estimate)
        )
        if z is None or z <= Z_95 or not material:
            continue
        reason = WHY_NOT_TRUSTED.get(method.method, "its assumptions differ")
        notes.append(
            f"`{method.method}` gives {method.estimate:,.4g}, {z:.1f} standard errors from the headline "
            f"{headline.estimate:,.4g}; the headline is trusted over it because {why_trusted}, while {reason}"
        )
    return notes


def post_treatment_suspects(
    data: pd.DataFrame,
    treatment: str,
    covariates: list[str],
    descriptions: dict[str, str],
    encoded_from: dict[str, str] | None = None,
    outcome: str | None = None,
) -> list[ColumnNote]:
    """Covariates that look measured after the treatment: by their name or description, or by the data.

    Data: the treatment explains at least 30 % of a covariate's variance beyond the other covariates (partial R²
    of a linear fit). A strong confounder can do that too, so a flagged column is a question for the user, not a
    verdict; naming it as excluded, or leaving it out of the common causes, settles it.
    """
    encoded_from = encoded_from or {}
    suspects: dict[str, str] = {}
    originals = list(dict.fromkeys(encoded_from.get(name, name) for name in covariates))
    for name in originals:
        description = descriptions.get(name, "")
        cue = measured_after_cue(name, description)
        if cue is not None:
            said = (
                f"its description says {description!r}"
                if cue == "description"
                else "its name says it was measured after"
            )
            suspects[name] = f"{said}: a column measured after the treatment must not be adjusted for"
    if treatment in data.columns and len(covariates) and len(data) > len(covariates) + 5:
        treated = data[treatment].to_numpy(dtype=float)
        matrix = data[covariates].to_numpy(dtype=float)
        for index, name in enumerate(covariates):
            original = encoded_from.get(name, name)
            if original in suspects:
                continue
            share = _partial_r2(matrix[:, index], treated, np.delete(matrix, index, axis=1))
            if share >= POST_TREATMENT_PARTIAL_R2:
                suspects[original] = (
                    f"the treatment explains {share:.0%} of its variance beyond the other covariates, as it would "
                    "for a mediator or another consequence of the treatment; if it was measured after the "
                    "treatment, leave it out (a strong confounder can look the same)"
                )
    return [ColumnNote(column=name, reason=reason) for name, reason in suspects.items()]


def _partial_r2(column: np.ndarray, treatment: np.ndarray, others: np.ndarray) -> float:
    base = np.column_stack([np.ones(len(column)), others]) if others.size else np.ones((len(column), 1))
    full = np.column_stack([base, treatment])
    residual_base = column - base @ np.linalg.lstsq(base, column, rcond=None)[0]
    residual_full = column - full @ np.linalg.lstsq(full, column, rcond=None)[0]
    base_ss = float(residual_base @ residual_base)
    if base_ss <= 1e-12:
        return 0.0
    return max(0.0, 1 - float(residual_full @ residual_full) / base_ss)
