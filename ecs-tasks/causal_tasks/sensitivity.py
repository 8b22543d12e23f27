"""Sensitivity to an unmeasured confounder, in one plain sentence each.

Robustness value (Cinelli & Hazlett 2020): the share of the residual variance
of both the treatment and the outcome an unmeasured confounder would need to
explain to bring the estimate to zero. For a linear-regression estimate it is
DoWhy's ``add_unobserved_common_cause`` (``linear-partial-R2``); for another
headline (doubly robust, 2SLS, ...) the same formula is applied to that
estimate's own t-statistic, which is what the partially linear bound reduces to
(Chernozhukov et al. 2022).

Benchmark bound (Cinelli & Hazlett 2020, section 6): the robustness value says how strong a confounder would
have to be, not whether one that strong is plausible. Measured covariates give the scale: a confounder as
strong as the strongest measured covariate (the same partial R² with the treatment and with the outcome,
from linear fits) moves the estimate by a bias that the same formula gives, and when the moved interval
includes zero the data cannot settle the question unless every common cause that strong was measured.

E-value (VanderWeele & Ding 2017), for a binary outcome: the risk ratio an
unmeasured confounder would need with both treatment and outcome to explain
the estimate away.
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from causal_common.models.tools import ConfounderBenchmark, Sensitivity

logger = logging.getLogger(__name__)


def robustness_value(t_statistic: float, dof: int) -> float:
    """Share of residual variance (partial R²) that brings the estimate to zero (Cinelli & Hazlett, eq. 17)."""
    if dof <= 0 or not np.isfinite(t_statistic):
        return 0.0
    f = abs(t_statistic) / math.sqrt(dof)
    return float(0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2))


def dowhy_robustness_value(model: Any, estimate: Any, benchmark: str | None) -> float | None:
    """DoWhy's linear partial-R² robustness value of a linear-regression estimate (None if it cannot run)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyzer = model.refute_estimate(
                copy.deepcopy(estimate.target_estimand),
                estimate,
                method_name="add_unobserved_common_cause",
                simulation_method="linear-partial-R2",
                benchmark_common_causes=[benchmark] if benchmark else [],
                # A list: DoWhy 0.14 iterates over the strengths (a scalar raises TypeError).
                effect_fraction_on_treatment=[1.0],
                plot_estimate=False,
            )
        return float(analyzer.stats["robustness_value"])
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        ArithmeticError,
        NotImplementedError,
        np.linalg.LinAlgError,
    ) as exc:
        logger.info("linear partial-R2 sensitivity could not run: %s", exc)
        return None


def robustness_sentence(value: float, treatment: str, outcome: str, of_what: str) -> Sensitivity:
    share = f"{value:.0%}" if value >= 0.01 else "under 1%"
    if value < 0.05:
        strength = "so even a weak unmeasured confounder could remove it"
    elif value < 0.2:
        strength = "a moderate confounder, comparable to a strong measured one, could remove it"
    else:
        strength = "only a strong unmeasured confounder could remove it"
    sentence = (
        f"An unmeasured confounder would need to explain {share} of the residual variance of both "
        f"`{treatment}` and `{outcome}` to bring the {of_what} to zero; {strength}."
    )
    return Sensitivity(name="robustness value", value=round(value, 4), sentence=sentence)


def e_value(risk_ratio: float) -> float:
    """VanderWeele & Ding's E-value of a risk ratio (1 when there is no association)."""
    if not np.isfinite(risk_ratio) or risk_ratio <= 0:
        return float("nan")
    ratio = risk_ratio if risk_ratio >= 1 else 1 / risk_ratio
    return float(ratio + math.sqrt(ratio * (ratio - 1)))


def e_value_sentence(baseline: float, difference: float, ci: tuple[float, float] | None) -> Sensitivity | None:
    """E-value of a risk difference on top of the baseline risk, and of the interval limit nearer to no effect."""
    if not 0 < baseline < 1 or not 0 < baseline + difference < 1:
        return None
    risk_ratio = (baseline + difference) / baseline
    value = e_value(risk_ratio)
    limit_text = ""
    if ci is not None:
        nearer = ci[0] if difference > 0 else ci[1]
        if (difference > 0 and nearer <= 0) or (difference < 0 and nearer >= 0):
            limit_text = "; the interval already includes no effect, so its E-value is 1"
        elif 0 < baseline + nearer < 1:
            limit_text = (
                f"; for the interval limit nearer to no effect it is {e_value((baseline + nearer) / baseline):.2f}"
            )
    sentence = (
        f"E-value {value:.2f}: an unmeasured confounder associated with both treatment and outcome by a risk "
        f"ratio of {value:.2f} each could explain away the risk ratio of {risk_ratio:.2f} "
        f"(baseline risk {baseline:.1%}){limit_text}."
    )
    return Sensitivity(name="e-value", value=round(value, 4), sentence=sentence)


def _partial_r2(fit: Any, columns: list[str]) -> float:
    """Partial R² of ``columns`` in an OLS fit: t²/(t² + dof) for one, the F statistic's form for a group."""
    dof = float(fit.df_resid)
    coefficients = fit.params[columns].to_numpy()
    covariance = fit.cov_params().loc[columns, columns].to_numpy()
    statistic = float(coefficients @ np.linalg.pinv(covariance) @ coefficients)
    return statistic / (statistic + dof) if np.isfinite(statistic) and dof > 0 else float("nan")


