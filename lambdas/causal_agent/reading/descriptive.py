"""Descriptive questions (counts, shares, means, medians, distributions, group comparisons, correlations).

Each is answered exactly by one SQL query over the table ``data``; the query
is shown with the answer and no causal claim is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from causal_agent.reading.columns import ValueMention
from causal_agent.reading.periods import PeriodReading, read_periods
from causal_agent.reading.skeleton import Skeleton
from causal_common.models.datasets import Column, DatasetManifest

Kind = Literal[
    "count",
    "share",
    "mean",
    "median",
    "min",
    "max",
    "sum",
    "sd",
    "range",
    "summary",
    "correlation",
    "mode",
    "missing",
    "compare",
]

# Order matters: the first cue found decides ("the average number of …" is a mean, "the number of …" a count).
_CUES: tuple[tuple[Kind, str], ...] = (
    ("correlation", r"\b(?:correlat\w*|corr|associat\w*|relationship|related|relates?|relation|linked|link)\b"),
    (
        "share",
        r"\b(?:what|which)\s+(?:\S+\s+)?(?:share|percentage|percent|proportion|fraction|part)\b|"
        r"\b(?:share|percentage|proportion|fraction|percent)\s+(?:of|who|that|with)\b|%|\bhow\s+(?:common|often|"
        r"likely)\b|\brate\s+of\b|\bpercentage\b|\bproportion\b",
    ),
    ("mode", r"\bmost\s+(?:common|frequent|popular|typical)\b|\bmode\b"),
    ("missing", r"\bmissing\b|\bnulls?\b"),
    (
        "range",
        r"\b(?:min\w*|lowest|smallest|youngest|earliest|shortest)\s+(?:and|to|&|/)\s+(?:max\w*|highest|largest|"
        r"oldest|latest|longest)\b",
    ),
    ("mean", r"\b(?:average|mean|avg)\b|\bon\s+average\b"),
    ("median", r"\b(?:median|typical|middle)\b"),
    ("count", r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\b|\bhow\s+much\s+data\b"),
    ("sd", r"\bstandard\s+deviation\b|\b(?:std|sd|variance|variability|dispersion)\b"),
    ("range", r"\brange\b"),
    ("min", r"\b(?:minimum|min|lowest|smallest|least|youngest|cheapest|shortest)\b"),
    ("max", r"\b(?:maximum|max|highest|largest|biggest|greatest|oldest|longest|most\s+expensive)\b"),
    ("sum", r"\b(?:total|sum|altogether|combined)\b"),
    ("missing", r"\b(?:missing|null|nulls|blank|empty|unknown)\b"),
    (
        "summary",
        r"\b(?:distribution|distributed|describe|description|summary|summari[sz]e|breakdown|break\s+down|"
        r"histogram|spread|overview|statistics|stats|profile|look\s+like)\b",
    ),
    ("compare", r"\b(?:compare|comparison|compared|differ|differs|difference\s+between|gap\s+between|gap|versus|vs)\b"),
    ("share", r"\brates?\b"),
)
_OPENER = re.compile(
    r"^(?:\S+\s+){0,2}?(?:how\s+many|what\s+(?:\S+\s+)?(?:share|percentage|proportion|fraction|"
    r"percent|number)|count|list|show|describe|summari[sz]e|give|what\s+(?:is|are|was|were)\s+the\s+"
    r"(?:average|mean|median|total|sum|maximum|minimum|highest|lowest|distribution|range|number|"
    r"share|proportion|percentage|standard|most))\b"
)

_OPERATORS = {
    ">=": ">=",
    "<=": "<=",
    ">": ">",
    "<": "<",
    "=": "=",
    "!=": "!=",
    "over": ">",
    "above": ">",
    "under": "<",
    "below": "<",
    "at least": ">=",
    "at most": "<=",
    "more than": ">",
    "less than": "<",
    "greater than": ">",
    "fewer than": "<",
    "older than": ">",
    "younger than": "<",
    "exceeds": ">",
    "exceed": ">",
    "exceeding": ">",
    "equals": "=",
    "equal to": "=",
    "of": "=",
    "no more than": "<=",
    "no less than": ">=",
    "higher than": ">",
    "lower than": "<",
    "bigger than": ">",
    "smaller than": "<",
    "larger than": ">",
    "is": "=",
    "==": "=",
}
_OPERATOR = "|".join(sorted((re.escape(op) for op in _OPERATORS), key=len, reverse=True))
_COMPARISON = re.compile(
    rf"(?P<c>C\d+)\s+(?:\S+\s+)?(?:is\s+|are\s+|was\s+|were\s+|of\s+)?(?P<op>{_OPERATOR})\s+"
    r"(?P<num>-?\d+(?:\.\d+)?)"
)
# "more than 5 absences": the number and its column after the operator.
_COMPARISON_BEFORE = re.compile(rf"(?P<op>{_OPERATOR})\s+(?P<num>-?\d+(?:\.\d+)?)\s+(?P<c>C\d+)")
_BINARY_FILTER = re.compile(
    r"\b(?:among|for|in|of|within)\s+(?:the\s+|those\s+|people\s+|persons\s+|rows\s+|units\s+|"
    r"ones\s+|cases\s+)?(?:who\s+|that\s+|which\s+)?(?:(?:are|were|is|was|got|received|took|had|have|"
    r"did)\s+)?(?P<neg>(?:non|un|not|no|never|didn't|did\s+not|don't|do\s+not|without)[\s-]*)?"
    r"(?:\S+\s+)?(?P<c>C\d+)"
)
_WHO_FILTER = re.compile(
    r"\b(?:who|that|which|with|without)\s+(?P<neg>(?:didn't|did\s+not|don't|do\s+not|never|not|no|"
    r"were\s+not|are\s+not|weren't|aren't)\s+)?(?:(?:are|were|got|received|took|had|have|did|do|does)\s+)?"
    r"(?:a\s+|an\s+|the\s+)?(?P<c>C\d+)"
)
_GROUP = re.compile(
    r"\b(?:by|per|for\s+each|for\s+every|across|split\s+by|broken\s+down\s+by|grouped\s+by|according\s+to|"
    r"in\s+each|for\s+different|between|separately\s+for)\s+(?:the\s+|each\s+|different\s+|every\s+)?"
    r"(?P<c>C\d+)"
)
_VERSUS = re.compile(
    r"(?P<c>C\d+)\s+(?:\S+\s+)?(?:vs\.?|versus|or\s+not|compared\s+(?:with|to)|and\s+(?:non|un)[-\s]?)"
)
_NEGATIVE_NAME = re.compile(r"^(?:no|non|not|without|never)(?:[_\s-]|(?=[a-z]{3}))", re.IGNORECASE)
_TREATED_WORDS = re.compile(r"\b(?P<neg>un|non[-\s]?)?(?:treated|control|controls|comparison\s+group)\b")


@dataclass
class Filter:
    column: str
    op: str  # =, !=, >, >=, <, <=, is (yes/no), between (both ends in), within (start in, end not)
    value: Any
    text: str
    as_date: bool = False  # compare the column's values parsed as dates
    period: bool = False  # a year or date the question named ("in 2019"); its text is the user's phrase


@dataclass
class DescriptiveSpec:
    kind: Kind
    columns: list[str] = field(default_factory=list)
    group_by: str | None = None
    filters: list[Filter] = field(default_factory=list)
    # Periods the question names that the data cannot place (a month when the data have only years).
    unplaced: list[str] = field(default_factory=list)


# Words whose misspellings still count as the statistic they name.
CUE_WORDS = (
    "correlation",
    "correlated",
    "average",
    "median",
    "percentage",
    "proportion",
    "distribution",
    "minimum",
    "maximum",
    "standard",
    "deviation",
    "variance",
    "summary",
    "compare",
    "comparison",
)


def descriptive_kind(text: str) -> Kind | None:
    from causal_agent.reading.words import is_typo

    words = text.split()
    text = " ".join(next((cue for cue in CUE_WORDS if word != cue and is_typo(word, cue)), word) for word in words)
    for kind, cue in _CUES:
        if re.search(cue, text):
            if kind == "count" and re.search(r"\b(?:average|mean)\s+number\b", text):
                return "mean"
            if kind == "sum" and re.search(r"\btotal\s+number\b", text):
                return "count"
            return kind
    return None


def opens_descriptively(text: str) -> bool:
    return bool(_OPENER.search(text))


_OP_WORDS = {
    ">": "above",
    ">=": "at least",
    "<": "below",
    "<=": "at most",
    "=": "equal to",
    "!=": "not equal to",
}


def _inside(periods: PeriodReading, position: int) -> bool:
    return any(start <= position < end for start, end in periods.spans)


def _is_binary(manifest: DatasetManifest, name: str) -> bool:
    column = manifest.column(name)
    return column is not None and column.binary


def read_spec(
    kind: Kind, skeleton: Skeleton, manifest: DatasetManifest, values: list[ValueMention], treatment_column: str | None
) -> DescriptiveSpec | None:
    """The query a descriptive question asks for, or None when it names nothing to describe."""
    text = skeleton.text
    spec = DescriptiveSpec(kind)
    used: set[int] = set()
    periods = read_periods(text, manifest)
    spec.filters = [Filter(c.column, c.op, c.value, c.text, as_date=c.as_date, period=True) for c in periods.conditions]
    spec.unplaced = periods.unplaced
    period_names = {c.column for c in periods.conditions}
    values = [v for v in values if v.column not in period_names]
    for match in _GROUP.finditer(text):
        index = int(match.group("c")[1:])
        if index not in used and spec.group_by is None:
            spec.group_by = skeleton.mentions[index].column
            used.add(index)
    if spec.group_by is None and re.search(r"\b(?:vs\.?|versus|or|compared|and)\b", text):
        # Two levels of one column compared ("mobile vs desktop", "public or private"): group by that column.
        by_column: dict[str, int] = {}
        for value in values:
            by_column[value.column] = by_column.get(value.column, 0) + 1
        compared = [name for name, count in by_column.items() if count >= 2]
        if compared:
            spec.group_by = compared[0]
            values = [v for v in values if v.column != compared[0]]
    if spec.group_by is None and re.search(r"\b(?:vs\.?|versus|compared\s+(?:with|to))\b", text):
        binary_mentions = [
            i for i, m in enumerate(skeleton.mentions) if i not in used and _is_binary(manifest, m.column)
        ]
        if binary_mentions:
            spec.group_by = skeleton.mentions[binary_mentions[0]].column
            used.add(binary_mentions[0])
    if spec.group_by is None:
        versus = _VERSUS.search(text)
        if versus and int(versus.group("c")[1:]) not in used:
            spec.group_by = skeleton.mentions[int(versus.group("c")[1:])].column
            used.add(int(versus.group("c")[1:]))
    for match in [*_COMPARISON.finditer(text), *_COMPARISON_BEFORE.finditer(text)]:
        if int(match.group("c")[1:]) in used or _inside(periods, match.start("num")):
            continue
        index = int(match.group("c")[1:])
        compared_name = skeleton.mentions[index].column
        op = _OPERATORS[match.group("op")]
        spec.filters.append(
            Filter(
                compared_name, op, float(match.group("num")), f"{compared_name} is {_OP_WORDS[op]} {match.group('num')}"
            )
        )
        used.add(index)
    for pattern in (_BINARY_FILTER, _WHO_FILTER):
        for match in pattern.finditer(text):
            index = int(match.group("c")[1:])
            column = manifest.column(skeleton.mentions[index].column)
            if index in used or column is None or not column.binary:
                continue
            negated = bool(match.group("neg"))
            if _NEGATIVE_NAME.match(column.name) and skeleton.mentions[index].source != "exact":
                # "without a degree" on a column `nodegree`: the column already says "no".
                negated = not negated
            spec.filters.append(
                Filter(column.name, "is", 0 if negated else 1, f"{column.name} is {'no' if negated else 'yes'}")
            )
            used.add(index)
    treated = _TREATED_WORDS.search(text)
    if (
        treated
        and treatment_column
        and all(f.column != treatment_column for f in spec.filters)
        and spec.group_by != treatment_column
        and treatment_column not in [m.column for m in skeleton.mentions]
    ):
        if kind == "compare" or re.search(r"\b(?:vs|versus|and\s+(?:un|non)|compared)\b", text):
            spec.group_by = spec.group_by or treatment_column
        else:
            negated = bool(treated.group("neg")) or "control" in treated.group(0) or "comparison" in treated.group(0)
            spec.filters.append(
                Filter(
                    treatment_column, "is", 0 if negated else 1, f"{treatment_column} is {'no' if negated else 'yes'}"
                )
            )
    for value in values:
        if all(f.column != value.column for f in spec.filters) and spec.group_by != value.column:
            spec.filters.append(Filter(value.column, "=", value.value, f"{value.column} = {value.value}"))
    filtered = {f.column for f in spec.filters if f.op != "is"} | {v.column for v in values}
    remaining = [m.column for i, m in enumerate(skeleton.mentions) if i not in used and m.column not in filtered]
    spec.columns = list(dict.fromkeys(c for c in remaining if c != spec.group_by))
    if kind == "correlation":
        if len(spec.columns) < 2 and spec.group_by:
            spec.columns.append(spec.group_by)
            spec.group_by = None
        return spec if len(spec.columns) >= 2 else None
    if kind == "compare":
        if spec.group_by is None:
            binary = [c for c in spec.columns if _is_binary(manifest, c)]
            if binary and len(spec.columns) >= 2:
                spec.group_by = binary[0]
                spec.columns = [c for c in spec.columns if c != binary[0]]
        if spec.group_by is None or not spec.columns:
            return None
        spec.kind = "mean"
        return spec
    if kind in ("count", "share"):
        # The yes/no column counted; other words are usually the unit counted ("orders", "plots").
        binary = [c for c in spec.columns if _is_binary(manifest, c)]
        spec.columns = binary[:1]
        if kind == "share" and not spec.columns and len(spec.filters) > 1:
            # "share of members in the suburbs": the yes/no column is what is counted, the rest is the base.
            counted = next((f for f in spec.filters if f.op == "is" and f.value == 1), None)
            if counted is not None:
                spec.columns = [counted.column]
                spec.filters = [f for f in spec.filters if f is not counted]
        return spec
    if not spec.columns:
        return None
    spec.columns = spec.columns[:1]
    return spec


# ---------------------------------------------------------------- SQL


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value)) if isinstance(value, float) and not float(value).is_integer() else str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def positive(column: Column) -> str:
    """SQL that is true where a binary column means yes."""
    as_text = f"LOWER(TRIM(CAST({quote(column.name)} AS VARCHAR)))"
    if column.coding:
        yes = {value.lower() for value, number in column.coding.items() if number == 1}
        no = {value.lower() for value, number in column.coding.items() if number == 0}
        # A CSV reader may have typed yes/no as a boolean already.
        yes |= {"true", "1"} - no
        return f"{as_text} IN ({', '.join(literal(v) for v in sorted(yes))})"
    return f"{as_text} IN ('1', '1.0', 'true', 'yes')"


def numeric(column: Column) -> str:
    """SQL for a column as a number (binary text columns as 0/1)."""
    if column.coding or column.dtype == "boolean" or (column.binary and column.dtype == "string"):
        return f"CASE WHEN {quote(column.name)} IS NULL THEN NULL WHEN {positive(column)} THEN 1.0 ELSE 0.0 END"
    return quote(column.name)


def as_date(column: Column) -> str:
    """SQL for a column's values as timestamps: ISO text (with or without a time), or month/day/year."""
    text = f"CAST({quote(column.name)} AS VARCHAR)"
    return f"COALESCE(TRY_CAST({text} AS TIMESTAMP), TRY_STRPTIME({text}, '%m/%d/%Y'))"


