"""Reading a question: which dataset, which treatment, which outcome.

Deterministic and schema-driven: explicit column names first ("effect of
treat on re78"), then the manifest's synonyms ("training", "earnings"), then
the manifest's column roles. When none of that settles it, the caller asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causal_common.models.datasets import Column, DatasetManifest

_EXPLICIT = re.compile(
    r"(?:effect|impact|influence|consequence)s?\s+(?:of\s+)?(?P<treatment>.+?)\s+(?:on|upon)\s+(?P<outcome>.+?)"
    r"(?:\?|\.|,|;|$|\s+(?:for|in|among|using|with|when|if)\s)",
    re.IGNORECASE,
)
_VERB = re.compile(
    r"(?:does|do|did|will|would|can)\s+(?P<treatment>.+?)\s+(?:affect|raise|increase|reduce|decrease|change|cause|"
    r"impact|influence|improve|lower|boost|help)\s+(?P<outcome>.+?)(?:\?|\.|,|;|$|\s+(?:for|in|among|by|and)\s)",
    re.IGNORECASE,
)


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


def _contains_word(text: str, phrase: str) -> int:
    """Position of ``phrase`` as whole words in ``text`` (both normalised), or -1."""
    phrase = _normalise(phrase)
    if not phrase:
        return -1
    match = re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text)
    return match.start() if match else -1


def pick_dataset(text: str, manifests: list[DatasetManifest], offered: list[str] | None = None) -> DatasetManifest | None:
    """The dataset the text names (id or title), or the N-th of ``offered`` for a reply like "2"."""
    normalised = _normalise(text)
    by_id = {manifest.id: manifest for manifest in manifests}
    number = re.fullmatch(r"\s*(?:#|no\.?\s*)?(\d{1,2})\s*\.?\s*", text)
    if number and offered:
        index = int(number.group(1)) - 1
        if 0 <= index < len(offered) and offered[index] in by_id:
            return by_id[offered[index]]
    hits = [(len(m.id), m) for m in manifests if _contains_word(normalised, m.id) >= 0]
    hits += [(len(m.title), m) for m in manifests if _contains_word(normalised, m.title) >= 0]
    if not hits:
        return None
    return max(hits, key=lambda pair: pair[0])[1]


def _column_for_phrase(phrase: str, manifest: DatasetManifest) -> Column | None:
    normalised = _normalise(phrase)
    for column in manifest.columns:
        if _normalise(column.name) == normalised:
            return column
    for column in manifest.columns:
        if _contains_word(normalised, column.name) >= 0:
            return column
    for column in manifest.columns:
        if any(_contains_word(normalised, synonym) >= 0 for synonym in column.synonyms):
            return column
    return None


def _mentions(text: str, manifest: DatasetManifest) -> list[Column]:
    """Columns the text names, by name or synonym, in order of appearance."""
    normalised = _normalise(text)
    found: list[tuple[int, Column]] = []
    for column in manifest.columns:
        if column.role == "identifier":
            continue
        positions = [_contains_word(normalised, column.name)]
        positions += [_contains_word(normalised, synonym) for synonym in column.synonyms]
        hits = [position for position in positions if position >= 0]
        if hits:
            found.append((min(hits), column))
    return [column for _, column in sorted(found, key=lambda pair: pair[0])]


@dataclass
class Variables:
    treatment: str | None = None
    outcome: str | None = None
    common_causes: list[str] = field(default_factory=list)
    how: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.treatment and self.outcome and self.treatment != self.outcome)


def resolve_variables(text: str, manifest: DatasetManifest) -> Variables:
    variables = Variables()
    for pattern in (_EXPLICIT, _VERB):
        match = pattern.search(text)
        if match:
            treatment = _column_for_phrase(match.group("treatment"), manifest)
            outcome = _column_for_phrase(match.group("outcome"), manifest)
            if treatment and outcome and treatment.name != outcome.name:
                variables.treatment, variables.outcome = treatment.name, outcome.name
                variables.how = "named in the question"
                break
    if not variables.complete:
        mentioned = _mentions(text, manifest)
        treatments = [c for c in mentioned if c.role == "treatment"]
        outcomes = [c for c in mentioned if c.role == "outcome"]
        others = [c for c in mentioned if c.role not in ("treatment", "outcome")]
        candidates = treatments or others
        variables.treatment = candidates[0].name if candidates else None
        remaining = [c for c in outcomes + others if c.name != variables.treatment]
        variables.outcome = remaining[0].name if remaining else None
        variables.how = "matched by name or synonym" if mentioned else ""
    if not variables.treatment:
        roles = manifest.with_role("treatment")
        if len(roles) == 1:
            variables.treatment = roles[0].name
            variables.how = variables.how or "from the dataset's column roles"
    if not variables.outcome:
        roles = [c for c in manifest.with_role("outcome") if c.name != variables.treatment]
        if len(roles) == 1:
            variables.outcome = roles[0].name
            variables.how = variables.how or "from the dataset's column roles"
    if variables.complete:
        variables.common_causes = [
            c.name for c in manifest.with_role("covariate") if c.name not in (variables.treatment, variables.outcome)
        ]
    return variables


def describe_columns(manifest: DatasetManifest, limit: int = 30) -> str:
    parts = []
    for column in manifest.columns[:limit]:
        extra = f" ({column.role})" if column.role not in ("other", "covariate") else ""
        parts.append(f"{column.name}{extra}")
    return ", ".join(parts)