def benchmark_strengths(
    data: pd.DataFrame, treatment: str, outcome: str, covariates: list[str], encoded_from: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """Per measured covariate (coded text columns as one group): the partial R² a confounder as strong as it
    would have with the treatment (given the covariates) and with the outcome (given treatment and covariates).

    Cinelli & Hazlett (2020), eqs. 50-52 with k_D = k_Y = 1. A covariate whose implied bounds reach 1 (it alone
    explains half the treatment's, or with the treatment nearly all the outcome's, remaining variance) is left out.
    """
    groups: dict[str, list[str]] = {}
    for column in covariates:
        groups.setdefault(encoded_from.get(column, column), []).append(column)
    features = data[covariates].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        treatment_fit = sm.OLS(data[treatment].astype(float), sm.add_constant(features, has_constant="add")).fit()
        outcome_design = sm.add_constant(
            pd.concat([data[treatment].astype(float), features], axis=1), has_constant="add"
        )
        outcome_fit = sm.OLS(data[outcome].astype(float), outcome_design).fit()
    strengths: dict[str, tuple[float, float]] = {}
    for name, columns in groups.items():
        r2_treatment_covariate = _partial_r2(treatment_fit, columns)
        r2_outcome_covariate = _partial_r2(outcome_fit, columns)
        if not (0 <= r2_treatment_covariate < 0.5 and 0 <= r2_outcome_covariate < 1):
            # Above 1/2 a confounder "as strong" would need a partial R² ≥ 1 with the treatment: no bound.
            continue
        r2_treatment = r2_treatment_covariate / (1 - r2_treatment_covariate)
        r2_with_covariate = r2_treatment_covariate**2 / ((1 - r2_treatment_covariate) ** 2)
        r2_outcome = ((1 + math.sqrt(r2_with_covariate)) / math.sqrt(1 - r2_with_covariate)) ** 2 * (
            r2_outcome_covariate / (1 - r2_outcome_covariate)
        )
        if r2_outcome >= 1:
            # The implied bound is impossible (C&H: "try lower k"): such a confounder would leave the outcome no
            # residual variance at all, so this covariate cannot serve as a benchmark of plausible confounding.
            continue
        strengths[name] = (r2_treatment, r2_outcome)
    return strengths


def confounder_benchmark(
    strengths: dict[str, tuple[float, float]],
    estimate: float,
    standard_error: float,
    dof: int,
    ci: tuple[float, float] | None,
    treatment: str,
    outcome: str,
) -> ConfounderBenchmark | None:
    """The estimate moved toward zero by a confounder as strong as the covariate that moves it most.

    Bias and standard error follow Cinelli & Hazlett (2020), eqs. 10-11, on the headline's own standard error
    and degrees of freedom (what the partially linear bound reduces to, as for the robustness value).
    """
    if not strengths or dof <= 2 or not standard_error > 0 or not np.isfinite(estimate):
        return None

    def bias(r2_treatment: float, r2_outcome: float) -> float:
        return math.sqrt(r2_outcome * r2_treatment / (1 - r2_treatment)) * standard_error * math.sqrt(dof)

    benchmark = max(strengths, key=lambda name: bias(*strengths[name]))
    r2_treatment, r2_outcome = strengths[benchmark]
    # Toward zero, and past it when the bias is larger than the estimate.
    adjusted = math.copysign(1.0, estimate) * (abs(estimate) - bias(r2_treatment, r2_outcome))
    adjusted_se = standard_error * math.sqrt((1 - r2_outcome) / (1 - r2_treatment)) * math.sqrt(dof / (dof - 1))
    half_width = float(stats.t.ppf(0.975, dof - 1)) * adjusted_se
    adjusted_ci = (adjusted - half_width, adjusted + half_width)
    clear_before = ci is not None and not ci[0] <= 0 <= ci[1]
    clear_after = not adjusted_ci[0] <= 0 <= adjusted_ci[1] and adjusted * estimate > 0
    explains_away = clear_before and not clear_after
    strength = (
        f"`{benchmark}`, the measured covariate that matters most here, explains {r2_treatment:.0%} of the "
        f"treatment's and {r2_outcome:.0%} of the outcome's remaining variance"
    )
    moved = f"{adjusted:,.4g} (95% CI {adjusted_ci[0]:,.4g} to {adjusted_ci[1]:,.4g})"
    if explains_away:
        sentence = (
            f"An unmeasured confounder as strong as `{benchmark}` would explain the effect away: it would move "
            f"the estimate from {estimate:,.4g} to {moved}, which includes no effect ({strength}). Unless every "
            f"common cause of `{treatment}` and `{outcome}` that strong was measured, these data cannot settle "
            "whether there is an effect."
        )
    elif clear_before:
        size = (
            "; its direction holds, but its size rests on there being no such confounder"
            if ci is not None and not ci[0] <= adjusted <= ci[1]
            else ""
        )
        sentence = (
            f"An unmeasured confounder as strong as `{benchmark}` would move the estimate from {estimate:,.4g} to "
            f"{moved}, which still excludes no effect ({strength}): explaining the effect away would take a "
            f"confounder stronger than any measured one{size}."
        )
    else:
        sentence = (
            f"An unmeasured confounder as strong as `{benchmark}` would move the estimate from {estimate:,.4g} to "
            f"{moved} ({strength})."
        )
    return ConfounderBenchmark(
        benchmark=benchmark,
        r2_treatment=round(r2_treatment, 4),
        r2_outcome=round(r2_outcome, 4),
        adjusted_estimate=adjusted,
        adjusted_ci=adjusted_ci,
        explains_away=explains_away,
        sentence=sentence,
    )
