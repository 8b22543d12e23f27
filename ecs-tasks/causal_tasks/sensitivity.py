"""Sensitivity to an unmeasured confounder, in one plain sentence each.

Robustness value (Cinelli & Hazlett 2020): the share of the residual variance
of both the treatment and the outcome an unmeasured confounder would need to
explain to bring the estimate to zero. For a linear-regression estimate it is
DoWhy's ``add_unobserved_common_cause`` (``linear-partial-R2``); for another
headline (doubly robust, 2SLS, ...) the same formula is applied to that
estimate's own t-statistic, which is what the partially linear bound reduces to
(Chernozhukov et al. 2022).

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

from causal_common.models.tools import Sensitivity

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
