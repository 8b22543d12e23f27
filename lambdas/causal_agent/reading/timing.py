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
from causal_agent.reading.words import OSA, tokenize

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
    r"earlier",
    r"previous(?:ly)?",
    # Where or when a value was taken, said by the event that starts a unit's record (an application form,
    # the first consult, the day it was filed): before any treatment.
    r"from (?:the|their|his|her|its|an?|our) (?:[\w-]+ ){0,2}(?:application|enrol(?:l)?ment|intake|registration|"
    r"sign-?up|admission|onboarding|screening|census|booking|referral)(?: forms?)?",
    r"(?:at|on|during) (?:the|their|his|her|its) (?:first|initial|opening|intake) [\w-]+",
    r"when (?:[\w']+ ){0,2}(?:hired|enrol(?:l)?ed|admitted|registered|signed up|filed|lodged|submitted|opened|"
    r"recruited|booked|born|joined|applied)",
    r"known (?:at|when|from|before|up ?front)",
    r"pre[- ][a-z]+",
    r"upfront",
    r"a cause",
    r"causes? (?:the )?(?:treatment|both)",
    r"background",
)
_LEAVE = (
    r"leave(?: [\w-]+){0,3} out",
    r"keep(?: [\w-]+){0,3} out",
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
    r"once (?:they|it|the|we|we've|we'd|they've|it's|you|he|she|\w+ (?:was|were|had|has|got))",
    r"during",
    r"over the (?:course|term|period|study|programme|program|trial|season|year)",
    r"in response to",
)
# Cues that count only when the clause has no other: "after the course had already begun" is an after.
_WEAK_KEEP = (r"already",)
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
# Hedges on a cue ("it might have changed after"): a guess is not a decision, so the answer shows both. A hedge
# alone ("maybe?") says nothing about when.
_HEDGE_RE = re.compile(r"\b(?:might(?: have)?|may have|maybe|perhaps|possibly|could have)\b")
_NEGATION = re.compile(r"\b(?:not|no|never|nor|cannot|\w*n't)\b")
# A clause that opens with a negative quantifier negates its cues up to an "except" ("none of these came
# later, apart from …").
_NEGATIVE_QUANTIFIER = re.compile(r"^(?:neither|none|nothing|not one|no one|not any|nor)\b")
# What a clause excepts from what it says ("everything earlier but refunds"): those columns get the other answer.
_EXCEPT = re.compile(r"\b(?:except(?: for)?|apart from|other than|besides|save for|bar|but not)\b")
# "just the intake score came first": the named columns get the answer, every other asked column the opposite.
_ONLY = re.compile(r"\b(?:only|just)\b")
# Words that read like a cue but are not one here: "after all", "before I answer", "after you asked".
_NOT_CUES = re.compile(r"\bafter all\b|\b(?:before|after) (?:i|you)\b(?! (?:was|were)\b)")
# Slips in the cue words themselves ("afer", "bfore"); real words one slip away are left alone.
_CUE_WORDS = ("before", "after", "baseline", "later")
_REAL_NEIGHBOURS = frozenset(
    {"alter", "altar", "aster", "ester", "afters", "bore", "latter", "layer", "laser", "lager"}
)
# References to the asked columns by their place in the prompt ("the first", "first two", "the last one").
_PLACE = re.compile(
    r"(?<!\bat )(?<!\bon )(?<!\bin )(?<!\bof )(?<!\bfrom )(?<!\bduring )"
    r"\b(?:the\s+)?(?P<which>first|second|third|last|former|latter)(?:\s+(?P<count>two|three|2|3))?"
    r"(?=\s+(?:one|ones|column|columns|was|were|is|are|two|three|before|after|i|we|not)\b|\s*$|\s*[,:])"
)
_REST = re.compile(r"\b(?:the\s+)?(?:other\s+(?:two|three|ones?|columns?)|others|rest|remaining(?:\s+\w+)?)\b")
_ANSWER_WORD = re.compile(r"\b(?P<word>yes|yeah|yep|yup|no|nope|nah)\b")
_CLAUSES = re.compile(
    r"\s*(?:[;.!?]|\s[-–—]\s|,\s*(?:but|and|while|whereas)?|\bbut\b|\bwhereas\b|\bwhile\b|\bhowever\b)\s*"
)
_AND_SPLIT = re.compile(r"\s+and\s+(?=(?:keep|drop|leave|exclude|include|remove|the|it|its|their)\b)")
_YES = re.compile(r"^\s*(?:y|yes|yeah|yep|yup|sure|ok|okay|please do|do it|correct|right)\b[\s.!]*$")
_NO = re.compile(r"^\s*(?:n|no|nope|nah)\b[\s.!]*$")
_BOTH_COLUMNS = re.compile(r"\b(?:both|all|each|every one|them|they|those|these|neither|none|everything)\b")
_SINGULAR = re.compile(r"\b(?:it|its|it's|that|this)\b")
_CONCLUSION = re.compile(
    r"^(?:so|therefore|thus|hence|overall|in short|anyway)\b|\b(?:treat|count|call|take) (?:it|them) as\b"
)
_QUESTION_BACK = re.compile(r"^(?:can|could|would|will|what|how|why|which|where|when|show|plot|please show)\b.*\?$")
_IT = re.compile(r"\b(?:it|its|it's|that|this)\b")


