"""Answers that are not effect estimates: descriptions of the data, help, and "I can't tell from this data"."""

from __future__ import annotations

from typing import Any

from causal_agent.answer import number
from causal_agent.conversation import ToolExchange
from causal_agent.reading.descriptive import DescriptiveSpec
from causal_agent.reading.reader import Reading
from causal_common.models.datasets import Column, DatasetManifest

_LABELS = {
    "count": "Count",
    "share": "Share",
    "mean": "Mean",
    "median": "Median",
    "min": "Minimum",
    "max": "Maximum",
    "sum": "Total",
    "sd": "Standard deviation",
    "range": "Range",
    "summary": "Distribution",
    "correlation": "Correlation",
    "mode": "Most common values",
    "missing": "Missing values",
}
MAX_TABLE_ROWS = 25


def treatment_candidates(manifest: DatasetManifest) -> list[Column]:
    declared = manifest.with_role("treatment")
    binary = [c for c in manifest.columns if c.binary and c.role not in ("identifier", "outcome") and c not in declared]
    return declared + binary


def outcome_candidates(manifest: DatasetManifest) -> list[Column]:
    declared = manifest.with_role("outcome")
    # Measured amounts and yes/no results (retained, readmitted) alike; later columns first (outcomes tend to be
    # recorded last). A column with a part in the design (running variable, instrument) is not one.
    measured = [
        c
        for c in manifest.columns
        if (c.dtype in ("integer", "float") or c.binary)
        and c.role not in ("identifier", "treatment", "date", "unit", "time", "running", "instrument")
        and c not in declared
    ]
    return declared + measured[::-1]


def example_question(manifest: DatasetManifest) -> str:
    treatments, outcomes = treatment_candidates(manifest), outcome_candidates(manifest)
    if treatments and outcomes:
        outcome = next((c for c in outcomes if c.name != treatments[0].name), None)
        if outcome is not None:
            return f"What is the effect of {treatments[0].name} on {outcome.name}?"
    numeric = [c for c in manifest.columns if c.dtype in ("integer", "float")]
    if len(numeric) >= 2:
        return f"What is the effect of {numeric[0].name} on {numeric[-1].name}?"
    return "How many rows are there?"


def describe_columns(manifest: DatasetManifest, limit: int = 40) -> str:
    parts = []
    for column in manifest.columns[:limit]:
        notes: list[str] = []
        if column.role not in ("other", "covariate"):
            notes.append(column.role)
        if column.binary and column.role != "treatment":
            notes.append("yes/no")
        parts.append(f"{column.name}" + (f" ({', '.join(notes)})" if notes else ""))
    more = f" and {len(manifest.columns) - limit} more" if len(manifest.columns) > limit else ""
    return ", ".join(parts) + more


def numbered(columns: list[str]) -> str:
    return ", ".join(f"{index}. {name}" for index, name in enumerate(columns, 1))


def roles_question(reading: Reading, manifest: DatasetManifest) -> tuple[str, dict[str, Any]]:
    """A clarifying question about the missing role(s), with numbered options the reply can pick from."""
    missing = reading.missing_roles()
    options: dict[str, list[str]] = {}
    if "treatment" in missing:
        options["treatment"] = [c.name for c in treatment_candidates(manifest) if c.name != reading.outcome][:8] or [
            c.name for c in manifest.columns if c.role != "identifier" and c.name != reading.outcome
        ][:8]
    if "outcome" in missing:
        options["outcome"] = [c.name for c in outcome_candidates(manifest) if c.name != reading.treatment][:8] or [
            c.name for c in manifest.columns if c.role != "identifier" and c.name != reading.treatment
        ][:8]
    known = ""
    if reading.treatment:
        known = f"I have `{reading.treatment}` as the treatment. "
    elif reading.outcome:
        known = f"I have `{reading.outcome}` as the outcome. "
    asks = []
    for role in missing:
        asks.append(f"Which column is the {role}? {numbered(options[role])}")
    example = example_question(manifest)
    text = (
        f'{known}{" ".join(asks)}. You can reply with a number, a column name, or a whole question such as "{example}"'
    )
    if reading.alternatives:
        role, columns = next(iter(reading.alternatives.items()))
        text += f" (For the {role}, {', '.join(columns)} all fit your words.)"
    return text, {"kind": "roles", "missing": missing, "options": options}


def unanswerable_text(reading: Reading, manifest: DatasetManifest) -> str:
    words = ", ".join(f"'{word}'" for word in reading.unmatched) or "what you asked about"
    role = f" (the {reading.unmatched_role})" if reading.unmatched_role else ""
    return (
        f"I can't answer that from {manifest.title}: {words}{role} matches none of its columns, so any number I "
        f"gave would be about something else. The columns are: {describe_columns(manifest)}. "
        f'For example, you could ask "{example_question(manifest)}"'
    )


def concept_question(reading: Reading, manifest: DatasetManifest) -> tuple[str, dict[str, Any]]:
    role = reading.unmatched_role or "treatment"
    options = [
        c.name
        for c in manifest.columns
        if c.role != "identifier" and c.name not in (reading.treatment, reading.outcome)
    ][:12]
    words = ", ".join(f"'{word}'" for word in reading.unmatched)
    text = (
        f"{manifest.title} has no column for {words}. Which column should I use as the {role} instead? "
        f"{numbered(options)}. Or ask a different question."
    )
    return text, {"kind": "concept", "missing": [role], "options": {role: options}}


