"""Preparing a dataset's DataFrame for analysis: column checks, text codings, encoding, missing rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import ColumnNote
from causal_tasks.codes import code_reason, numeric_code_levels

# Two-valued text the way people type it; the first of each pair is 1. Matched case-insensitively.
BINARY_WORDS: tuple[tuple[str, str], ...] = (
    ("yes", "no"),
    ("y", "n"),
    ("true", "false"),
    ("t", "f"),
    ("treated", "control"),
    ("treatment", "control"),
    ("treated", "untreated"),
    ("on", "off"),
    ("1", "0"),
    ("positive", "negative"),
    ("pass", "fail"),
    ("success", "failure"),
)
MAX_ONE_HOT_LEVELS = 20


def require_columns(frame: pd.DataFrame, names: list[str], what: str) -> None:
    unknown = [name for name in names if name not in frame.columns]
    if unknown:
        raise InvalidInputError(
            f"unknown {what} column(s): {', '.join(unknown)}; the dataset has: {', '.join(map(str, frame.columns))}"
        )


def is_binary(series: pd.Series) -> bool:
    values = set(pd.unique(series.dropna()))
    return len(values) == 2 and values <= {0, 1}


def default_covariates(frame: pd.DataFrame, exclude: list[str]) -> list[str]:
    """Every other column that can be a covariate: numeric, or a string with few levels."""
    chosen: list[str] = []
    for name in frame.columns:
        if name in exclude:
            continue
        series = frame[name]
        if (
            pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_bool_dtype(series)
            or series.nunique(dropna=True) <= MAX_ONE_HOT_LEVELS
        ):
            chosen.append(name)
    return chosen


def binary_coding(series: pd.Series) -> dict[str, float] | None:
    """``{"yes": 1, "no": 0}`` for a two-valued text column in a known vocabulary (any case), else None."""
    values = {str(value).strip() for value in series.dropna().unique()}
    lowered = {value.lower(): value for value in values}
    if len(lowered) != 2 or len(values) != 2:
        return None
    for one, zero in BINARY_WORDS:
        if set(lowered) == {one, zero}:
            return {lowered[one]: 1.0, lowered[zero]: 0.0}
    return None


def apply_coding(series: pd.Series, coding: dict[str, float], name: str) -> pd.Series:
    """Map text values to numbers with ``coding`` (keys matched case-insensitively, spaces trimmed)."""
    lookup = {str(key).strip().lower(): float(value) for key, value in coding.items()}
    text = series.map(lambda value: value if pd.isna(value) else str(value).strip().lower())
    unknown = sorted({value for value in text.dropna().unique() if value not in lookup})
    if unknown:
        raise InvalidInputError(
            f"column {name!r} holds {', '.join(map(repr, unknown[:5]))}, which its coding "
            f"({', '.join(f'{k!r}={v:g}' for k, v in coding.items())}) does not cover"
        )
    return text.map(lambda value: lookup[value] if isinstance(value, str) else np.nan).astype(float)


@dataclass
class Prepared:
    frame: pd.DataFrame
    covariates: list[str]
    dropped_rows: int
    warnings: list[str] = field(default_factory=list)
    left_out: list[ColumnNote] = field(default_factory=list)
    coded: list[ColumnNote] = field(default_factory=list)
    # One-hot columns by the original covariate they came from.
    encoded_from: dict[str, str] = field(default_factory=dict)


def prepare(
    frame: pd.DataFrame,
    treatment: str,
    outcome: str,
    covariates: list[str],
    instruments: list[str],
    *,
    codings: dict[str, dict[str, float]] | None = None,
    keep: list[str] | None = None,
    descriptions: dict[str, str] | None = None,
) -> Prepared:
    """Numeric frame of the used columns: text codings applied, string covariates and numeric codes
    (``causal_tasks.codes``) one-hot encoded, incomplete rows dropped.

    ``keep`` are further columns carried as they are (a time or unit column of a panel).
    """
    codings = codings or {}
    descriptions = descriptions or {}
    numeric_roles = list(dict.fromkeys([treatment, outcome, *instruments]))
    used = list(dict.fromkeys([*numeric_roles, *covariates, *(keep or [])]))
    data = frame[used].copy()
    notes: list[str] = []
    coded: list[ColumnNote] = []
    left_out: list[ColumnNote] = []
    for name in used:
        series = data[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        coding = codings.get(name) or (binary_coding(series) if name in numeric_roles else None)
        if coding is None:
            continue
        data[name] = apply_coding(series, coding, name)
        coded.append(ColumnNote(column=name, reason=", ".join(f"{key!r} = {value:g}" for key, value in coding.items())))
    covariates = list(covariates)
    for name in list(covariates):
        series = data[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        levels = series.nunique(dropna=True)
        if levels > MAX_ONE_HOT_LEVELS:
            covariates.remove(name)
            data = data.drop(columns=[name])
            left_out.append(
                ColumnNote(
                    column=name,
                    reason=f"text with {levels} distinct values (free text or an "
                    f"identifier), more than {MAX_ONE_HOT_LEVELS} levels",
                )
            )
    before = len(data)
    missing_by_column = data.isna().sum()
    data = data.dropna()
    dropped = before - len(data)
    if dropped:
        worst = ", ".join(
            f"{name} ({int(count)})" for name, count in missing_by_column.sort_values(ascending=False).items() if count
        )
        notes.append(
            f"{dropped} of {before} rows have missing values in the used columns and were left out "
            f"(missing per column: {worst})"
        )
    for name in numeric_roles:
        if not (pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name])):
            values = ", ".join(map(repr, data[name].dropna().astype(str).unique()[:5]))
            raise InvalidInputError(
                f"column {name!r} holds text ({values}); give the dataset a coding for it (e.g. yes = 1, no = 0), "
                "or use a numeric column"
            )
        data[name] = data[name].astype(float)
    encoded: list[str] = []
    encoded_from: dict[str, str] = {}
    for name in covariates:
        series = data[name]
        code_levels = None if name in numeric_roles else numeric_code_levels(name, series, descriptions.get(name, ""))
        if code_levels is not None:
            categories = pd.Categorical(series.astype(int), categories=code_levels)
            dummies = pd.get_dummies(categories, prefix=name, drop_first=True, dtype=float)
            dummies.index = data.index
            dummies.columns = [_safe(column) for column in dummies.columns]
            data = pd.concat([data.drop(columns=[name]), dummies], axis=1)
            encoded.extend(dummies.columns)
            encoded_from.update({column: name for column in dummies.columns})
            coded.append(ColumnNote(column=name, reason=code_reason(code_levels)))
            continue
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            data[name] = series.astype(float)
            encoded.append(name)
            encoded_from[name] = name
            continue
        dummies = pd.get_dummies(series.astype(str), prefix=name, drop_first=True, dtype=float)
        dummies.columns = [_safe(column) for column in dummies.columns]
        data = pd.concat([data.drop(columns=[name]), dummies], axis=1)
        encoded.extend(dummies.columns)
        encoded_from.update({column: name for column in dummies.columns})
        coded.append(ColumnNote(column=name, reason=f"one-hot encoded ({len(dummies.columns) + 1} levels)"))
    constant = [name for name in encoded if data[name].nunique() <= 1]
    if constant:
        for name in constant:
            left_out.append(ColumnNote(column=encoded_from.get(name, name), reason="constant in the analysed rows"))
        encoded = [name for name in encoded if name not in constant]
    if len(data) < 10:
        raise InvalidInputError(f"only {len(data)} complete rows: too few to analyse")
    return Prepared(
        frame=data.reset_index(drop=True),
        covariates=encoded,
        dropped_rows=dropped,
        warnings=notes,
        left_out=left_out,
        coded=coded,
        encoded_from=encoded_from,
    )


def _safe(name: str) -> str:
    cleaned = "".join(char if char.isalnum() else "_" for char in str(name))
    return cleaned if not cleaned[:1].isdigit() else f"c_{cleaned}"


def naive_difference(treated: np.ndarray, outcome: np.ndarray) -> float:
    """Difference in means for a binary treatment; the OLS slope otherwise."""
    if set(np.unique(treated)) <= {0.0, 1.0}:
        return float(outcome[treated == 1].mean() - outcome[treated == 0].mean())
    slope = np.polyfit(treated, outcome, 1)[0]
    return float(slope)