def _pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(cues) + r")\b")


_KEEP_RE, _LEAVE_RE, _UNSURE_RE = _pattern(_KEEP), _pattern(_LEAVE), _pattern(_UNSURE)
_WEAK_KEEP_RE = _pattern(_WEAK_KEEP)


@dataclass
class TimingReply:
    decisions: dict[str, Timing] = field(default_factory=dict)
    unsettled: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.unsettled


def _negated(clause: str, start: int) -> bool:
    """A negation among the three words before a cue governs it ("wasn't really measured after"), and so does a
    negative quantifier opening the clause ("neither was measured after"), up to an "except"."""
    before = clause[:start].split()[-3:]
    if _NEGATION.search(" ".join(before).replace("’", "'")):
        return True
    return bool(_NEGATIVE_QUANTIFIER.match(clause)) and not _EXCEPT.search(clause[:start])


def _cues(clause: str) -> list[tuple[Timing, Timing]]:
    """(what the cue says, what the clause decides with its negation) for each cue, in order."""
    found: list[tuple[int, Timing, Timing]] = []
    taken: list[tuple[int, int]] = []
    senses: tuple[tuple[re.Pattern[str], Timing], ...] = ((_LEAVE_RE, "after"), (_KEEP_RE, "before"))
    for regex, sense in senses:
        for match in regex.finditer(clause):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue  # "leave it in" is one cue, not "leave" + "in"
            taken.append((match.start(), match.end()))
            flipped: Timing = "before" if sense == "after" else "after"
            found.append((match.start(), sense, flipped if _negated(clause, match.start()) else sense))
    if not found:
        for match in _WEAK_KEEP_RE.finditer(clause):
            found.append((match.start(), "before", "after" if _negated(clause, match.start()) else "before"))
    return [(sense, decided) for _, sense, decided in sorted(found)]


def _first_cue(clause: str) -> int:
    starts = [m.start() for regex in (_LEAVE_RE, _KEEP_RE, _UNSURE_RE) for m in [regex.search(clause)] if m]
    return min(starts, default=len(clause))


def _polarity(clause: str) -> Timing | None | Literal["conflict"]:
    if _UNSURE_RE.search(clause):
        return "unsure"
    votes = {decided for _, decided in _cues(clause)}
    if not votes:
        return None
    if _HEDGE_RE.search(clause):
        return "unsure"
    return votes.pop() if len(votes) == 1 else "conflict"


def _clauses(text: str) -> list[str]:
    parts: list[str] = []
    for part in _CLAUSES.split(text):
        parts.extend(piece for piece in _AND_SPLIT.split(part) if piece.strip())
    return [part.strip() for part in parts if part and part.strip()]


def _normalise(text: str) -> str:
    """Slips in the cue words mended ("aftr" → after), and words that only look like cues taken out."""
    words = []
    for word in text.split(" "):
        core = word.strip(".,;:!?")
        if 4 <= len(core) <= 9 and core.isalpha() and core not in _CUE_WORDS and core not in _REAL_NEIGHBOURS:
            mended = next(
                (cue for cue in _CUE_WORDS if cue[0] == core[0] and OSA.distance(core, cue) == 1 and len(cue) >= 5),
                None,
            )
            if mended:
                word = word.replace(core, mended)
        words.append(word)
    return _NOT_CUES.sub(" ", " ".join(words))