def other_text(reading: Reading, manifest: DatasetManifest) -> str:
    if reading.other == "greeting":
        opener = "Hello."
    elif reading.other == "empty":
        opener = "Your message was empty."
    else:
        opener = "I answer questions about the data you chose."
    return (
        f"{opener} {manifest.title} has {manifest.rows} rows and these columns: {describe_columns(manifest)}. "
        f'Ask about an effect ("{example_question(manifest)}") or about the data itself '
        f'("How many rows are there?", "What is the average of a column?").'
    )


_STATISTIC_WORDS = {
    "mean": "average",
    "median": "median",
    "min": "minimum",
    "max": "maximum",
    "sum": "total",
    "sd": "standard deviation of",
    "mode": "most common",
}


def _scope(spec: DescriptiveSpec) -> str:
    """The rows the question asked about, in words: ' in 2019', ' among rows where employees is at least 50'."""
    periods = [f.text for f in spec.filters if f.period]
    others = [f.text for f in spec.filters if not f.period]
    where = " among rows where " + " and ".join(others) if others else ""
    return where + "".join(f" {text}" for text in periods)


def _cell(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"  # counts stay whole numbers
    return number(value)


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    body = "\n".join("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_TABLE_ROWS])
    more = f"\n\n({len(rows) - MAX_TABLE_ROWS} more rows not shown)" if len(rows) > MAX_TABLE_ROWS else ""
    return f"{head}\n{body}{more}"


def descriptive_answer(spec: DescriptiveSpec, manifest: DatasetManifest, query: ToolExchange | None) -> str:
    label = _LABELS.get(spec.kind, spec.kind)
    what = " and ".join(f"`{c}`" for c in spec.columns) or "rows"
    if spec.kind in ("count", "share") and spec.columns:
        what = f"rows where `{spec.columns[0]}` is yes"
    heading = f"**{label} of {what}**" + (f" by `{spec.group_by}`" if spec.group_by else "") + _scope(spec)
    sql = str((query.arguments if query else {}).get("sql") or "")
    if query is None or not query.ok:
        error = (query.outcome or {}).get("error") if query else "the query did not run"
        return f"{heading} — {manifest.title}.\n\nThe query failed: {error}\n\n```sql\n{sql}\n```"
    columns = list(query.result.get("columns") or [])
    rows = list(query.result.get("rows") or [])
    if len(rows) == 1 and not spec.group_by:
        # The finding first: the figure asked for, for the rows asked about.
        lines = [headline(spec, dict(zip(columns, rows[0], strict=False)))]
    elif rows:
        lines = [f"{heading} — {manifest.title}.", _table(columns, rows)]
    else:
        lines = [f"{heading} — {manifest.title}.", "No rows match."]
    if query.result.get("truncated"):
        lines.append("The result was cut at the row limit.")
    lines.append(f"Computed over {manifest.title} with one query:\n\n```sql\n{sql}\n```")
    lines.append("This describes the data as it is; it is not an estimate of a causal effect.")
    return "\n\n".join(lines)


def headline(spec: DescriptiveSpec, row: dict[str, Any]) -> str:
    """One sentence that answers a single-figure question, naming its rows and how many there were."""
    scope = _scope(spec)
    if spec.kind in ("count", "share") and "pct_matching" in row:
        subject = f"`{spec.columns[0]}` is yes" if spec.columns else "the condition holds"
        return (
            f"{subject[0].upper()}{subject[1:]}{scope} in **{_cell(row.get('n_matching'))}** of "
            f"{_cell(row.get('n_total'))} rows (**{number(row.get('pct_matching'))}%**)."
        )
    if spec.kind == "count":
        return f"The data have **{_cell(row.get('n'))}** rows{scope}."
    if spec.kind == "correlation":
        pair = " and ".join(spec.columns[:2])
        return (
            f"The correlation (Pearson) between {pair}{scope} is **{number(row.get('correlation'))}**, "
            f"over {_cell(row.get('n'))} rows with both values."
        )
    column = spec.columns[0] if spec.columns else "the column"
    if spec.kind == "missing":
        return f"{column}{scope} has no value in **{_cell(row.get('n_missing'))}** of {_cell(row.get('n_total'))} rows."
    if spec.kind == "range":
        return (
            f"{column}{scope} runs from **{number(row.get('minimum'))}** to **{number(row.get('maximum'))}**, "
            f"over {_cell(row.get('n'))} rows with a value."
        )
    if spec.kind == "summary":
        keys = ("mean", "sd", "minimum", "p25", "median", "p75", "maximum")
        figures = ", ".join(f"{key} **{number(row.get(key))}**" for key in keys if key in row)
        return f"{column}{scope}: {figures}, over {_cell(row.get('n'))} rows with a value."
    value = next((v for k, v in row.items() if k != "n"), None)
    word = _STATISTIC_WORDS.get(spec.kind, spec.kind)
    return f"The {word} {column}{scope} was **{number(value)}**, over {_cell(row.get('n'))} rows."
