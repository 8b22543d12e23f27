"""Numbers that are codes, not amounts.

A covariate stored as a number may name categories (an education category 1–5, a region code 1–9): its
values have no distance between them, so adjusting for it as one slope is a guess about a shape the data
never promised. Such a column is one-hot coded. The rule, column by column:

- at most ``MAX_CODE_LEVELS`` distinct whole numbers, and at least three (two levels code the same either way);
- its name or description calls it a code (category, type, code, group, class, level, region, sector, …);
- and nothing calls it a count or a measurement (number of, children, age, years, hours, …): a count such as
  the number of children 0–4 has a real distance between values and stays a number.

A number that no word calls a code stays a number: the data alone do not say whether 1–5 is a scale or a list.
"""

from __future__ import annotations

import re

import pandas as pd

from causal_common.roles import name_parts

MAX_CODE_LEVELS = 10
CODE_WORDS = frozenset(
    {
        "cat",
        "category",
        "categories",
        "categorical",
        "type",
        "types",
        "code",
        "codes",
        "coded",
        "group",
        "groups",
        "grp",
        "class",
        "level",
        "lvl",
        "region",
        "regions",
        "zone",
        "sector",
        "industry",
        "occupation",
        "occ",
        "status",
        "race",
        "ethnicity",
        "state",
        "country",
        "department",
        "dept",
        "kind",
        "tier",
        "band",
        "segment",
        "district",
        "province",
        "marital",
    }
)
COUNT_WORDS = frozenset(
    {
        "n",
        "num",
        "number",
        "count",
        "counts",
        "cnt",
        "nr",
        "children",
        "child",
        "kids",
        "age",
        "years",
        "yrs",
        "months",
        "weeks",
        "days",
        "hours",
        "times",
        "visits",
        "rooms",
        "size",
        "amount",
        "quantity",
        "qty",
        "total",
    }
)
_COUNT_PHRASE = re.compile(r"\b(?:number\s+of|count\s+of|how\s+many|in\s+(?:years|months|days|hours))\b", re.I)


def _description_words(description: str) -> set[str]:
    return set(re.findall(r"[a-z]+", description.lower()))


def numeric_code_levels(name: str, series: pd.Series, description: str = "") -> list[int] | None:
    """The sorted levels of a numeric column that is a code by the rule above, or None if it is a number."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = series.dropna()
    if values.empty or not (values == values.round()).all():
        return None
    levels = sorted(int(value) for value in pd.unique(values))
    if not 3 <= len(levels) <= MAX_CODE_LEVELS:
        return None
    parts = set(name_parts(name))
    words = _description_words(description)
    if parts & COUNT_WORDS or (words & (COUNT_WORDS - {"n"})) or _COUNT_PHRASE.search(description):
        return None
    if parts & CODE_WORDS or words & CODE_WORDS:
        return levels
    return None


def code_reason(levels: list[int]) -> str:
    """'(1–5) treated as 5 categories …' or '(values 1, 2, 4) treated as 3 categories …'."""
    consecutive = levels == list(range(levels[0], levels[-1] + 1))
    span = f"{levels[0]}–{levels[-1]}" if consecutive else "values " + ", ".join(map(str, levels))
    return (
        f"({span}) treated as {len(levels)} categories: its name or description says it is a code, "
        f"so its numbers name groups rather than amounts"
    )
