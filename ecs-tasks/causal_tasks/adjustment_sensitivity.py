"""How the estimate moves when each covariate is left out of the adjustment set.

Whether a covariate was measured before or after the treatment cannot be read from the data: a strong
confounder and a mediator both move with the treatment. So instead of guessing, every adjustment answer
shows the estimate with each covariate left out in turn (and with every suspect out together), from the
same linear adjustment each time, so the user sees which decision matters. A variant whose estimate falls
outside the headline's interval is marked: that decision changes the answer, and only the user can settle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from causal_common.models.tools import AdjustmentVariant

MAX_VARIANTS = 12


def _ols(data: pd.DataFrame, treatment: str, outcome: str, columns: list[str]) -> tuple[float, tuple[float, float]]:
    design = sm.add_constant(data[[treatment, *columns]].astype(float), has_constant="add")
    fit = sm.OLS(data[outcome].astype(float), design).fit(cov_type="HC1")
    estimate = float(fit.params[treatment])
    low, high = (float(v) for v in fit.conf_int().loc[treatment])
    return estimate, (low, high)


def adjustment_variants(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    encoded_from: dict[str, str],
    headline_ci: tuple[float, float] | None,
    suspects: list[str] | None = None,
) -> list[AdjustmentVariant]:
    """The linear-adjustment estimate with everything, then without each original covariate, then without all
    ``suspects``; ``moves`` marks a variant outside ``headline_ci``."""
    groups: dict[str, list[str]] = {}
    for column in covariates:
        groups.setdefault(encoded_from.get(column, column), []).append(column)
    if not groups or len(data) <= len(covariates) + 3:
        return []
    variants = [AdjustmentVariant(left_out=[], estimate=0.0, ci=None)]
    plans: list[list[str]] = [[name] for name in list(groups)[:MAX_VARIANTS]]
    together = [name for name in suspects or [] if name in groups]
    if len(together) > 1:
        plans.append(together)
    rows: list[tuple[list[str], float, tuple[float, float]]] = []
    try:
        full = _ols(data, treatment, outcome, covariates)
        rows.append(([], *full))
        for plan in plans:
            kept = [column for column in covariates if encoded_from.get(column, column) not in plan]
            rows.append((plan, *_ols(data, treatment, outcome, kept)))
    except (np.linalg.LinAlgError, ValueError):
        return []
    variants = []
    for left_out, estimate, ci in rows:
        if not np.isfinite(estimate):
            continue
        moves = bool(left_out) and headline_ci is not None and not headline_ci[0] <= estimate <= headline_ci[1]
        variants.append(AdjustmentVariant(left_out=left_out, estimate=estimate, ci=ci, moves=moves))
    return variants
