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
from causal_agent.reading.words import ABBREVIATIONS, GENERIC_PARTS, Token, stem
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
    r"longer|duration|rate|level|half|halve[ds]?|halving|double[ds]?|doubling|twice|triple[ds]?)$"
)
# Nouns of amount, which say so after the treatment too ("the training dose", "the fertiliser rate").
_AMOUNT_NOUNS = re.compile(r"^(?:dose|doses|dosage|amount|amounts|quantity|intensity|rate|level|duration)$")
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


def _shared(first: set[str], second: set[str]) -> set[str]:
    """Name words the two columns share, a known shortening included ("fert" of fertiliser, "sub" of subscriber)."""
    shared = first & second
    for a in first:
        for b in second:
            short, long = sorted((a, b), key=len)
            expansions = ABBREVIATIONS.get(short, ())
            if short != long and long.startswith(short) and any(stem(e)[:5] == long[:5] for e in expansions):
                shared |= {a, b}
    return shared


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
        shared = _shared(_stems(yes_no), _stems(amount))
        if shared:
            units = frozenset(stem(w) for w in name_parts(amount.name)) - shared
            return Forms(yes_no, amount, units)
    return None


def _asks_for_amount(tokens: list[Token], mention: Mention, forms: Forms, mentions: list[Mention]) -> bool:
    before = tokens[max(0, mention.first - _WINDOW) : mention.first]
    after = tokens[mention.last + 1 : mention.last + 3]
    inside = tokens[mention.first : mention.last + 1]
    if any(_AMOUNT_WORDS.match(t.word) or _is_unit(t, forms) for t in before):
        return True
    # After the treatment only its unit, "per" or a noun of amount speaks of its amount ("fertiliser per hectare");
    # "subscribers take more rides" speaks of the outcome.
    if any(t.word == "per" or _AMOUNT_NOUNS.match(t.word) or _is_unit(t, forms) for t in [*inside, *after]):
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


def _is_unit(token: Token, forms: Forms) -> bool:
    if token.stem in forms.unit_words:
        return True
    return any(stem(expansion) == token.stem for unit in forms.unit_words for expansion in ABBREVIATIONS.get(unit, ()))


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
        else:
            # "getting any", or the treatment's concept with no word of amount ("does the subscription help?"):
            # whether it happened.
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
