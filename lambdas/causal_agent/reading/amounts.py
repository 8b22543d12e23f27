"""One treatment recorded twice: whether it happened (a yes/no column) and how much of it (an amount).

A data set may hold both, e.g. ``trained`` 0/1 and ``training_hours``. The words around the treatment say
which is meant: "offering", "any", "whether", "getting", "receiving" ask about the yes/no column; "how much
training", "each additional hour", "more hours", "per hour", "dose", "amount" about the amount. With neither,
the column the words matched best stays. The answer names the other column and how to ask about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from causal_agent.reading.columns import Mention
from causal_agent.reading.words import GENERIC_PARTS, Token, stem
from causal_common.models.datasets import Column, DatasetManifest
from causal_common.roles import name_parts

# Words just before the treatment that ask whether it happened at all.
_YES_NO_BEFORE = re.compile(
    r"^(?:offer\w*|any|whether|get|gets|getting|got|gotten|receiv\w*|being|ever|participat\w*|enrol\w*|"
    r"took|taking|take|attend\w*|access)$"
)
# Words around the treatment that ask about its amount.
_AMOUNT_WORDS = re.compile(
    r"^(?:additional|extra|more|fewer|less|dose|doses|dosage|amount|amounts|quantity|intensity|per|each|every|"
    r"longer|duration)$"
)
_AUXILIARY = re.compile(r"^(?:do|does|did|is|are|was|were|would|will|can|could|should|might|has|have|had)$")
_WINDOW = 4


@dataclass(frozen=True)
class Forms:
    """The yes/no column and the amount column of one treatment, and the words that set the amount apart."""

    yes_no: Column
    amount: Column
    unit_words: frozenset[str]


def _stems(column: Column) -> set[str]:
    words = [*name_parts(column.name), *(w for s in column.synonyms for w in re.findall(r"[a-z]+", s.lower()))]
    return {stem(word) for word in words if word not in GENERIC_PARTS and len(word) > 2}


def forms_of(column_name: str, manifest: DatasetManifest) -> Forms | None:
    """The other form of ``column_name``'s treatment: a numeric column sharing a name word with a yes/no one."""
    chosen = manifest.column(column_name)
    if chosen is None:
        return None
    for other in manifest.columns:
        if other.name == chosen.name or other.role in ("outcome", "identifier"):
            continue
        yes_no, amount = (chosen, other) if chosen.binary else (other, chosen)
        if not yes_no.binary or amount.binary or amount.dtype not in ("integer", "float"):
            continue
        shared = _stems(yes_no) & _stems(amount)
        if shared:
            units = frozenset(stem(w) for w in name_parts(amount.name)) - shared
            return Forms(yes_no, amount, units)
    return None


def _asks_for_amount(tokens: list[Token], mention: Mention, forms: Forms, mentions: list[Mention]) -> bool:
    before = tokens[max(0, mention.first - _WINDOW) : mention.first]
    after = tokens[mention.last + 1 : mention.last + 3]
    if any(_AMOUNT_WORDS.match(t.word) or t.stem in forms.unit_words for t in [*before, *after]):
        return True
    # "how much training": an amount; "how much does training raise …": the size of the effect.
    for position, token in enumerate(tokens[:-1]):
        if (
            token.word in ("much", "many")
            and position > 0
            and tokens[position - 1].word == "how"
            and position + 1 <= mention.first
            and not _AUXILIARY.match(tokens[position + 1].word)
            # "how many minutes … did the gates save": the count is of another column, not of the treatment.
            and not any(m is not mention and position < m.first < mention.first for m in mentions)
        ):
            return True
    # The amount's unit said elsewhere ("increased by 10 hours").
    return any(m.column == forms.amount.name for m in mentions if m is not mention)


def _asks_whether(tokens: list[Token], mention: Mention) -> bool:
    before = tokens[max(0, mention.first - _WINDOW) : mention.first]
    return any(_YES_NO_BEFORE.match(t.word) for t in before)


def choose_form(
    treatment: str, tokens: list[Token], mentions: list[Mention], manifest: DatasetManifest
) -> tuple[str, str]:
    """The treatment column the words ask for, and a note naming the other form (empty without one)."""
    forms = forms_of(treatment, manifest)
    if forms is None:
        return treatment, ""
    mention = next((m for m in mentions if m.column == treatment), None)
    concept = " ".join(t.word for t in tokens[mention.first : mention.last + 1]) if mention else treatment
    if mention is not None and mention.source != "exact":  # a column named exactly is the one meant
        if _asks_for_amount(tokens, mention, forms, mentions):
            treatment = forms.amount.name
        elif _asks_whether(tokens, mention):
            treatment = forms.yes_no.name
    unit = next(iter(sorted(forms.unit_words)), "unit")
    unit_word = next((p for p in name_parts(forms.amount.name) if stem(p) == unit), unit)
    unit_word = unit_word[:-1] if unit_word.endswith("s") and len(unit_word) > 3 else unit_word
    if treatment == forms.yes_no.name:
        note = (
            f"I used {forms.yes_no.name} (yes/no); {forms.amount.name} measures the amount — ask about it by "
            f"saying 'each extra {unit_word} of {concept}'."
        )
    else:
        note = (
            f"I used {forms.amount.name}, the amount; {forms.yes_no.name} (yes/no) records whether there was any — "
            f"ask about it by saying 'getting any {concept}'."
        )
    return treatment, note
