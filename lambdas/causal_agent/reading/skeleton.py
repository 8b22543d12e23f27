"""A question with its column mentions replaced by placeholders, for phrase patterns.

"Is exam score affected by hours studied?" becomes ``is C0 affected by C1 ?``
with C0 → exam_score and C1 → study_hours; patterns then read the sentence's
shape without caring how the columns were worded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from causal_agent.reading.columns import Mention
from causal_agent.reading.words import QUESTION_WORDS, STOPWORDS, Token

_PLACEHOLDER = re.compile(r"^C(\d+)$")
# Clause breaks that end a slot: punctuation, or a word that starts a new part of the sentence.
END = (
    r"(?=\s*(?:[,;.?!]|$)|\s+(?:for|among|within|across|when|once|controlling|adjusting|accounting|holding|while|"
    r"given|using|compared|vs|versus|if|after|before|during|where|who|that|which|by|over|than|and|or|but|so|"
    r"because|with|without|excluding|ignoring|assuming|in|at|on|per|between)\b)"
)


def slot(name: str, size: int = 7) -> str:
    """A named run of 1..size items that does not cross punctuation."""
    return rf"(?P<{name}>(?:[^\s,;.?!]+\s+){{0,{size - 1}}}?[^\s,;.?!]+)"


@dataclass
class Skeleton:
    text: str
    items: list[str]
    mentions: list[Mention]
    tokens: list[Token]

    @classmethod
    def build(cls, tokens: list[Token], mentions: list[Mention]) -> Skeleton:
        items: list[str] = []
        starts = {m.first: index for index, m in enumerate(mentions)}
        covered = {i for m in mentions for i in range(m.first, m.last + 1)}
        for position, token in enumerate(tokens):
            if position in starts:
                items.append(f"C{starts[position]}")
            elif position not in covered:
                items.append(token.word)
        return cls(" ".join(items), items, mentions, tokens)

    def columns_in(self, fragment: str | None) -> list[str]:
        """Columns named in a fragment of the skeleton text, in order."""
        if not fragment:
            return []
        found: list[str] = []
        for item in fragment.split():
            match = _PLACEHOLDER.match(item)
            if match and int(match.group(1)) < len(self.mentions):
                column = self.mentions[int(match.group(1))].column
                if column not in found:
                    found.append(column)
        return found

    def mention_indices(self, fragment: str | None) -> list[int]:
        if not fragment:
            return []
        return [int(m.group(1)) for item in fragment.split() if (m := _PLACEHOLDER.match(item))]

    @staticmethod
    def concept_words(fragment: str | None) -> list[str]:
        """Words of a fragment that could name something measured but are no column."""
        if not fragment:
            return []
        return [
            item
            for item in fragment.split()
            if not _PLACEHOLDER.match(item)
            and item[:1].isalpha()
            and len(item) > 1
            and item not in STOPWORDS
            and item not in QUESTION_WORDS
        ]
