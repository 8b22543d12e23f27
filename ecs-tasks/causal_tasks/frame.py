"""Preparing a dataset's DataFrame for analysis: column checks, encoding, missing rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError


def require_columns(frame: pd.DataFrame, names: list[str], what: str) -> None:
    unknown = [name for name in names if name not in frame.columns]
    if unknown:
        raise InvalidInputError(
            f"unknown {what} column(s): {', '.join(unknown)}; the dataset has: {', '.join(map(str, frame.columns))}"
        )


def is_binary(series: pd.Series) -> bool:
    values = set(pd.unique(series.dropna()))
    return len(values) == 2 and values <= {0, 1, True, False}


def default_covariates(frame: pd.DataFrame, exclude: list[str]) -> list[str]:
    """Every other column that can be a covariate: numeric, or a string with few levels."""
    chosen: list[str] = []
    for name in frame.columns:
        if name in exclude:
            continue
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            chosen.append(name)
        elif series.nunique(dropna=True) <= 20:
            chosen.append(name)
    return chosen


@dataclass
class Prepared:
    frame: pd.DataFrame
    covariates: list[str]
    dropped_rows: int
    warnings: list[str] = field(default_factory=list)


def prepare(frame: pd.DataFrame, treatment: str, outcome: str, covariates: list[str], instruments: list[str]) -> Prepared:
    """Numeric frame of the used columns, string covariates one-hot encoded, incomplete rows dropped."""
    used = list(dict.fromkeys([treatment, outcome, *covariates, *instruments]))
    data = frame[used].copy()
    before = len(data)
    data = data.dropna()
    warnings: list[str] = []
    dropped = before - len(data)
    if dropped:
        warnings.append(f"{dropped} of {before} rows have missing values in the used columns and were left out")
    for name in (treatment, outcome, *instruments):
        if not (pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name])):
            raise InvalidInputError(f"column {name!r} must be numeric (it holds text)")
        data[name] = data[name].astype(float)
    encoded: list[str] = []
    for name in covariates:
        series = data[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            data[name] = series.astype(float)
            encoded.append(name)
            continue
        dummies = pd.get_dummies(series.astype(str), prefix=name, drop_first=True, dtype=float)
        dummies.columns = [_safe(column) for column in dummies.columns]
        data = pd.concat([data.drop(columns=[name]), dummies], axis=1)
        encoded.extend(dummies.columns)
    constant = [name for name in encoded if data[name].nunique() <= 1]
    if constant:
        warnings.append(f"constant covariates ignored: {', '.join(constant)}")
        encoded = [name for name in encoded if name not in constant]
    if len(data) < 10:
        raise InvalidInputError(f"only {len(data)} complete rows: too few to analyse")
    return Prepared(frame=data.reset_index(drop=True), covariates=encoded, dropped_rows=dropped, warnings=warnings)


def _safe(name: str) -> str:
    cleaned = "".join(char if char.isalnum() else "_" for char in str(name))
    return cleaned if not cleaned[:1].isdigit() else f"c_{cleaned}"


def naive_difference(treated: np.ndarray, outcome: np.ndarray) -> float:
    """Difference in means for a binary treatment; the OLS slope otherwise."""
    if set(np.unique(treated)) <= {0.0, 1.0}:
        return float(outcome[treated == 1].mean() - outcome[treated == 0].mean())
    slope = np.polyfit(treated, outcome, 1)[0]
    return float(slope)