def _places(clause: str, asked: list[str]) -> list[str]:
    """Asked columns referred to by their place in the prompt: "the first", "the last two", "the latter"."""
    if len(asked) < 2:
        return []
    found: list[str] = []
    for match in _PLACE.finditer(clause):
        which, count = match.group("which"), match.group("count")
        size = {"two": 2, "three": 3, "2": 2, "3": 3}.get(count or "", 1)
        if which in ("first", "former"):
            chosen = asked[:size]
        elif which in ("last", "latter"):
            chosen = asked[-size:]
        else:
            position = {"second": 1, "third": 2}[which]
            chosen = asked[position : position + size]
        found.extend(column for column in chosen if column not in found)
    return found


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
    ordinal = re.fullmatch(r"(?:the\s+)?(first|second|third|last)(?:\s+(?:one|option))?[.!]?", text)
    if ordinal and options and len(asked) == 1:
        # "the first one" to a prompt about one column: the first of the offered answers.
        place = {"first": 0, "second": 1, "third": 2, "last": len(options) - 1}[ordinal.group(1)]
        numbered = re.fullmatch(r"(\d)", str(place + 1)) if place < len(options) else None
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
    if _QUESTION_BACK.match(text):
        return TimingReply({}, asked)  # a question back, not an answer
    text = _normalise(text)
    decisions: dict[str, Timing] = {}
    conflicted: set[str] = set()
    concluded: set[str] = set()
    clauses = _clauses(text)
    # Columns each clause names: the asked ones (found among the asked columns alone, so a loose word for one
    # of them counts) and any other column of the data (a clause about another column says nothing here).
    asked_index = index.restricted(asked)
    named_in: list[list[str]] = []
    others_in: list[bool] = []
    for clause in clauses:
        tokens = tokenize(clause)
        everywhere = [m.column for m in index.mentions(tokens, clause)]
        # Another column named before the clause's cue is what the clause is about ("age was before"); one named
        # after it is the event the cue refers to ("after the training").
        cue_at = _first_cue(clause)
        subject = clause[:cue_at]
        subject_tokens = tokenize(subject)
        others = [m.column for m in index.mentions(subject_tokens, subject)]
        named = [m.column for m in asked_index.mentions(tokens, clause) if m.column in asked]
        named = list(dict.fromkeys([*named, *(c for c in everywhere if c in asked), *_places(clause, asked)]))
        named_in.append(named)
        others_in.append(any(c not in asked for c in others))
    names_any = any(named_in)
    previous: list[str] = []
    previous_polarity: Timing | None = None
    previous_sense: Timing | None = None
    mentioned: list[str] = []

    def decide(column: str, polarity: Timing, concluding: bool) -> None:
        if concluding:
            conflicted.discard(column)
            concluded.add(column)
        elif column in decisions and decisions[column] != polarity and column not in concluded:
            if "unsure" in (decisions[column], polarity):
                polarity = "unsure"  # doubt said anywhere in the reply wins over a guess
            else:
                conflicted.add(column)
        if column in concluded and not concluding:
            return
        decisions[column] = polarity

    for number, (clause, named) in enumerate(zip(clauses, named_in, strict=True)):
        rest = [c for c in asked if c not in mentioned and c not in named] if _REST.search(clause) else []
        named = named + rest
        polarity = _polarity(clause)
        cues = _cues(clause)
        answer = _ANSWER_WORD.search(clause)
        if polarity is None and named and answer and previous_sense:
            # "height couldn't come after. refunds yes": the yes or no answers the cue of the clause before.
            opposite: Timing = "before" if previous_sense == "after" else "after"
            polarity = previous_sense if answer.group("word") in ("yes", "yeah", "yep", "yup") else opposite
        if polarity is None and _NO.match(clause) and previous_polarity and previous:
            # "before? no. after.": the bare "no" takes back what the clause before it said.
            for column in previous:
                if decisions.get(column) == previous_polarity:
                    decisions.pop(column)
            previous_polarity = None
            continue
        if cues:
            previous_sense = cues[-1][0]
        mentioned.extend(c for c in named if c not in mentioned)
        if polarity is None:
            if named:
                previous, previous_polarity = named, None
            continue
        excepted: list[str] = []
        exception = _EXCEPT.search(clause)
        if exception and named:
            after_exception = clause[exception.end() :]
            excepted = [c for c in named if c in named_in_text(after_exception, asked_index, asked)]
        quantified = bool(_BOTH_COLUMNS.search(clause))
        if excepted and polarity in ("before", "after"):
            flipped: Timing = "before" if polarity == "after" else "after"
            concluding = bool(_CONCLUSION.search(clause))
            for column in asked:
                decide(column, flipped if column in excepted else polarity, concluding)
            previous, previous_polarity = list(asked), None
            continue
        only = _ONLY.search(clause)
        if only and named and polarity in ("before", "after"):
            named_after_only = named_in_text(clause[only.start() :], asked_index, asked) or named
            if set(named_after_only) != set(asked):
                flipped = "before" if polarity == "after" else "after"
                concluding = bool(_CONCLUSION.search(clause))
                for column in asked:
                    decide(column, polarity if column in named_after_only else flipped, concluding)
                previous, previous_polarity = list(asked), None
                continue
        if named and previous and previous_polarity is None and len(clauses[number - 1].split()) <= 4:
            targets = list(dict.fromkeys([*previous, *named]))  # "height and the intake score are pre-course"
        elif named:
            targets = named
        elif others_in[number] and not quantified:
            targets = []  # "height was surely earlier", asked about another column
        elif previous and previous_polarity is None and not quantified:
            targets = previous  # "labour days, honestly no idea"
        elif len(asked) == 1 or quantified:
            targets = asked  # "keep it", "yes, leave them out", "both were before"
        elif not names_any:
            # "keep it" when several were asked: which one is not said.
            targets = [] if _SINGULAR.search(clause) else asked
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
            decide(column, polarity, concluding)
    for column in conflicted:
        decisions.pop(column, None)
    return TimingReply(decisions, [column for column in asked if column not in decisions])


def named_in_text(text: str, index: ColumnIndex, asked: list[str]) -> list[str]:
    """The asked columns a piece of a clause names."""
    tokens = tokenize(text)
    return [m.column for m in index.mentions(tokens, text) if m.column in asked]
