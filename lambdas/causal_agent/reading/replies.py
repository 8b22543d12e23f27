"""Replies to the agent's clarifying questions, read as answers to what was asked.

Each question the planner asks carries ``expects`` (what it wants to learn and
the options it listed), so "the second one", a bare column name, "treatment
is X, outcome Y", "the other way round" or "yes, leave it out" mean what the
user meant instead of being appended to the original question.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from causal_agent.reading.choice import ASK_AGAIN, choose_option
from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.instructions import read_adjustment
from causal_agent.reading.reader import Reading, read_question
from causal_agent.reading.skeleton import Skeleton
from causal_agent.reading.timing import read_timing_reply
from causal_agent.reading.words import tokenize
from causal_common.models.datasets import DatasetManifest

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "last": -1,
}
_ORDINAL = re.compile(
    r"^\s*(?:the\s+|option\s+|number\s+|no\.?\s*|#)?(?P<n>\d{1,2}|first|1st|second|2nd|third|3rd|fourth|"
    r"4th|fifth|5th|one|two|three|four|five|last)(?:\s+one|\s+option|\s+column)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
_SWAP = re.compile(
    r"\b(?:other\s+way\s+(?:round|around)|the\s+opposite|reverse[d]?|swap(?:ped)?|switch(?:ed)?|"
    r"backwards?|vice\s+versa)\b",
    re.IGNORECASE,
)
_ROLE_IS = re.compile(
    r"(?:\btreatment\b|\bcause\b|\bintervention\b|\bexposure\b)\s*(?:is|=|:|should\s+be|would\s+be)\s*"
    r"(?P<treatment>[^,;.]+)|(?P<treatment2>[^,;.]+?)\s+(?:is|as)\s+(?:the\s+)?(?:treatment|cause|exposure)\b",
    re.IGNORECASE,
)
_OUTCOME_IS = re.compile(
    r"(?:\boutcome\b|\beffect\b|\bresult\b|\bresponse\b|\btarget\b)\s*(?:is|=|:|should\s+be|would\s+be)\s*"
    r"(?P<outcome>[^,;.]+)|(?P<outcome2>[^,;.]+?)\s+(?:is|as)\s+(?:the\s+)?(?:outcome|result|response)\b",
    re.IGNORECASE,
)


def _column(phrase: str | None, index: ColumnIndex) -> str | None:
    if not phrase:
        return None
    found = index.match_phrase(phrase.strip())
    return found.column if found else None


def _ordinal(text: str, options: list[str]) -> str | None:
    match = _ORDINAL.match(text)
    if not match or not options:
        return None
    raw = match.group("n").lower()
    number = int(raw) if raw.isdigit() else _ORDINALS[raw]
    position = len(options) - 1 if number == -1 else number - 1
    return options[position] if 0 <= position < len(options) else None


def _apply_roles(
    reading: Reading, reply: str, expects: dict[str, Any], manifest: DatasetManifest, index: ColumnIndex
) -> Reading:
    missing = list(expects.get("missing") or reading.missing_roles() or ["treatment", "outcome"])
    options: dict[str, list[str]] = expects.get("options") or {}
    if _SWAP.search(reply) and reading.treatment and reading.outcome:
        return replace(
            reading,
            treatment=reading.outcome,
            outcome=reading.treatment,
            how="as you said in your reply (roles swapped)",
            direction_assumed=False,
        )
    # "treatment is X, outcome Y"
    named: dict[str, str] = {}
    treatment_match = _ROLE_IS.search(reply)
    outcome_match = _OUTCOME_IS.search(reply)
    if treatment_match:
        column = _column(treatment_match.group("treatment") or treatment_match.group("treatment2"), index)
        if column:
            named["treatment"] = column
    if outcome_match:
        column = _column(outcome_match.group("outcome") or outcome_match.group("outcome2"), index)
        if column:
            named["outcome"] = column
    role = missing[0] if missing else None
    asks_effect = re.search(
        r"\b(?:effects?|impacts?|affect\w*|caus\w*|influenc\w*|on(?! average))\b|->|→", reply.lower()
    )
    if not named and role and options.get(role) and not asks_effect:
        # A reply about the offered columns ("not the minutes one", "the true/false one", "fees, not refunds").
        picked = choose_option(reply, list(options[role]), index)
        if picked == ASK_AGAIN:
            # It leaves the choice open: nothing changes and the prompt is asked again (a copy, so the reply
            # is not read again as a new question).
            return replace(reading)
        if picked:
            named[role] = picked
    if not named:
        # A whole question ("effect of X on Y", "X on Y") settles both roles.
        again = read_question(
            reply
            if re.search(r"\bon\b|->|→", reply) is None or re.search(r"\beffect|impact", reply)
            else f"effect of {reply}",
            manifest,
            index,
        )
        if again.intent == "causal" and again.treatment and again.outcome and again.how == "named in the question":
            named = {"treatment": again.treatment, "outcome": again.outcome}
    if not named and role:
        column = _ordinal(reply, options.get(role) or [])
        if column is None:
            column = _column(reply, index)
        if column:
            named[role] = column
    if not named:
        return reading
    updated = replace(
        reading,
        intent="causal",
        unmatched=[],
        unmatched_role=None,
        how="as you said in your reply",
        direction_assumed=False,
    )
    for role, column in named.items():
        setattr(updated, role, column)
    if updated.treatment == updated.outcome:
        # The reply named the same column for the other role: the earlier choice gives way.
        other = "outcome" if "treatment" in named else "treatment"
        if other not in named:
            setattr(updated, other, None)
    return updated


_TIMING_SAID = {
    "after": "you said it was measured after the treatment, so it is left out",
    "before": "you said it was measured before the treatment, so it stays a control",
    "unsure": "you were not sure when it was measured, so the answer shows the estimate with and without it",
}


def _apply_timing(
    reading: Reading, reply: str, expects: dict[str, Any], index: ColumnIndex, option_id: str | None
) -> Reading:
    """A reply to "was X measured before or after the treatment?": one decision per column, never guessed."""
    columns: list[str] = list(expects.get("columns") or [])
    option_ids = [str(o.get("id")) for o in expects.get("choices") or [] if isinstance(o, dict)]
    read = read_timing_reply(
        reply,
        columns,
        index,
        option_id=option_id,
        options=option_ids or None,
        prompt=str(expects.get("prompt") or "Should I leave it out?"),
    )
    if not read.decisions:
        # Not an answer about timing: perhaps an adjustment instruction ("adjust only for age").
        merged = _merge_instructions(reading, reply, index)
        if merged is not reading:
            return merged
        return replace(reading, timing_unsettled=columns)
    exclude = dict(reading.adjustment.exclude)
    keep = list(reading.adjustment.also)
    timing = dict(reading.timing)
    notes = list(reading.reply_notes)
    for column, decision in read.decisions.items():
        timing[column] = decision
        notes.append(f"`{column}`: {_TIMING_SAID[decision]}.")
        if decision == "after":
            exclude[column] = "you said it was measured after the treatment"
            keep = [name for name in keep if name != column]
        else:
            exclude.pop(column, None)
            if column not in keep:
                keep.append(column)
    adjustment = replace(reading.adjustment, exclude=exclude, also=keep)
    return replace(reading, adjustment=adjustment, timing=timing, timing_unsettled=read.unsettled, reply_notes=notes)


def _merge_instructions(reading: Reading, reply: str, index: ColumnIndex) -> Reading:
    tokens = tokenize(reply)
    skeleton = Skeleton.build(tokens, index.mentions(tokens, reply))
    later = read_adjustment(skeleton)
    if later.given:
        return replace(reading, adjustment=reading.adjustment.merge(later))
    return reading


def apply_replies(
    reading: Reading,
    answered: list[tuple[dict[str, Any], str]] | list[tuple[dict[str, Any], str, str | None]],
    manifest: DatasetManifest,
    index: ColumnIndex | None = None,
) -> Reading:
    """The reading after the user's replies, in order; each read as the answer to its question."""
    index = index or ColumnIndex(manifest)
    for entry in answered:
        expects, reply = entry[0], (entry[1] or "").strip()
        option_id: str | None = entry[2] if len(entry) == 3 else None
        if not reply and not option_id:
            continue
        kind = expects.get("kind")
        before = reading
        if kind == "post_treatment":
            reading = _apply_timing(reading, reply, expects, index, option_id)
            continue
        if kind == "confirm_design":
            # Yes or no is the planner's to read; an instruction in the reply ("adjust for age instead") counts.
            reading = _merge_instructions(reading, reply, index)
            continue
        if kind in ("roles", "concept", None):
            reading = _apply_roles(reading, reply, expects, manifest, index)
        if reading is before:
            # Not an answer about roles: perhaps a new way of asking, or an adjustment instruction.
            again = read_question(reply, manifest, index)
            if again.intent in ("causal", "descriptive") and (again.complete or again.descriptive is not None):
                reading = again
            else:
                reading = _merge_instructions(reading, reply, index)
        else:
            reading = _merge_instructions(reading, reply, index)
    return reading
