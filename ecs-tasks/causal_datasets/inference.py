"""What an uploaded column is: its type, role, levels and yes/no coding (no pandas).

Identifiers (unique ids, or id-named columns), dates and free text are never adjusted for; two-valued columns
(0/1, true/false, yes/no, treated/control, any case) are coded 1/0 and can be treatments; text with few levels
is a covariate (one-hot in the analysis); numbers are covariates.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from dateutil import parser as date_parser

from causal_common.models.datasets import Column, ColumnRole
from causal_datasets.table import Table, TableColumn, Value, table_of_text

# Two-valued text as people write it: the value that means "yes" first.
BINARY_TEXT = (
    ("yes", "no"),
    ("y", "n"),
    ("true", "false"),
    ("t", "f"),
    ("treated", "control"),
    ("treatment", "control"),
    ("on", "off"),
    ("1", "0"),
    ("1.0", "0.0"),
)
MAX_LEVELS = 20
_ID_NAME = re.compile(
    r"(?:^|[_\s-])(?:id|uuid|guid|key|no|nr|num|number|seq|sequence|serial|idx|index|code|ref)$|^(?:id|seq|no)(?:[_\s-]|$)"
)
_CAMEL_ID = re.compile(r"(?<=[a-z])(?:Id|ID|No|Nr|Num|Seq|Code|Key)$")
_DATE_SAMPLE = 200


class WritesCsv(Protocol):
    """A data frame (pandas), read back through the CSV it would be stored as."""

    def to_csv(self, *args: Any, **kwargs: Any) -> Any: ...


def as_table(data: Table | WritesCsv) -> Table:
    return data if isinstance(data, Table) else table_of_text(str(data.to_csv(index=False)))


def text_coding(values: Sequence[str]) -> dict[str, float] | None:
    """{"yes": 1, "no": 0} for a two-valued text column written as a known pair (any case), else None."""
    lowered = {str(value).strip().lower() for value in values}
    for positive, negative in BINARY_TEXT:
        if lowered == {positive, negative}:
            return {positive: 1.0, negative: 0.0}
    return None


def _words(name: str) -> list[str]:
    parts = [part for part in re.split(r"[_\s\-.]+", name.lower()) if part]
    return parts if len(parts) > 1 else []


def _level(value: Value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


# Two defaults that differ in every field: what a value leaves out comes from the default, so it shows.
_DEFAULTS = (datetime(2000, 1, 1, 0, 0), datetime(2001, 2, 2, 1, 1))


def _parses_as_date(text: str) -> bool:
    """A date or a time of day; a day and month without a year ("1/2", "3-4") reads as a fraction or a range."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed: list[datetime] = [date_parser.parse(text, default=default) for default in _DEFAULTS]
    except (ValueError, OverflowError):
        return False
    first, second = parsed
    has_year = first.year == second.year
    has_time = first.hour == second.hour or first.minute == second.minute
    return has_year or has_time


def _looks_like_dates(values: Sequence[Value]) -> bool:
    sample = [str(value) for value in values[:_DATE_SAMPLE]]
    if not sample or not all(re.search(r"\d", text) and re.search(r"[-/:.]", text) for text in sample):
        return False
    return sum(map(_parses_as_date, sample)) >= 0.9 * len(sample)


def _in_row_order(values: Sequence[float]) -> bool:
    """Unique numbers that rise (or fall) with the row order: a sequence number with gaps, not a measurement."""
    steps = [later - earlier for earlier, later in zip(values, values[1:], strict=False)]
    return bool(steps) and (all(step > 0 for step in steps) or all(step < 0 for step in steps))


def _is_counter(values: Sequence[float]) -> bool:
    """1, 2, 3, … (a row number) rather than a measurement."""
    ordered = sorted(values)
    return len(ordered) > 1 and all(later - earlier == 1 for earlier, later in zip(ordered, ordered[1:], strict=False))


def infer_role(column: TableColumn) -> tuple[ColumnRole, list[str] | None, dict[str, float] | None]:
    """(role, levels, coding) for an uploaded column."""
    name, dtype, values = column.name, column.dtype, column.present
    distinct = list(dict.fromkeys(values))
    levels = sorted(_level(value) for value in distinct) if len(distinct) <= MAX_LEVELS else None
    if dtype == "boolean":
        levels = ["false", "true"]
    folded = sorted({_level(value).strip().lower() for value in distinct})
    coding = text_coding(folded) if dtype == "string" and len(folded) == 2 else None
    if coding is not None:
        levels = folded
    unique = len(values) > 0 and len(distinct) == len(values)
    # An id-like name ("no_reply" starts with "no") on two-valued text written as yes/no is a property, not an id.
    if (_ID_NAME.search(name.lower()) or _CAMEL_ID.search(name)) and (unique or (dtype == "string" and not coding)):
        return "identifier", None, None
    if dtype == "string":
        if coding is not None:
            return "covariate", levels, coding
        if _looks_like_dates(values):
            return "date", None, None
        if unique and len(values) > MAX_LEVELS and not any(re.search(r"\s", str(value)) for value in values):
            return "identifier", None, None
        if levels is not None and len(distinct) < max(3, 0.5 * len(values)):
            return "covariate", levels, None
        return "text", None, None
    numbers = [float(value) for value in values]
    if dtype == "integer" and unique and len(values) > MAX_LEVELS and (_is_counter(numbers) or _in_row_order(numbers)):
        return "identifier", None, None
    return "covariate", levels, None


def columns_of(data: Table | WritesCsv, described: Mapping[str, Mapping[str, Any]] | None = None) -> list[Column]:
    """Columns with inferred types, roles, levels and codings; ``described`` overrides by name."""
    described = described or {}
    columns: list[Column] = []
    for column in as_table(data).columns:
        extra = dict(described.get(column.name, {}))
        extra.pop("name", None)
        role, levels, coding = infer_role(column)
        extra.setdefault("role", role)
        extra.setdefault("levels", levels)
        extra.setdefault("coding", coding)
        extra.setdefault("synonyms", _words(column.name))
        columns.append(Column(name=column.name, dtype=column.dtype, **extra))
    return columns