def _condition(manifest: DatasetManifest, item: Filter) -> str:
    column = manifest.column(item.column)
    if column is None:
        return "TRUE"
    if item.as_date:
        when = as_date(column)
        if item.op == "within":
            start, end = item.value
            return f"{when} >= DATE {literal(start)} AND {when} < DATE {literal(end)}"
        return f"{when} {item.op} DATE {literal(item.value)}"
    if item.op == "between":
        low, high = item.value
        return f"{numeric(column)} BETWEEN {literal(low)} AND {literal(high)}"
    if item.op == "is":
        return positive(column) if item.value == 1 else f"NOT ({positive(column)})"
    if isinstance(item.value, str):
        return f"LOWER(TRIM(CAST({quote(column.name)} AS VARCHAR))) = {literal(item.value.lower())}"
    return f"{numeric(column)} {item.op} {literal(item.value)}"


def _where(manifest: DatasetManifest, filters: list[Filter]) -> str:
    return " WHERE " + " AND ".join(_condition(manifest, f) for f in filters) if filters else ""


def to_sql(spec: DescriptiveSpec, manifest: DatasetManifest) -> str:
    """One SELECT that answers the question exactly."""
    columns = [c for c in (manifest.column(name) for name in spec.columns) if c is not None]
    group = manifest.column(spec.group_by) if spec.group_by else None
    group_select = f"{quote(group.name)} AS {quote(group.name)}, " if group else ""
    group_tail = f" GROUP BY {quote(group.name)} ORDER BY {quote(group.name)}" if group else ""
    where = _where(manifest, spec.filters)
    if spec.kind in ("count", "share"):
        binary = next((c for c in columns if c.binary), None)
        if binary is not None:
            hit = f"SUM(CASE WHEN {positive(binary)} THEN 1 ELSE 0 END)"
            base = f"COUNT({quote(binary.name)})"
            return (
                f"SELECT {group_select}{hit} AS n_matching, {base} AS n_total, "
                f"100.0 * {hit} / NULLIF({base}, 0) AS pct_matching FROM data{where}{group_tail}"
            )
        if spec.kind == "share" and spec.filters:
            condition = " AND ".join(_condition(manifest, f) for f in spec.filters)
            hit = f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"
            return (
                f"SELECT {group_select}{hit} AS n_matching, COUNT(*) AS n_total, "
                f"100.0 * {hit} / NULLIF(COUNT(*), 0) AS pct_matching FROM data{group_tail}"
            )
        return f"SELECT {group_select}COUNT(*) AS n FROM data{where}{group_tail}"
    if spec.kind == "correlation":
        a, b = columns[0], columns[1]
        return (
            f"SELECT CORR({numeric(a)}, {numeric(b)}) AS correlation, COUNT(*) AS n FROM data "
            f"WHERE {quote(a.name)} IS NOT NULL AND {quote(b.name)} IS NOT NULL"
            + (" AND " + " AND ".join(_condition(manifest, f) for f in spec.filters) if spec.filters else "")
        )
    target = columns[0]
    value = numeric(target)
    text_column = target.dtype == "string" and not target.coding
    if spec.kind == "missing":
        return (
            f"SELECT {group_select}COUNT(*) - COUNT({quote(target.name)}) AS n_missing, COUNT(*) AS n_total "
            f"FROM data{where}{group_tail}"
        )
    if spec.kind in ("mode", "summary") and (text_column or target.binary or spec.kind == "mode") and group is None:
        return (
            f"SELECT {quote(target.name)} AS {quote(target.name)}, COUNT(*) AS n, "
            f"100.0 * COUNT(*) / SUM(COUNT(*)) OVER () AS pct FROM data{where} "
            f"GROUP BY {quote(target.name)} ORDER BY n DESC, {quote(target.name)} LIMIT 50"
        )
    if text_column:
        # A mean of text makes no sense: counts per level (per group) instead.
        keys = f"{quote(group.name)}, {quote(target.name)}" if group else quote(target.name)
        return f"SELECT {keys}, COUNT(*) AS n FROM data{where} GROUP BY {keys} ORDER BY {keys} LIMIT 200"
    aggregates = {
        "mean": f"AVG({value}) AS mean",
        "median": f"MEDIAN({value}) AS median",
        "min": f"MIN({value}) AS minimum",
        "max": f"MAX({value}) AS maximum",
        "sum": f"SUM({value}) AS total",
        "sd": f"STDDEV_SAMP({value}) AS sd",
        "range": f"MIN({value}) AS minimum, MAX({value}) AS maximum",
        "summary": (
            f"AVG({value}) AS mean, STDDEV_SAMP({value}) AS sd, MIN({value}) AS minimum, "
            f"QUANTILE_CONT({value}, 0.25) AS p25, MEDIAN({value}) AS median, "
            f"QUANTILE_CONT({value}, 0.75) AS p75, MAX({value}) AS maximum"
        ),
        "mode": f"MODE({value}) AS mode",
    }
    return (
        f"SELECT {group_select}{aggregates[spec.kind]}, COUNT({quote(target.name)}) AS n FROM data{where}{group_tail}"
    )
