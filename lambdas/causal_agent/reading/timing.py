"""Replies to "was this column measured before or after the treatment?", read with scope and negation.

A reply settles one decision per column it is about: ``before`` (a cause or a baseline: keep adjusting for
it), ``after`` (changed by the treatment, or a consequence of both: leave it out) or ``unsure`` (show both).
Each clause of the reply ("keep age but drop complaints") is read on its own: the columns it names (or,
when it names none, every column asked about), the cue words it uses (keep, include, control, before,
baseline, fixed, … against leave out, drop, exclude, after, later, result of, …) and whether a negation
governs each cue ("it wasn't measured after", "I wouldn't leave it out"). A clause whose cues disagree, or a
reply with no cue at all, settles nothing: the question is asked again, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.words import tokenize

Timing = Literal["before", "after", "unsure"]
TIMING_OPTION_IDS: tuple[Timing, ...] = ("before", "after", "unsure")

# Cue phrases, matched on the lower-cased clause (word boundaries); longest first where they overlap.
_KEEP = (
    r"keep(?:ing)?",
    r"include[ds]?",
    r"leave(?: [\w-]+){0,3} in(?! (?:the|a|an)\b)",
    r"adjust(?:ing)? for (?:it|them|that|those|this)",
    r"control(?:ling)?(?: for)?",
    r"a control",
    r"confounder",
    r"before",
    r"prior(?: to)?",
    r"beforehand",
    r"pre[- ]?(?:treatment|existing|period|programme|program|intervention)",
    r"baseline",
    r"at (?:enrol?ment|entry|intake|signup|sign-up|registration|admission|the start|start)",
    r"fixed",
    r"already",
    r"earlier",
    r"upfront",
    r"a cause",
    r"causes? (?:the )?(?:treatment|both)",
    r"background",
)
_LEAVE = (
    r"leave(?: [\w-]+){0,3} out",
    r"left out",
    r"drop(?:ped|ping)?",
    r"exclude[ds]?",
    r"remove[ds]?",
    r"take(?: [\w-]+){1,3} out",
    r"don'?t adjust",
    r"do not adjust",
    r"not adjust",
    r"after(?:wards?)?",
    r"later",
    r"post[- ]?(?:treatment|period|programme|program|intervention|hoc)?",
    r"follow[- ]?up",
    r"result(?:s|ed)? (?:of|from)",
    r"outcome of",
    r"consequence",
    r"caused by",
    r"affected by",
    r"because of",
    r"mediat\w*",
    r"collider",
    r"downstream",
    r"at (?:the )?end",
    r"tallied",
    r"once (?:they|it|the)",
)
_UNSURE = (
    r"not sure",
    r"unsure",
    r"no idea",
    r"don'?t know",
    r"do not know",
    r"dunno",
    r"can'?t (?:say|tell|remember)",
    r"cannot (?:say|tell)",
    r"show (?:me )?both",
    r"both ways",
    r"either way",
    r"not certain",
    r"hard to say",
)
_NEGATION = re.compile(r"\b(?:not|no|never|n't|wasn't|isn't|weren't|aren't|don't|didn't|wouldn't|shouldn't|won't)\b")
_CLAUSES = re.compile(
    r"\s*(?:[;.!?]|\s[-–—]\s|,\s*(?:but|and|while|whereas)?|\bbut\b|\bwhereas\b|\bwhile\b|\bhowever\b)\s*"
)
_AND_SPLIT = re.compile(r"\s+and\s+(?=(?:keep|drop|leave|exclude|include|remove|the|it|its|their)\b)")
_YES = re.compile(r"^\s*(?:y|yes|yeah|yep|yup|sure|ok|okay|please do|do it|correct|right)\b[\s.!]*$")
_NO = re.compile(r"^\s*(?:n|no|nope|nah)\b[\s.!]*$")
_BOTH_COLUMNS = re.compile(r"\b(?:both|all|each|every one|them|they|those|these)\b")
_CONCLUSION = re.compile(
    r"^(?:so|therefore|thus|hence|overall|in short|anyway)\b|\b(?:treat|count|call|take) (?:it|them) as\b"
)
_QUESTION_BACK = re.compile(r"^(?:can|could|would|will|what|how|why|which|where|when|show|plot|please show)\b.*\?$")
_IT = re.compile(r"\b(?:it|its|it's|that|this)\b")


def _pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(cues) + r")\b")


_KEEP_RE, _LEAVE_RE, _UNSURE_RE = _pattern(_KEEP), _pattern(_LEAVE), _pattern(_UNSURE)


@dataclass
class TimingReply:
    decisions: dict[str, Timing] = field(default_factory=dict)
    unsettled: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.unsettled


def _negated(clause: str, start: int) -> bool:
    """A negation among the three words before a cue governs it ("wasn't really measured after")."""
    before = clause[:start].split()[-3:]
    return bool(_NEGATION.search(" ".join(before).replace("’", "'")))


def _polarity(clause: str) -> Timing | None | Literal["conflict"]:
    if _UNSURE_RE.search(clause):
        return "unsure"
    votes: set[Timing] = set()
    taken: list[tuple[int, int]] = []
    senses: tuple[tuple[re.Pattern[str], Timing], ...] = ((_LEAVE_RE, "after"), (_KEEP_RE, "before"))
    for regex, sense in senses:
        for match in regex.finditer(clause):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue  # "leave it in" is one cue, not "leave" + "in"
            taken.append((match.start(), match.end()))
            flipped: Timing = "before" if sense == "after" else "after"
            votes.add(flipped if _negated(clause, match.start()) else sense)
    if not votes:
        return None
    return votes.pop() if len(votes) == 1 else "conflict"


def _clauses(text: str) -> list[str]:
    parts: list[str] = []
    for part in _CLAUSES.split(text):
        parts.extend(piece for piece in _AND_SPLIT.split(part) if piece.strip())
    return [part.strip() for part in parts if part and part.strip()]


def yes_means(prompt: str) -> Timing | None:
    """What "yes" decides, from the last question the prompt asks; None when it offers both ("before or after?")."""
    questions = [q for q in re.split(r"(?<=\?)", prompt) if q.strip().endswith("?")]
    last = questions[-1].lower() if questions else prompt.lower()
    if re.search(r"\bbefore\b.*\bor\b.*\bafter\b|\bafter\b.*\bor\b.*\bbefore\b", last):
        return None
    polarity = _polarity(last)
    return polarity if polarity in ("before", "after") else None


def read_timing_reply(
    reply: str,
    columns: list[str],
    index: ColumnIndex,
    option_id: str | None = None,
    options: list[str] | None = None,
    prompt: str = "Should I leave it out?",
) -> TimingReply:
    """The decision the reply makes for each asked column; columns it leaves open are ``unsettled``."""
    asked = list(columns)
    if option_id in TIMING_OPTION_IDS:
        return TimingReply({column: option_id for column in asked})
    text = " ".join(reply.lower().replace("’", "'").split())
    numbered = re.fullmatch(r"(?:option\s*)?#?(\d)[.)]?", text)
    if numbered and options and 1 <= int(numbered.group(1)) <= len(options):
        chosen = options[int(numbered.group(1)) - 1]
        if chosen in TIMING_OPTION_IDS:
            return TimingReply({column: chosen for column in asked})
    if text in TIMING_OPTION_IDS:
        return TimingReply({column: text for column in asked})
    # A bare yes/no answers the prompt's last question ("Should I leave it out?", "Was it measured after?").
    if _YES.match(text) or _NO.match(text):
        meaning = yes_means(prompt)
        if meaning is None:
            return TimingReply({}, asked)
        other: Timing = "before" if meaning == "after" else "after"
        return TimingReply({column: meaning if _YES.match(text) else other for column in asked})
    decisions: dict[str, Timing] = {}
    conflicted: set[str] = set()
    clauses = _clauses(text)
    named_in = [[m.column for m in index.mentions(tokenize(c), c) if m.column in asked] for c in clauses]
    names_any = any(named_in)
    if _QUESTION_BACK.match(text):
        return TimingReply({}, asked)  # a question back, not an answer
    previous: list[str] = []
    previous_polarity: Timing | None = None
    for clause, named in zip(clauses, named_in):
        polarity = _polarity(clause)
        if polarity is None and _NO.match(clause) and previous_polarity and previous:
            # "before? no. after.": the bare "no" takes back what the clause before it said.
            for column in previous:
                if decisions.get(column) == previous_polarity:
                    decisions.pop(column)
            previous_polarity = None
            continue
        if polarity is None:
            if named:
                previous, previous_polarity = named, None
            continue
        if named:
            targets = named
        elif previous and previous_polarity is None and not _BOTH_COLUMNS.search(clause):
            targets = previous  # "labour days, honestly no idea"
        elif len(asked) == 1 or not names_any or _BOTH_COLUMNS.search(clause):
            targets = asked  # "keep it", "yes, leave them out", "both were before"
        elif _IT.search(clause) and previous:
            targets = previous  # "bmi: leave it out"
        else:
            targets = []
        previous = targets
        previous_polarity = polarity if polarity != "conflict" else None
        concluding = bool(_CONCLUSION.search(clause)) and polarity != "conflict"
        for column in targets:
            if polarity == "conflict":
                conflicted.add(column)
                continue
            if concluding:
                conflicted.discard(column)
            elif column in decisions and decisions[column] != polarity:
                conflicted.add(column)
            decisions[column] = polarity
    for column in conflicted:
        decisions.pop(column, None)
    return TimingReply(decisions, [column for column in asked if column not in decisions])
