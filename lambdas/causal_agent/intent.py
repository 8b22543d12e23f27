"""Which dataset a question or a reply names (the question itself is read by ``causal_agent.reading``)."""

from __future__ import annotations

import re

from causal_common.models.datasets import DatasetManifest


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.lower()).strip()


def _contains_word(text: str, phrase: str) -> int:
    """Position of ``phrase`` as whole words in ``text`` (both normalised), or -1."""
    phrase = _normalise(phrase)
    if not phrase:
        return -1
    match = re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text)
    return match.start() if match else -1


def pick_dataset(
    text: str, manifests: list[DatasetManifest], offered: list[str] | None = None
) -> DatasetManifest | None:
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
