"""Replies to "which of these columns do you mean?": the option the reply picks, or that it must be asked again.

A reply is read clause by clause against the offered columns only:

- an option's place ("the first one", "option 2", "the last");
- the offered columns it names, by their name's parts (a word that fits one offered column loosely counts, since
  the others are not in play), and whether a negation governs each ("not the minutes one", "fees, not refunds",
  "intake is too early so not that one", "branch is too broad");
- what it says about the column's kind instead of its name: two-valued ("the true/false one", "whether they ever
  did"), an amount ("how much", "the number of", "per litre"), measured later or earlier ("the end-of-year one",
  "the intake one");
- "the other one" after a negated option, or a negated option when only one is left.

A word that fits several offered columns alike ("score" for two score columns), a question back, "both" or
"whichever" settles nothing: the prompt is asked again, never guessed. A reply that says nothing about the options
returns None, so the caller can read it another way (a whole new question, a column outside the options).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from causal_agent.reading.columns import ColumnIndex, Mention
from causal_agent.reading.words import tokenize
from causal_common.models.datasets import Column
from causal_common.roles import name_parts, said_before_treatment

ASK_AGAIN = "ask again"

_PLACE = re.compile(
    r"^\s*(?:the\s+|option\s+|number\s+|no\.?\s*|#)?(?P<n>\d{1,2}|first|1st|second|2nd|third|3rd|fourth|4th|fifth|"
    r"5th|last)(?:\s+(?:one|option|column))?\b"
)
_PLACES = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_PLACES |= {"fifth": 5, "5th": 5, "last": -1}
_UNDECIDED = re.compile(
    r"\b(?:both|either(?! of)|whichever|any of them|you (?:choose|decide|pick)|up to you|your call|not sure|"
    r"no idea|don'?t know|dunno)\b"
)
_CLAUSE = re.compile(r"\s*(?:[,;.!?:]|\s[-–—]\s|\bbut\b|\bso\b|\bbecause\b)\s*")
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|without|rather than|instead of|\w+n't)\b")
# "whether they were coached or not": an alternative, not a negation.
_OR_NOT = re.compile(r"\b(?:or not|or no)\b")
# Negated reference back ("… so surely not that one") and a verdict against a named column ("too broad").
_NOT_THAT = re.compile(r"\bnot (?:that|this|it|those|these)(?: one| ones)?\b")
_VERDICT = re.compile(
    r"(?:(?:is|are|was|seems|feels|would be) )?(?:too \w+|wrong|useless|irrelevant|doesn'?t matter|makes no sense)\b"
)
_OTHER = re.compile(r"\bthe other(?: one)?\b|\bthe remaining one\b")
_TWO_VALUED = re.compile(
    r"\b(?:yes ?/ ?no|true ?/ ?false|0 ?/ ?1|binary|flag|dummy|indicator|whether|or not|at all|any\b|ever\b|"
    r"on/off|did they|got it or)"
)
_AMOUNT = re.compile(
    r"\b(?:amount|how (?:much|many|big|large|long|often)|number of|count|per (?:\w+)|dose|dosage|quantity|size|"
    r"intensity|more\b|extra|each additional|continuous|level of)"
)
_LATER = re.compile(r"\b(?:later|follow[- ]?up|after(?:wards)?|end(?:ing)?|final|next|subsequent|post)\b")
_EARLIER = re.compile(r"\b(?:earlier|baseline|before|prior|initial|previous|pre|starting|original)\b")


@dataclass
class _Clause:
    text: str
    positive: list[set[str]]
    negative: set[str]


def _place(text: str, options: list[str]) -> str | None:
    match = _PLACE.match(text)
    if not match or not options:
        return None
    rest = text[match.end() :].strip(" .!")
    if rest and not re.fullmatch(r"(?:please|pls|thanks|one)", rest):
        return None
    raw = match.group("n")
    number = int(raw) if raw.isdigit() else _PLACES[raw]
    position = len(options) - 1 if number == -1 else number - 1
    return options[position] if 0 <= position < len(options) else None


def _negated(clause: str, tokens_before: str) -> bool:
    window = " ".join(tokens_before.split()[-4:])
    return bool(_NEGATION.search(window)) and not _OR_NOT.search(window)


def _kinds(clause: str, columns: dict[str, Column]) -> list[set[str]]:
    """Offered columns the clause describes by kind rather than by name."""
    groups: list[set[str]] = []
    two_valued = {name for name, column in columns.items() if column.binary}
    amounts = {name for name, column in columns.items() if column.dtype in ("integer", "float") and not column.binary}
    earlier = {name for name, column in columns.items() if said_before_treatment(name, column.description or "")}
    if _TWO_VALUED.search(clause) and 0 < len(two_valued) < len(columns):
        groups.append(two_valued)
    if _AMOUNT.search(clause) and 0 < len(amounts) < len(columns):
        groups.append(amounts)
    if 0 < len(earlier) < len(columns):
        if _LATER.search(clause) and not _EARLIER.search(clause):
            groups.append(set(columns) - earlier)
        elif _EARLIER.search(clause) and not _LATER.search(clause):
            groups.append(earlier)
    return groups


def _mentioned(mention: Mention, options: list[str]) -> set[str]:
    return {name for name in [mention.column, *mention.alternatives] if name in options}


def choose_option(reply: str, options: list[str], index: ColumnIndex) -> str | None:
    """The offered column the reply picks; ``ASK_AGAIN`` when it leaves the choice open; None when it says nothing
    about the offered columns."""
    text = " ".join(reply.lower().replace("’", "'").split())
    if not text or not options:
        return None
    placed = _place(text, options)
    if placed:
        return placed
    if text.rstrip().endswith("?") or _UNDECIDED.search(text):
        return ASK_AGAIN
    offered = index.restricted(options)
    columns = {name: column for name in options if (column := index.column(name)) is not None}
    clauses: list[_Clause] = []
    for piece in _CLAUSE.split(text):
        piece = piece.strip()
        if not piece:
            continue
        tokens = tokenize(piece)
        clause = _Clause(piece, [], set())
        for mention in offered.mentions(tokens, piece):
            names = _mentioned(mention, options)
            if not names:
                continue
            before = piece[: tokens[mention.first].start]
            parts = {part for name in names for part in name_parts(name)}
            if before.rstrip(" -").split()[-1:] and before.rstrip(" -").split()[-1] in parts:
                before = before.rstrip(" -")[: -len(before.rstrip(" -").split()[-1])]  # "non-smokers", non_smoker
            after = piece[tokens[mention.last].end :]
            if _negated(piece, before) or _VERDICT.match(after.strip()) or _NOT_THAT.search(after):
                clause.negative |= names
            else:
                clause.positive.append(names)
        kinds_negated = re.match(r"(?:not|no|never)\b", piece) is not None and not clause.positive
        for group in _kinds(piece, columns):
            if kinds_negated:
                clause.negative |= group  # "minutes, not the flag"
            else:
                clause.positive.append(group)
        if _NOT_THAT.search(piece) and not clause.positive and not clause.negative and clauses:
            # "… intake. so surely not that one": the reference is to what the clause before named.
            earlier = clauses[-1]
            for group in earlier.positive:
                earlier.negative |= group
            earlier.positive = []
        clauses.append(clause)
    negative = set().union(*(c.negative for c in clauses)) if clauses else set()
    groups = [group - negative for c in clauses for group in c.positive]
    groups = [group for group in groups if group]
    if groups:
        chosen = set(groups[0])
        for group in groups[1:]:
            narrower = chosen & group
            if narrower:
                chosen = narrower
            elif len(chosen) > 1:
                chosen = group
        if len(chosen) == 1:
            return next(iter(chosen))
        return ASK_AGAIN
    remaining = [name for name in options if name not in negative]
    if negative and len(remaining) == 1:
        return remaining[0]  # "not the minutes one", "not the fee, the other one"
    if negative or any(_OTHER.search(c.text) for c in clauses):
        return ASK_AGAIN
    return None
