"""Confidence sets for an instrumental-variable effect that stay valid however weak the instrument (``ivmodels``).

Two-stage least squares' interval assumes the instrument moves the treatment strongly; with a weak one it is too
narrow and centred on a value pulled toward the confounded comparison. Inverting a test whose size does not depend
on the instrument's strength gives every effect the data cannot reject instead: the Anderson–Rubin test (exact
with one instrument) and, with several instruments, the conditional likelihood ratio test (Moreira 2003), which
keeps its power where the Anderson–Rubin test spreads it over the over-identifying restrictions. The sets can be a
finite interval, two rays, a half-line or the whole line; ``ConfidenceSet`` names which.

Both tests assume errors of constant variance (``ivmodels`` has no heteroskedasticity-robust form of them); the
exogenous covariates and the intercept are partialled out first.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

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


def anderson_rubin_set(
    data: pd.DataFrame, treatment: str, outcome: str, instruments: list[str], covariates: list[str]
) -> ConfidenceSet:
    """Every effect the Anderson–Rubin test does not reject at 5 %: a quadratic inequality in the effect.

    The test asks whether the outcome net of ``effect × treatment`` is still explained by the instruments; its
    F critical values make it exact under normal errors, however weak the instrument.
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
    sets = [anderson_rubin_set(data, treatment, outcome, instruments, covariates)]
    if len(instruments) > 1:
        sets.append(conditional_likelihood_ratio_set(data, treatment, outcome, instruments, covariates))
    return sets
