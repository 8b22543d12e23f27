"""Propensity scores, overlap of treated and control, and covariate balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from causal_common.models.tools import BalanceRow

# Share of units outside the common support above which overlap counts as poor.
POOR_OVERLAP_SHARE = 0.10
# Largest normalised inverse-probability weight above which weights count as extreme.
EXTREME_WEIGHT_SHARE = 0.05
LARGE_SMD = 0.25


def propensity_model() -> Pipeline:
    """Scaled logistic regression: converges on raw earnings-sized covariates, unlike the unscaled default."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def flexible_propensity_scores(frame: pd.DataFrame, treatment: str, covariates: list[str]) -> tuple[np.ndarray, str]:
    """Out-of-fold scores of the better of logistic regression and gradient boosting, and which it was."""
    from causal_tasks.doubly_robust import propensity_model as cross_fitted

    fitted, _ = cross_fitted(frame[covariates].to_numpy(dtype=float), frame[treatment].to_numpy() == 1)
    return np.clip(fitted.predictions, 1e-9, 1 - 1e-9), fitted.chosen


def propensity_scores(frame: pd.DataFrame, treatment: str, covariates: list[str]) -> np.ndarray:
    model = propensity_model()
    features = frame[covariates].to_numpy(dtype=float)
    model.fit(features, frame[treatment].to_numpy() == 1)
    return np.clip(model.predict_proba(features)[:, 1], 1e-9, 1 - 1e-9)


def overlap_summary(scores: np.ndarray, treated: np.ndarray) -> dict[str, float]:
    """Propensity ranges per group, the share of units outside the common support, extreme weights."""
    treated = treated.astype(bool)
    treated_scores, control_scores = scores[treated], scores[~treated]
    low = max(treated_scores.min(), control_scores.min())
    high = min(treated_scores.max(), control_scores.max())
    outside = (scores < low) | (scores > high)
    # Controls the treated cannot be compared with: below the lowest treated score.
    weights = np.where(treated, 1 / scores, 1 / (1 - scores))
    weights_treated = weights[treated] / weights[treated].sum()
    weights_control = weights[~treated] / weights[~treated].sum()
    return {
        "treated_min": float(treated_scores.min()),
        "treated_max": float(treated_scores.max()),
        "control_min": float(control_scores.min()),
        "control_max": float(control_scores.max()),
        "common_support_low": float(low),
        "common_support_high": float(high),
        "share_outside_common_support": float(outside.mean()),
        "share_extreme_scores": float(((scores < 0.05) | (scores > 0.95)).mean()),
        "max_weight_share": float(max(weights_treated.max(), weights_control.max())),
    }


def overlap_warnings(summary: dict[str, float], model: str = "logistic") -> list[str]:
    """Poor overlap and extreme weights, in words; ``model`` names the propensity model the scores came from."""
    warnings: list[str] = []
    outside = summary["share_outside_common_support"]
    extreme = summary["share_extreme_scores"]
    if outside > POOR_OVERLAP_SHARE or extreme > 2 * POOR_OVERLAP_SHARE:
        warnings.append(
            f"poor overlap: {outside:.0%} of units lie outside the common propensity support "
            f"[{summary['common_support_low']:.3g}, {summary['common_support_high']:.3g}] and "
            f"{extreme:.0%} have propensity scores ({model} model, out of fold) below 0.05 or above 0.95; estimates for the whole population "
            "(ATE) extrapolate beyond the data"
        )
    if summary["max_weight_share"] > EXTREME_WEIGHT_SHARE:
        warnings.append(
            f"extreme weights: one unit carries {summary['max_weight_share']:.0%} of its group's inverse-propensity "
            "weight, so weighting estimates are unstable"
        )
    return warnings


def poor_overlap(summary: dict[str, float]) -> bool:
    return bool(overlap_warnings(summary)) and (
        summary["share_outside_common_support"] > POOR_OVERLAP_SHARE
        or summary["share_extreme_scores"] > 2 * POOR_OVERLAP_SHARE
    )


def balance(frame: pd.DataFrame, treatment: str, covariates: list[str]) -> list[BalanceRow]:
    treated = frame[treatment] == 1
    rows: list[BalanceRow] = []
    for name in covariates:
        values = frame[name].astype(float)
        mean_treated, mean_control = values[treated].mean(), values[~treated].mean()
        pooled = np.sqrt((values[treated].var() + values[~treated].var()) / 2)
        smd = 0.0 if not pooled or np.isnan(pooled) else (mean_treated - mean_control) / pooled
        rows.append(
            BalanceRow(
                covariate=name, mean_treated=float(mean_treated), mean_control=float(mean_control), smd=float(smd)
            )
        )
    return rows


def balance_warnings(rows: list[BalanceRow]) -> list[str]:
    large = [row for row in rows if abs(row.smd) > LARGE_SMD]
    if not large:
        return []
    listed = ", ".join(f"{row.covariate} ({row.smd:+.2f})" for row in sorted(large, key=lambda r: -abs(r.smd))[:6])
    return [f"treated and control differ before treatment (|SMD| > {LARGE_SMD}): {listed}"]
