"""Which columns a question names: by exact name, name parts, synonyms, descriptions and level values."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from causal_agent.reading.words import (
    ABBREVIATIONS,
    GENERIC_PARTS,
    STOPWORDS,
    Token,
    is_content,
    related,
    stem,
    tokenize,
    word_match,
)
from causal_common.models.datasets import Column, DatasetManifest
from causal_common.roles import name_parts

# A mention needs at least this score (coverage of a name or synonym × how it was found).
MIN_SCORE = 0.45
_SOURCE_FACTOR = {"exact": 1.05, "name": 1.0, "synonym": 0.95, "description": 0.55}
# Initials that spell a part of a column's name: as good as naming a compound name's head.
_INITIALISM_SCORE = 0.6


@dataclass(frozen=True)
class _Key:
    words: tuple[str, ...]
    weights: tuple[float, ...]
    source: str


@dataclass
class Mention:
    column: str
    first: int  # token indices, inclusive
    last: int
    score: float
    source: str
    alternatives: list[str] = field(default_factory=list)

    def overlaps(self, other: Mention) -> bool:
        return not (self.last < other.first or other.last < self.first)


@dataclass
class ValueMention:
    """A level of a text column named in the question ("in the sales department")."""

    column: str
    value: str
    first: int
    last: int


def _weights(words: list[str]) -> tuple[float, ...]:
    weights = []
    for position, word in enumerate(words):
        after_per = position > 0 and words[position - 1] == "per"  # "mins_per_game": the rate's denominator
        weights.append(
            0.5 if word[:1].isdigit() else 0.3 if word in GENERIC_PARTS or len(word) == 1 or after_per else 1.0
        )
    return tuple(weights)


def _phrase_words(text: str) -> list[str]:
    return [token.word for token in tokenize(text) if token.is_word or token.is_number]


class ColumnIndex:
    """The columns of one dataset, ready to be found in questions."""

    def __init__(self, manifest: DatasetManifest) -> None:
        self.manifest = manifest
        self.columns = [column for column in manifest.columns]
        # Among a few offered columns, a word for a generic part of one name ("the amount" for refund_amt) names it.
        self.loose = False
        self._keys: dict[str, list[_Key]] = {}
        description_words: dict[str, set[str]] = {}
        for column in self.columns:
            parts = name_parts(column.name)
            keys = [_Key(tuple(parts), _weights(parts), "name")] if parts else []
            for synonym in column.synonyms:
                words = _phrase_words(synonym)
                if words:
                    keys.append(_Key(tuple(words), _weights(words), "synonym"))
            self._keys[column.name] = keys
            description_words[column.name] = {
                token.word for token in tokenize(column.description) if is_content(token) and len(token.word) >= 4
            }
        # A description word shared by many columns says nothing about which one is meant.
        counts: dict[str, int] = {}
        for described in description_words.values():
            for word in described:
                counts[word] = counts.get(word, 0) + 1
        self._description = {
            name: {w for w in described if counts[w] <= 2} for name, described in description_words.items()
        }

    def column(self, name: str) -> Column | None:
        return self.manifest.column(name)

    def restricted(self, names: list[str]) -> ColumnIndex:
        """An index of some columns only (those a prompt asked about, or offered): a word that fits one of them
        loosely is found even where another column of the data would have fitted it better. An identifier among
        them can be named like any other column."""
        columns = [
            column.model_copy(update={"role": "other"}) if column.role == "identifier" else column
            for column in self.manifest.columns
            if column.name in names
        ]
        narrower = ColumnIndex(self.manifest.model_copy(update={"columns": columns}))
        narrower.loose = True
        return narrower

    # ------------------------------------------------------------------ mentions

    def mentions(self, tokens: list[Token], text: str) -> list[Mention]:
        """Non-overlapping column mentions, in order of appearance; near-ties are kept as alternatives."""
        candidates = self._exact(tokens, text)
        for column in self.columns:
            if column.role == "identifier" and not any(c.column == column.name for c in candidates):
                continue
            for key in self._keys[column.name]:
                candidates.extend(self._key_matches(column.name, key, tokens))
            candidates.extend(self._description_matches(column.name, tokens))
            candidates.extend(self._initialism_matches(column.name, tokens))
            candidates.extend(self._split_word_matches(column.name, tokens))
        candidates.sort(key=lambda m: (-m.score, -(m.last - m.first), m.first))
        chosen: list[Mention] = []
        for candidate in candidates:
            same_span = next((m for m in chosen if m.first == candidate.first and m.last == candidate.last), None)
            if same_span is not None:
                if (
                    candidate.column != same_span.column
                    and same_span.score - candidate.score <= 0.05
                    and candidate.column not in same_span.alternatives
                ):
                    same_span.alternatives.append(candidate.column)
                continue
            if any(candidate.overlaps(m) for m in chosen):
                continue
            if any(m.column == candidate.column for m in chosen) and candidate.score < 1.0:
                # A second, weaker mention of a column already found adds nothing.
                continue
            chosen.append(candidate)
        return sorted(chosen, key=lambda m: m.first)

    def _exact(self, tokens: list[Token], text: str) -> list[Mention]:
        found: list[Mention] = []
        for column in self.columns:
            pattern = r"[\s_\-]+".join(re.escape(part) for part in re.split(r"[\s_\-]+", column.name.strip()) if part)
            if not pattern:
                continue
            for match in re.finditer(rf"(?<![A-Za-z0-9_]){pattern}(?![A-Za-z0-9_])", text, re.IGNORECASE):
                inside = [i for i, t in enumerate(tokens) if t.start >= match.start() and t.end <= match.end()]
                if inside:
                    found.append(Mention(column.name, inside[0], inside[-1], _SOURCE_FACTOR["exact"], "exact"))
            joined = re.sub(r"[^a-z0-9]", "", column.name.lower())
            for first in range(len(tokens)):
                for last in range(first + 1, min(first + 3, len(tokens))):
                    if "".join(t.word for t in tokens[first : last + 1]) == joined:
                        found.append(Mention(column.name, first, last, _SOURCE_FACTOR["exact"], "exact"))
        return found

    def _match(self, question_word: str, column_word: str) -> float:
        quality = word_match(question_word, column_word)
        if quality or not self.loose or not question_word.isalpha() or not column_word.isalpha():
            return quality
        # Among a few offered columns: one word with another ending ("gain" for gains, "lend" for lent).
        short = min(len(question_word), len(column_word))
        common = len(os.path.commonprefix([question_word, column_word]))
        return 0.7 if short >= 4 and common >= 3 and common >= short - 1 else 0.0

    def _key_matches(self, column: str, key: _Key, tokens: list[Token]) -> list[Mention]:
        found: list[Mention] = []
        reach = len(key.words) + 1
        for seed, token in enumerate(tokens):
            if not (token.is_word or token.is_number) or token.word in STOPWORDS:
                continue
            if not any(self._match(token.word, word) for word in key.words):
                continue
            head = max((j for j, weight in enumerate(key.weights) if weight == 1.0), default=None)
            used: dict[int, tuple[int, float]] = {}  # key word → (token index, quality)
            for position in range(max(0, seed - reach), min(len(tokens), seed + reach + 1)):
                candidate = tokens[position]
                if not (candidate.is_word or candidate.is_number) or candidate.word in STOPWORDS:
                    continue
                if any(index == position for index, _ in used.values()):
                    continue
                options = [(self._match(candidate.word, word), j == head, j) for j, word in enumerate(key.words)]
                options = [o for o in options if o[0] and (o[2] not in used or used[o[2]][1] < o[0])]
                if options:
                    quality, _, j = max(options)
                    used[j] = (position, quality)
            if seed not in {index for index, _ in used.values()}:
                continue
            extra = self._expansion_tokens(key, used, tokens)
            if not any(key.weights[j] == 1.0 for j in used):
                if self.loose and used:
                    positions = [index for index, _ in used.values()]
                    quality = max(quality for _, quality in used.values())
                    found.append(Mention(column, min(positions), max(positions), round(0.5 * quality, 4), key.source))
                continue  # only generic parts ("avg", "id") matched
            coverage = sum(key.weights[j] * quality for j, (_, quality) in used.items()) / sum(key.weights)
            # The first or last informative word of a compound name is its head ("wage" of hourly_wage,
            # "injured" of injured_last_season): naming it names the column, even without the modifiers.
            first = min((j for j, weight in enumerate(key.weights) if weight == 1.0), default=None)
            for end in (head, first):
                if end is not None and end in used:
                    coverage = max(coverage, 0.6 * used[end][1])
            score = coverage * _SOURCE_FACTOR[key.source]
            if score >= MIN_SCORE:
                positions = [index for index, _ in used.values()] + extra
                found.append(Mention(column, min(positions), max(positions), round(score, 4), key.source))
        return found

    def _split_word_matches(self, column: str, tokens: list[Token]) -> list[Mention]:
        """A name word the question writes as two ("take up" for the takeup of lunch_takeup_pct, "check in" for
        checkin): the pair is that word, scored with the name's other words the neighbours match."""
        keys = [key for key in self._keys[column] if key.source == "name"]
        if not keys:
            return []
        key = keys[0]
        found: list[Mention] = []
        for j, part in enumerate(key.words):
            if key.weights[j] != 1.0 or len(part) < 5 or not part.isalpha():
                continue
            for first in range(len(tokens) - 1):
                pair = tokens[first : first + 2]
                if not all(t.is_word and len(t.word) >= 2 for t in pair) or pair[0].word + pair[1].word != part:
                    continue
                used = {j: 1.0}
                low, high = first, first + 1
                for position in (first - 1, first + 2):
                    if not 0 <= position < len(tokens) or not tokens[position].is_word:
                        continue
                    options = [(word_match(tokens[position].word, word), k) for k, word in enumerate(key.words)]
                    quality, k = max(options)
                    if quality >= 0.8 and k not in used:
                        used[k] = quality
                        low, high = min(low, position), max(high, position)
                coverage = sum(key.weights[k] * q for k, q in used.items()) / sum(key.weights)
                score = max(coverage, 0.6) * _SOURCE_FACTOR["name"]
                found.append(Mention(column, low, high, round(score, 4), "name"))
        return found

    def _initialism_matches(self, column: str, tokens: list[Token]) -> list[Mention]:
        """A name part spelled by the initials of the words that say it in full ("qol" for "quality of life",
        "los" for "length of stay"): the run of words stands for that part, and names the column as its head
        would."""
        parts = [part for part in name_parts(column) if part.isalpha() and 2 <= len(part) <= 5]
        found: list[Mention] = []
        if self.loose:
            # Among a few offered columns, an initialism whose first letter is a statistic's ("mwt": mean
            # waiting time) is named by the words of the rest ("waiting time").
            parts += [part[1:] for part in parts if len(part) >= 3 and part[0] in "amt"]
        for part in parts:
            if part in ABBREVIATIONS or part in STOPWORDS:
                continue
            size = len(part)
            for first in range(len(tokens) - size + 1):
                run = tokens[first : first + size]
                if not all(token.is_word for token in run) or "".join(t.word[0] for t in run) != part:
                    continue
                if sum(1 for token in run if is_content(token)) < 2 or not is_content(run[0]):
                    continue
                found.append(Mention(column, first, first + size - 1, _INITIALISM_SCORE, "name"))
        return found

    @staticmethod
    def _expansion_tokens(key: _Key, used: dict[int, tuple[int, float]], tokens: list[Token]) -> list[int]:
        """Neighbours that complete a multi-word expansion ("blood pressure" for "bp"), so the span covers them."""
        extra: list[int] = []
        for j, (position, _) in used.items():
            expansion = ABBREVIATIONS.get(key.words[j], ())
            if len(expansion) < 2:
                continue
            for neighbour in (position - 1, position + 1):
                if 0 <= neighbour < len(tokens) and any(stem(tokens[neighbour].word) == stem(w) for w in expansion):
                    extra.append(neighbour)
        return extra

    def _description_matches(self, column: str, tokens: list[Token]) -> list[Mention]:
        words = self._description.get(column) or set()
        found: list[Mention] = []
        for index, token in enumerate(tokens):
            if not is_content(token):
                continue
            quality = max((word_match(token.word, word) for word in words), default=0.0)
            if quality >= 0.85:
                found.append(
                    Mention(column, index, index, round(quality * _SOURCE_FACTOR["description"], 4), "description")
                )
        return found

    # ------------------------------------------------------------------ values of text columns

    def value_mentions(self, tokens: list[Token]) -> list[ValueMention]:
        found: list[ValueMention] = []
        for column in self.columns:
            for level in column.levels or []:
                words = _phrase_words(level)
                if not words or all(word in STOPWORDS or word[:1].isdigit() for word in words):
                    continue
                for start in range(len(tokens) - len(words) + 1):
                    window = tokens[start : start + len(words)]
                    if all(
                        t.word == w or stem(t.word) == stem(w) or (len(w) > 2 and related(t.word, w))
                        for t, w in zip(window, words, strict=True)
                    ):
                        found.append(ValueMention(column.name, level, start, start + len(words) - 1))
        return found

    def match_phrase(self, phrase: str) -> Mention | None:
        """The best column for a short phrase (a reply such as "the exam score")."""
        tokens = tokenize(phrase)
        found = self.mentions(tokens, phrase)
        return max(found, key=lambda m: m.score) if found else None
