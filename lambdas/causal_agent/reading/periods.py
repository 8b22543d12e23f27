"""Periods in words: years, quarters, months and dates, the columns that hold them, and the filters a
question puts on them ("in 2019", "since March 2020", "before 2015", "between 2016 and 2018").

A year bound is applied to a year column when the data have one (an integer column named for years),
otherwise to a date column, whose text is parsed as a date; a month or a day needs a date column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from causal_common.models.datasets import Column, DatasetManifest

QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
PERIOD = (
    r"(?P<period>(?:19|20)\d\d[-\s]?q[1-4]|q[1-4][-\s]?(?:19|20)\d\d|(?:the\s+)?(?:first|second|third|fourth|1st|2nd|"
    r"3rd|4th)\s+quarter(?:\s+of)?\s+(?:19|20)\d\d|(?:19|20)\d\d-\d\d(?:-\d\d)?|(?:jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:(?:19|20)\d\d|'\d\d)|(?:0?[1-9]|1[0-2])/(?:19|20)\d\d|(?:19|20)\d\d/(?:0?[1-9]|1[0-2])\b|"
    r"(?:19|20)\d\d)"
)


def normalise_period(raw: str) -> str:
    """'the second quarter of 2018' → '2018Q2', 'March 2018' → '2018-03', '2018 q2' → '2018Q2', '09/2022' → '2022-09', '2017' → '2017'."""
    text = raw.lower().strip().removeprefix("the ").strip()
    match = re.fullmatch(r"((?:19|20)\d\d)[-\s]?q([1-4])|q([1-4])[-\s]?((?:19|20)\d\d)", text)
    if match:
        year = match.group(1) or match.group(4)
        quarter = match.group(2) or match.group(3)
        return f"{year}Q{quarter}"
    match = re.fullmatch(r"(\w+)\s+quarter(?:\s+of)?\s+((?:19|20)\d\d)", text)
    if match and match.group(1) in QUARTER_WORDS:
        return f"{match.group(2)}Q{QUARTER_WORDS[match.group(1)]}"
    match = re.fullmatch(r"(0?[1-9]|1[0-2])/((?:19|20)\d\d)|((?:19|20)\d\d)/(0?[1-9]|1[0-2])", text)
    if match:  # "09/2022", "2022/9"
        return f"{match.group(2) or match.group(3)}-{int(match.group(1) or match.group(4)):02d}"
    match = re.fullmatch(r"([a-z]+)\.?\s+((?:19|20)\d\d|'\d\d)", text)
    if match and match.group(1) in MONTHS:
        year = match.group(2)
        year = f"20{year[1:]}" if year.startswith("'") else year  # "sept '22"
        return f"{year}-{MONTHS[match.group(1)]:02d}"
    return text


def period_columns(manifest: DatasetManifest) -> list[Column]:
    names = re.compile(
        r"(?:^|_|\b)(?:year|yr|quarter|qtr|month|date|wave|period|week|round|time|semester|term)s?(?:$|_|\b)",
        re.IGNORECASE,
    )
    return [c for c in manifest.columns if c.role in ("time", "date") or names.search(c.name)]


# ---------------------------------------------------------------- periods as filters

_YEAR_NAME = re.compile(r"(?:^|_|\b)(?:year|yr)s?(?:$|_|\b)", re.IGNORECASE)
_DATE_NAME = re.compile(r"(?:^|_|\b)(?:date|day|time|timestamp|when|dt)s?(?:$|_|\b)", re.IGNORECASE)
_WHEN = PERIOD.replace("(?P<period>", "(?:")
_RANGE = re.compile(
    rf"\b(?:between\s+(?P<a>{_WHEN})\s+and\s+(?P<b>{_WHEN})|from\s+(?P<c>{_WHEN})\s+(?:to|until|till|through|"
    rf"thru)\s+(?P<d>{_WHEN})|(?P<e>(?:19|20)\d\d)\s*(?:-|–|to)\s*(?P<f>(?:19|20)\d\d))\b",
    re.IGNORECASE,
)
_BOUND = re.compile(
    rf"\b(?P<cue>since|from|starting(?:\s+(?:in|from))?|as\s+of|on\s+or\s+after|after|later\s+than|"
    rf"before|prior\s+to|earlier\s+than|until|till|through|up\s+to|in|during|for|of|within|throughout)\s+"
    rf"(?:the\s+(?:start\s+of\s+|beginning\s+of\s+|year\s+)?|year\s+)?(?P<when>{_WHEN})\b",
    re.IGNORECASE,
)
_FROM = {"since", "from", "starting", "starting in", "starting from", "as of", "on or after"}
_AFTER = {"after", "later than"}
_BEFORE = {"before", "prior to", "earlier than"}
_UNTIL = {"until", "till", "through", "up to"}


@dataclass(frozen=True)
class Span:
    """A period as the half-open interval of days [start, end) and how finely the words gave it."""

    start: dt.date
    end: dt.date
    precision: str  # year, quarter, month or day
    words: str


@dataclass
class PeriodCondition:
    """One condition on a period column: a year compared as a number, or a date compared as a date."""

    column: str
    op: str  # =, >=, >, <, <=, between (both ends included), within (start included, end not)
    value: float | str | tuple[float, float] | tuple[str, str]
    as_date: bool
    text: str


@dataclass
class PeriodReading:
    conditions: list[PeriodCondition] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    # Periods the data cannot place, e.g. a month when the data have years but no dates.
    unplaced: list[str] = field(default_factory=list)


def _spoken(words: str) -> str:
    """A period as written in an answer: month names capitalised ('march 2020' → 'March 2020')."""
    return re.sub(r"[a-z]+", lambda m: m.group(0).title() if m.group(0) in MONTHS else m.group(0), words)


def to_span(words: str) -> Span | None:
    period = normalise_period(words)
    match = re.fullmatch(r"((?:19|20)\d\d)Q([1-4])", period)
    if match:
        year, quarter = int(match.group(1)), int(match.group(2))
        start = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return Span(start, end, "quarter", words)
    match = re.fullmatch(r"((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?", period)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        try:
            if match.group(3):
                day = dt.date(year, month, int(match.group(3)))
                return Span(day, day + dt.timedelta(days=1), "day", words)
            start = dt.date(year, month, 1)
        except ValueError:
            return None
        end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return Span(start, end, "month", words)
    if re.fullmatch(r"(?:19|20)\d\d", period):
        year = int(period)
        return Span(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), "year", words)
    return None


def _year_levels(column: Column) -> bool:
    return bool(column.levels) and all(
        re.fullmatch(r"(?:18|19|20)\d\d(?:\.0)?", level) for level in column.levels or []
    )


def year_column(manifest: DatasetManifest) -> Column | None:
    """An integer column holding calendar years (named for years, or a time column whose values are years)."""
    for column in period_columns(manifest):
        if column.dtype in ("integer", "float") and (_YEAR_NAME.search(column.name) or _year_levels(column)):
            return column
    return None


def date_column(manifest: DatasetManifest) -> Column | None:
    """A text column holding dates (declared as a date, or named for dates)."""
    for column in manifest.columns:
        if column.dtype == "string" and (column.role == "date" or _DATE_NAME.search(column.name)):
            return column
    return None


def _conditions(op: str, low: Span, high: Span, text: str, manifest: DatasetManifest) -> PeriodCondition | None:
    """The condition for ``op`` between spans, on the year column when whole years suffice, else on dates."""
    years = year_column(manifest)
    dates = date_column(manifest)
    whole_years = low.precision == "year" and high.precision == "year"
    if years is not None and (whole_years or dates is None):
        if not whole_years:
            return None
        first, last = float(low.start.year), float(high.start.year)
        value: float | tuple[float, float] = first if op in ("=", ">=", ">", "<", "<=") else (first, last)
        return PeriodCondition(years.name, op, value, False, text)
    if dates is None:
        return None
    bounds: dict[str, tuple[str, str | tuple[str, str]]] = {
        "=": ("within", (low.start.isoformat(), low.end.isoformat())),
        "between": ("within", (low.start.isoformat(), high.end.isoformat())),
        ">=": (">=", low.start.isoformat()),
        ">": (">=", low.end.isoformat()),
        "<": ("<", low.start.isoformat()),
        "<=": ("<", low.end.isoformat()),
    }
    date_op, date_value = bounds[op]
    return PeriodCondition(dates.name, date_op, date_value, True, text)


def read_periods(text: str, manifest: DatasetManifest) -> PeriodReading:
    """The period filters ``text`` asks for on ``manifest``'s data (none when it has no period column)."""
    out = PeriodReading()
    if year_column(manifest) is None and date_column(manifest) is None:
        return out
    found: list[tuple[str, Span, Span, str, tuple[int, int]]] = []
    for match in _RANGE.finditer(text):
        first = match.group("a") or match.group("c") or match.group("e")
        last = match.group("b") or match.group("d") or match.group("f")
        low, high = to_span(first), to_span(last)
        if low is not None and high is not None and low.start <= high.start:
            found.append(("between", low, high, f"between {_spoken(first)} and {_spoken(last)}", match.span()))
    for match in _BOUND.finditer(text):
        if any(start <= match.start() < end for *_, (start, end) in found):
            continue
        span = to_span(match.group("when"))
        if span is None:
            continue
        cue = re.sub(r"\s+", " ", match.group("cue").lower())
        if cue in _FROM:
            op = ">="
        elif cue in _AFTER:
            op = ">"
        elif cue in _BEFORE:
            op = "<"
        elif cue in _UNTIL:
            op = "<="
        else:
            op = "="
        words = f"{'in' if op == '=' else cue} {_spoken(match.group('when'))}"
        found.append((op, span, span, words, match.span()))
    for op, low, high, words, place in sorted(found, key=lambda item: item[4]):
        condition = _conditions(op, low, high, words, manifest)
        if condition is None:
            out.unplaced.append(words)
        else:
            out.conditions.append(condition)
        out.spans.append(place)
    return out
