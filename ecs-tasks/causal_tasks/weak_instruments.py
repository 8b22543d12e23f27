"""Confidence sets for an instrumental-variable effect that stay valid however weak the instrument.

Two-stage least squares' interval assumes the instrument moves the treatment strongly; with a weak one it is too
narrow and centred on a value pulled toward the confounded comparison. Inverting a test whose size does not depend
on the instrument's strength gives every effect the data cannot reject instead. The sets can be a finite interval,
two rays, a half-line or the whole line; ``ConfidenceSet`` names which.

- One instrument: the Anderson–Rubin test with heteroskedasticity-robust (HC1) variance, like the rest of the IV
  path. With one instrument its acceptance region is a quadratic inequality in the effect, solved here in closed
  form (``ivmodels`` has only the constant-variance form, which under-covers when the errors' spread varies with
  the instrument).
- Several instruments: ``ivmodels``' Anderson–Rubin set and Moreira's conditional likelihood ratio set (the
  headline: it keeps its power where Anderson–Rubin spreads it over the over-identifying restrictions). Both
  assume errors of constant variance.

Exogenous covariates and the intercept are partialled out first.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from causal_common.models.confidence import ConfidenceSet

LEVEL = 0.95


def _pieces(boundaries: list[tuple[float, float]]) -> list[tuple[float | None, float | None]]:
    """``ivmodels`` boundaries with an infinite end as None (JSON has no infinity)."""

    def end(value: float) -> float | None:
        return float(value) if math.isfinite(value) else None

    return [(end(low), end(high)) for low, high in boundaries]


def _arrays(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    instrument_values = data[instruments].to_numpy(dtype=float)
    treatment_values = data[[treatment]].to_numpy(dtype=float)
    outcome_values = data[outcome].to_numpy(dtype=float)
    covariate_values = data[covariates].to_numpy(dtype=float) if covariates else None
    return instrument_values, treatment_values, outcome_values, covariate_values


def _quadratic_set(a: float, b: float, c: float) -> list[tuple[float | None, float | None]]:
    """The pieces of ``{x : a x² + b x + c ≤ 0}``."""
    scale = max(abs(a), abs(b), abs(c))
    if scale == 0:
        return [(None, None)]
    a, b, c = a / scale, b / scale, c / scale
    if abs(a) < 1e-12:
        if abs(b) < 1e-12:
            return [(None, None)] if c <= 0 else []
        root = -c / b
        return [(root, None)] if b < 0 else [(None, root)]
    discriminant = b * b - 4 * a * c
    if discriminant < 0:
        return [] if a > 0 else [(None, None)]
    low, high = sorted(((-b - math.sqrt(discriminant)) / (2 * a), (-b + math.sqrt(discriminant)) / (2 * a)))
    return [(low, high)] if a > 0 else [(None, low), (high, None)]


def robust_anderson_rubin_set(
    data: pd.DataFrame, treatment: str, outcome: str, instrument: str, covariates: list[str]
) -> ConfidenceSet:
    """Every effect b the heteroskedasticity-robust Anderson–Rubin test does not reject at 5 % (one instrument).

    The test regresses ``outcome − b × treatment`` on the instrument (covariates partialled out) and asks whether
    its coefficient, ``γ_y − b γ_t`` in terms of the two reduced forms, is zero. Its residual is ``e_y − b e_t``,
    so the robust variance is quadratic in b too, and the acceptance region ``(γ_y − b γ_t)² ≤ q · V(b)`` is one
    quadratic inequality. It is bounded exactly when the robust first-stage test rejects an irrelevant instrument.
    """
    exogenous = np.column_stack([np.ones(len(data)), data[covariates].to_numpy(dtype=float)])
    columns = data[[outcome, treatment, instrument]].to_numpy(dtype=float)
    coefficients, *_ = np.linalg.lstsq(exogenous, columns, rcond=None)
    y, t, z = (columns - exogenous @ coefficients).T
    rows, parameters = len(data), np.linalg.matrix_rank(exogenous) + 1
    spread = float(z @ z)
    if spread <= 0:
        raise ValueError(f"{instrument} does not vary beyond the covariates")
    gamma_y, gamma_t = float(z @ y) / spread, float(z @ t) / spread
    e_y, e_t = y - gamma_y * z, t - gamma_t * z
    weights = z * z
    # HC1: the sandwich scaled by n / (n − parameters), as the F critical value's degrees of freedom.
    variance_scale = rows / (rows - parameters) / spread**2
    v_yy, v_yt, v_tt = (float(weights @ (u * w)) * variance_scale for u, w in ((e_y, e_y), (e_y, e_t), (e_t, e_t)))
    critical = float(stats.f.ppf(LEVEL, 1, rows - parameters))
    pieces = _quadratic_set(
        gamma_t**2 - critical * v_tt,
        -2 * (gamma_y * gamma_t - critical * v_yt),
        gamma_y**2 - critical * v_yy,
    )
    return ConfidenceSet.of("iv.anderson_rubin", pieces, LEVEL)


def anderson_rubin_set(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> ConfidenceSet:
    """Every effect the (constant-variance) Anderson–Rubin test does not reject at 5 % (``ivmodels``).

    The test asks whether the outcome net of ``effect × treatment`` is still explained by the instruments; its
    F critical values make it exact under normal errors of constant variance, however weak the instrument.
    """
    from ivmodels.confidence_set import ConfidenceSet as IvmodelsSet
    from ivmodels.tests import inverse_anderson_rubin_test

    z, x, y, c = _arrays(data, treatment, outcome, instruments, covariates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quadric = inverse_anderson_rubin_test(z, x, y, alpha=1 - LEVEL, C=c, critical_values="f")
        found = IvmodelsSet.from_quadric(quadric)
    return ConfidenceSet.of("iv.anderson_rubin", _pieces(found.boundaries), LEVEL)


def conditional_likelihood_ratio_set(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> ConfidenceSet:
    """Every effect Moreira's conditional likelihood ratio test does not reject at 5 % (several instruments)."""
    from ivmodels.tests import inverse_conditional_likelihood_ratio_test

    z, x, y, c = _arrays(data, treatment, outcome, instruments, covariates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = inverse_conditional_likelihood_ratio_test(z, x, y, alpha=1 - LEVEL, C=c)
    return ConfidenceSet.of("iv.conditional_likelihood_ratio", _pieces(found.boundaries), LEVEL)


def robust_sets(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> list[ConfidenceSet]:
    """The Anderson–Rubin set, then with several instruments the conditional likelihood ratio set (the headline's)."""
    if len(instruments) == 1:
        return [robust_anderson_rubin_set(data, treatment, outcome, instruments[0], covariates)]
    return [
        anderson_rubin_set(data, treatment, outcome, instruments, covariates),
        conditional_likelihood_ratio_set(data, treatment, outcome, instruments, covariates),
    ]
