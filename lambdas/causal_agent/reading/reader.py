"""Reading a question about one dataset: what kind of question it is, and what it names.

Deterministic and schema-driven. The same reading drives the offline planner
and is shown to the OpenAI model as a hint, so both paths understand a
question the same way.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from causal_agent.reading.amounts import choose_form, forms_of
from causal_agent.reading.columns import ColumnIndex, Mention
from causal_agent.reading.descriptive import DescriptiveSpec, descriptive_kind, opens_descriptively, read_spec
from causal_agent.reading.instructions import (
    Adjustment,
    Contrast,
    DesignHints,
    read_adjustment,
    read_contrast,
    read_design,
    read_target,
)
from causal_agent.reading.roles import EFFECT_COUNTING_PATTERNS, read_direction
from causal_agent.reading.skeleton import Skeleton
from causal_agent.reading.words import restore_apostrophes, tokenize
from causal_common.models.datasets import Column, DatasetManifest
from causal_common.roles import name_parts, said_before_treatment

Intent = Literal["causal", "descriptive", "unanswerable", "other"]

# Asking for adjustment ("adjusting for age", "holding tenure constant") asks for an effect.
_ADJUSTING_WORDS = r"adjust(?:ing|ed)?\s+for|control(?:ling|led)?\s+for|holding\s+(?:\S+\s+){1,3}?(?:constant|fixed)"
_CAUSAL_WORDS = re.compile(
    r"\b(?:effects?|impacts?|influenc\w*|affect\w*|caus\w*|consequences?|because|due\s+to|lead\s+to|leads\s+to|"
    r"result\s+in|results\s+in|would|counterfactual|treatment\s+effect|ate|att|work|works|worked|help|helps|"
    r"matter|matters|difference\s+to|benefit\w*|pay\s+off|pays\s+off|raise\w*|boost\w*|improv\w*|reduc\w*|"
    r"lift|uplift|(?:do|does|did|doing|done)\s+(?:to|for)|saves?|saved|cuts?|cutting|lowers?|lowered|drives?|drove|"
    r"(?:make|makes|made|making)\s+(?:\w+\s+){0,3}?(?:more|less|fewer|likelier|better|worse)|"
    rf"{_ADJUSTING_WORDS})\b"
)
_ADJUSTING = re.compile(rf"\b(?:{_ADJUSTING_WORDS})\b")
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|ok|okay|great|cool|bye)\b[\s!.,]*$|"
    r"(?:thanks?|thank\s+you|cheers|much\s+appreciated)\b)",
    re.IGNORECASE,
)
_PLEASANTRIES = frozenset(
    [
        "ok",
        "okay",
        "thx",
        "thanks",
        "thank",
        "you",
        "ty",
        "cheers",
        "bye",
        "goodbye",
        "great",
        "cool",
        "hi",
        "hello",
        "hey",
        "good",
        "morning",
        "afternoon",
        "evening",
        "nice",
        "perfect",
        "awesome",
        "much",
        "appreciated",
        "lol",
    ]
)
_HELP = re.compile(
    r"\b(?:what\s+can\s+you\s+do|help(?:\s+me)?\W*$|can\s+you\s+help|what\s+(?:kinds?|sorts?|types?)\s+of\s+"
    r"(?:questions|things)|how\s+does\s+this\s+work|what\s+(?:can|should)\s+i\s+ask|"
    r"what\s+(?:columns|variables|fields)|which\s+(?:columns|variables|fields)|list\s+(?:the\s+)?"
    r"(?:columns|variables|fields)|what\s+(?:is|'s)\s+in\s+(?:the|this)\s+(?:data|dataset)|"
    r"describe\s+(?:the|this)\s+(?:data|dataset)|tell\s+me\s+about\s+(?:the|this)\s+(?:data|dataset))\b",
    re.IGNORECASE,
)
# A question about a change that did not happen ("what if …", "what happens to Y if …", "suppose …").
_WHAT_IF = re.compile(r"\bwhat\s+if\b|\bwhat\s+(?:would\s+)?happens?\b.*\bif\b|^\s*(?:suppose|imagine)\b")
# "How many extra boardings did that bring?": a count of what something added is an effect, not a tally.
_COUNT_OF_EFFECT = re.compile(
    r"\bhow\s+(?:many|much)\s+(?:\w+\s+){0,2}?(?:extra|more|additional|fewer|less)\b[^.?!]{0,60}?\b(?:did|does|do|"
    r"would|will|could|has|have|might)\s+(?:it|that|this|they|these|those|(?:the|our|their)\s+[\w-]+(?:\s+[\w-]+)?|[\w-]+)\s+"
    r"(?:bring|add|produce|generate|create|cause|win|buy|get|lead\s+to|result\s+in|save|cost|deliver|drive|make|give|"
    r"attract|earn|yield)\b"
)
_ROW_WORDS = re.compile(
    r"\b(?:rows?|people|persons?|individuals?|records?|observations?|participants?|subjects?|units?|"
    r"cases?|entries|respondents?|customers?|patients?|students?|employees?|users?|households?)\b"
)


@dataclass
class Reading:
    intent: Intent
    treatment: str | None = None
    outcome: str | None = None
    # How the roles were found: a sentence for the answer.
    how: str = ""
    # True when no phrase said which is cause and which effect (the answer says so).
    direction_assumed: bool = False
    contrast: Contrast | None = None
    adjustment: Adjustment = field(default_factory=Adjustment)
    design: DesignHints = field(default_factory=DesignHints)
    target: str = "auto"
    # Words that name something the dataset does not have, and the role they were meant for.
    unmatched: list[str] = field(default_factory=list)
    unmatched_role: str | None = None
    descriptive: DescriptiveSpec | None = None
    # Columns that matched a word about as well as the chosen one.
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    also_named: list[str] = field(default_factory=list)
    other: str = ""  # for intent "other": greeting, thanks, help
    # What the user said about when columns were measured (before/after the treatment, or unsure).
    timing: dict[str, str] = field(default_factory=dict)
    # Columns a timing reply left open: the question is asked again about them.
    timing_unsettled: list[str] = field(default_factory=list)
    # What each reply changed, for the answer's first lines.
    reply_notes: list[str] = field(default_factory=list)
    # When the treatment is recorded both as yes/no and as an amount: which one the words chose, and the other.
    treatment_note: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.treatment and self.outcome and self.treatment != self.outcome)

    def missing_roles(self) -> list[str]:
        return [role for role in ("treatment", "outcome") if not getattr(self, role)]

    def summary(self) -> dict[str, Any]:
        """The reading as plain data (the OpenAI path gets it as a hint)."""
        data = asdict(self)
        data["adjustment"].pop("spans", None)
        return {key: value for key, value in data.items() if value not in (None, "", [], {}, False)}


def _binary(column: Column | None) -> bool:
    return bool(column and column.binary)


def _outside(mentions: list[Mention], skeleton: Skeleton, spans: list[tuple[int, int]]) -> list[Mention]:
    """Mentions not inside an adjustment instruction."""
    if not spans:
        return mentions
    keep: list[Mention] = []
    offset = 0
    positions: dict[int, int] = {}
    for item in skeleton.items:
        if item.startswith("C") and item[1:].isdigit():
            positions[int(item[1:])] = offset
        offset += len(item) + 1
    for index, mention in enumerate(mentions):
        start = positions.get(index, -1)
        if not any(a <= start < b for a, b in spans):
            keep.append(mention)
    return keep


def _fill_from_roles(reading: Reading, manifest: DatasetManifest, why: str) -> None:
    if not reading.treatment:
        roles = [c for c in manifest.with_role("treatment") if c.name != reading.outcome]
        if len(roles) == 1:
            reading.treatment = roles[0].name
            reading.how = reading.how or why
    if not reading.outcome:
        roles = [c for c in manifest.with_role("outcome") if c.name != reading.treatment]
        if len(roles) == 1:
            reading.outcome = roles[0].name
            reading.how = reading.how or why


def _roles_from_mentions(reading: Reading, candidates: list[Mention], manifest: DatasetManifest) -> None:
    """No phrase gave the direction: roles, then binary-ness, then word order (said in the answer)."""
    # A column named twice ("pci vs no pci") is one candidate.
    names = list(dict.fromkeys(m.column for m in candidates if m.column not in (reading.treatment, reading.outcome)))
    columns = {name: manifest.column(name) for name in names}
    if not reading.treatment and not reading.outcome and len(names) >= 2:
        by_role = {c.role: n for n, c in columns.items() if c is not None}
        if "treatment" in by_role and "outcome" in by_role:
            reading.treatment, reading.outcome = by_role["treatment"], by_role["outcome"]
            reading.how = "by the dataset's column roles"
            return
        binary = [n for n in names if _binary(columns[n])]
        if len(binary) == 1:
            reading.treatment = binary[0]
            reading.outcome = next(n for n in names if n != binary[0])
            reading.how = f"{binary[0]} is the two-valued column, so I took it as the treatment"
            reading.direction_assumed = True
            return
        reading.treatment, reading.outcome = names[0], names[1]
        reading.how = "by word order (the question did not say which causes which)"
        reading.direction_assumed = True
        return
    if reading.treatment and not reading.outcome and names:
        reading.outcome = names[0]
        reading.how = reading.how or "named in the question"
    elif reading.outcome and not reading.treatment and names:
        reading.treatment = names[0]
        reading.how = reading.how or "named in the question"
    elif not reading.treatment and not reading.outcome and len(names) == 1:
        column = columns[names[0]]
        if column is not None and (column.role == "treatment" or (_binary(column) and column.role != "outcome")):
            reading.treatment = names[0]
        else:
            reading.outcome = names[0]
        reading.how = "named in the question"


def _outcome_measured_after(reading: Reading, manifest: DatasetManifest) -> None:
    """Words that fit a baseline and a later measurement alike ("orders" for orders_prev_90d and orders_next_30d):
    an outcome is measured after the treatment, so the column whose name or description says "before" (prior,
    baseline, pre) gives way to the one that does not."""
    choices = reading.alternatives.get("outcome")
    if not choices or reading.outcome is None:
        return
    current = manifest.column(reading.outcome)
    if current is None or not said_before_treatment(current.name, current.description or ""):
        return
    later = [
        name
        for name in choices
        if name not in (reading.outcome, reading.treatment)
        and (column := manifest.column(name)) is not None
        and not said_before_treatment(column.name, column.description or "")
    ]
    if later:
        reading.outcome = later[0]
        reading.alternatives["outcome"] = [later[0], *[name for name in choices if name != later[0]]]


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")
# What stands in a question's treatment place when an earlier sentence named it ("did getting it help?").
_REFERRING = frozenset(
    {"it", "this", "that", "they", "them", "one", "getting", "get", "got", "receiving", "received", "having", "being"}
)


def read_question(text: str, manifest: DatasetManifest, index: ColumnIndex | None = None) -> Reading:
    """What the question asks of ``manifest``'s dataset (see :func:`_read_question`); a column the words give a
    part in the design (the running variable of a cutoff, an instrument, a subgroup's or a by-group's column)
    is not the treatment or the outcome."""
    index = index or ColumnIndex(manifest)
    reading = _read_question(text, manifest, index)
    if reading.intent == "unanswerable" and reading.unmatched_role in ("treatment", None):
        reading = _policy_by_named_groups(reading, text, manifest, index)
    elif reading.intent == "descriptive" and _CAUSAL_WORDS.search(" ".join(t.word for t in tokenize(text))):
        # "since 09/2022 all Kirkby schools give free lunches -- effect on take-up?": one column named, with an
        # effect asked of a policy the words place by group and date.
        reading = _policy_by_named_groups(reading, text, manifest, index)
    if reading.intent == "causal":
        _outcome_from_the_asking_sentence(reading, text, manifest, index)
        _design_columns_out_of_roles(reading, text, manifest, index)
        _where_is_not_what(reading, text, manifest, index)
        _one_treatment_in_two_forms(reading, text, manifest, index)
    return reading


def _instructed(reading: Reading) -> set[str]:
    """The columns the question's adjustment instructions name (only, also, leave out)."""
    adjustment = reading.adjustment
    return set(adjustment.only or []) | set(adjustment.exclude) | set(adjustment.also)


def _can_take_a_role(column: Column | None) -> bool:
    """A column that can be a treatment or an outcome: two-valued or an amount, not an identifier or a date."""
    return (
        column is not None
        and (column.binary or column.dtype in ("integer", "float"))
        and column.role not in ("identifier", "time", "date")
    )


def _outcome_from_the_asking_sentence(
    reading: Reading, text: str, manifest: DatasetManifest, index: ColumnIndex
) -> None:
    """ "We capped fares on 16 routes from January 2022. How many extra boardings did that bring?": what the
    earlier sentences tell is the setting; the question asked last names the outcome. When it names exactly one
    column that can be one (besides the treatment and the adjustment), and not the outcome read so far, that
    column is the outcome."""
    sentences = [part for part in _SENTENCE_END.split(restore_apostrophes(text.strip())) if part.strip()]
    if len(sentences) < 2 or not sentences[-1].rstrip().endswith("?"):
        return
    asking = sentences[-1]
    instructed = _instructed(reading)
    mentions = index.mentions(tokenize(asking), asking)
    if any(reading.outcome in (m.column, *m.alternatives) for m in mentions):
        return
    free = list(
        dict.fromkeys(
            name
            for name in (_later_of(m, manifest) for m in mentions)
            if name != reading.treatment
            and name not in instructed
            and (c := manifest.column(name)) is not None
            and _can_take_a_role(c)
            and not _names_a_period(c)
        )
    )
    if len(free) == 1:
        reading.outcome = free[0]
        reading.alternatives.pop("outcome", None)


def _where_is_not_what(reading: Reading, text: str, manifest: DatasetManifest, index: ColumnIndex) -> None:
    """ "We rolled out online booking at some clinics": a text column of many values, none of them named,
    says where (or who), not what was done or what it changed; the role goes to another column the question
    names that can take it (for the treatment a two-valued column first; for the outcome one in the part that
    asks first). It stays as it was when there is none."""
    words = {token.word for token in tokenize(restore_apostrophes(text.lower()))}
    stripped = restore_apostrophes(text.strip())
    for role in ("treatment", "outcome"):
        column = manifest.column(getattr(reading, role) or "")
        if column is None or column.binary or column.dtype in ("integer", "float", "boolean"):
            continue
        if any(str(level).lower() in words for level in column.levels or []):
            continue  # "the north vs the rest": a value of the column is the treated group
        taken = {reading.treatment, reading.outcome} | _instructed(reading)
        asking = re.split(r"[.;!?]\s+|\s+-+\s+", stripped.rstrip(" ?.!"))[-1]
        mentions = index.mentions(tokenize(stripped), stripped)
        if role == "outcome":
            mentions = [*index.mentions(tokenize(asking), asking), *mentions]
        free = [m.column for m in mentions if m.column not in taken and _can_take_a_role(manifest.column(m.column))]
        free = list(dict.fromkeys(free))
        if not free:
            continue
        if role == "treatment":
            free.sort(key=lambda name: not _binary(manifest.column(name)))
        setattr(reading, role, free[0])
        reading.alternatives.pop(role, None)


def _later_of(mention: Mention, manifest: DatasetManifest) -> str:
    """The column a mention names as an outcome: of a baseline and a later measurement that the words fit alike
    ("vo2" for vo2_pre and vo2_post), the later one."""
    current = manifest.column(mention.column)
    if current is None or not said_before_treatment(current.name, current.description or ""):
        return mention.column
    for name in mention.alternatives:
        column = manifest.column(name)
        if column is not None and not said_before_treatment(column.name, column.description or ""):
            return name
    return mention.column


def _one_treatment_in_two_forms(reading: Reading, text: str, manifest: DatasetManifest, index: ColumnIndex) -> None:
    """ "How much does an hour of coaching move satisfaction?": the yes/no and the amount column of one treatment
    were both named, and one of them was taken for the outcome; the outcome is the other column the question
    names (outside its adjustment instructions), the treatment the form the words ask for."""
    if not (reading.treatment and reading.outcome):
        return
    forms = forms_of(reading.treatment, manifest)
    if forms is None or reading.outcome not in (forms.yes_no.name, forms.amount.name):
        return
    stripped = restore_apostrophes(text.strip())
    tokens = tokenize(stripped)
    mentions = index.mentions(tokens, stripped)
    instructed = _instructed(reading)
    free = [
        _later_of(m, manifest)
        for m in mentions
        if m.column not in (forms.yes_no.name, forms.amount.name) and m.column not in instructed
    ]
    if len(set(free)) != 1:
        return
    reading.outcome = free[0]
    reading.treatment, reading.treatment_note = choose_form(forms.yes_no.name, tokens, mentions, manifest)
    if reading.treatment == forms.yes_no.name and any(m.column == forms.amount.name for m in mentions):
        amount = next(m for m in mentions if m.column == forms.amount.name)
        reading.treatment, reading.treatment_note = choose_form(amount.column, tokens, mentions, manifest)


def _policy_by_named_groups(reading: Reading, text: str, manifest: DatasetManifest, index: ColumnIndex) -> Reading:
    """ "The north scrapped the fee from March 2021 — effect on late returns?": no column holds the change, but
    the words name the groups it reached and when; the question is causal, its treatment built from the groups
    (by the planner), and its outcome the column it names besides them."""
    from causal_agent.reading.designs import read_design as read_design_words
    from causal_agent.reading.periods import period_columns

    placed = read_design_words(text, manifest, None, reading.outcome, index)
    if not (placed.treated_groups and placed.group_column and placed.treatment_start):
        return reading
    outcome = reading.outcome
    if outcome is None:
        stripped = restore_apostrophes(text.strip())
        design = {placed.group_column, *(c.name for c in period_columns(manifest))}
        named = [
            m.column
            for m in index.mentions(tokenize(stripped), stripped)
            if m.column not in design
            and (c := manifest.column(m.column)) is not None
            and c.dtype in ("integer", "float")
        ]
        named = list(dict.fromkeys(named))
        outcome = named[0] if len(named) == 1 else None
    if outcome is None or outcome == placed.group_column:
        return reading
    return Reading(
        "causal",
        outcome=outcome,
        adjustment=reading.adjustment,
        how=f"the treated {placed.group_column} you named ({', '.join(placed.treated_groups)})",
    )


def _design_columns_out_of_roles(reading: Reading, text: str, manifest: DatasetManifest, index: ColumnIndex) -> None:
    """ "Everyone scoring under 40 got the grant": the score is the cutoff's, not the outcome; "for gold-tier
    members" names a subgroup, not the treatment. The role is taken by another column the question names (for
    the treatment a two-valued one first); with none, the treatment stays as it was and the outcome is asked for."""
    from causal_agent.reading.designs import read_design as read_design_words

    placed = read_design_words(text, manifest, None, None, index)
    treatment = manifest.column(reading.treatment) if reading.treatment else None
    # "The north switched rules in 2019": the treatment is being in a named group after the start, which no
    # column holds (the planner builds it from the groups); a column picked up on the way is not it.
    named_groups = bool(placed.treated_groups and placed.group_column and reading.outcome)
    if named_groups and not (treatment and treatment.binary) and reading.treatment != reading.outcome:
        reading.treatment = None
        reading.alternatives.pop("treatment", None)
    parts = {
        *(placed.instruments or []),
        *([placed.running] if placed.running else []),
        *(f.column for f in placed.subgroup),
        *([placed.by_group] if placed.by_group else []),
    }
    wrong = [role for role in ("treatment", "outcome") if getattr(reading, role) in parts]
    outcome = manifest.column(reading.outcome) if reading.outcome else None
    if (
        outcome is not None
        and "outcome" not in wrong
        and (_names_a_period(outcome) or (placed.treatment_start and outcome.name == placed.group_column))
    ):
        # "went live in different months", "the other states didn't": when, or which group, is never the outcome.
        wrong.append("outcome")
        parts |= {outcome.name}
    if not wrong:
        return
    stripped = restore_apostrophes(text.strip())
    if (
        wrong == ["treatment"]
        and reading.treatment in placed.instruments
        and reading.outcome
        and _works_through(stripped, reading.outcome, index)
    ):
        # "Winning only matters through whether a family uses a voucher": the sentence about the instrument gave
        # its two ends; what it works through is the treatment, and the outcome is asked for elsewhere.
        parts |= {reading.outcome}
        reading.treatment, reading.outcome = reading.outcome, None
        wrong = ["outcome"]
    named = list(dict.fromkeys(m.column for m in index.mentions(tokenize(stripped), stripped)))
    taken = (
        parts
        | {reading.treatment, reading.outcome}
        | set(reading.adjustment.only or [])
        | set(reading.adjustment.exclude)
    )
    for role in wrong:
        free = [name for name in named if name not in taken]
        if role == "treatment":
            free.sort(key=lambda name: not _binary(manifest.column(name)))
        else:
            # The outcome is named in the part that asks ("…; did fills go up because of it?"), first there.
            asking = re.split(r"[.;!]\s+", stripped.rstrip(" ?.!"))[-1]
            asked = [
                later
                for m in index.mentions(tokenize(asking), asking)
                if (later := _later_of(m, manifest)) in free or m.column in free
            ]
            free = list(dict.fromkeys([*asked, *free]))
        if free:
            setattr(reading, role, free[0])
            taken.add(free[0])
            reading.how = reading.how or "named in the question"
            reading.alternatives.pop(role, None)
        elif role == "outcome" and reading.outcome and _only_design_part(text, manifest, reading, index):
            # "…for anyone with a score of 650 or higher. did that keep more customers?": the only column named
            # has its part in the design; what was measured afterwards is asked for, not guessed.
            reading.outcome = None
            reading.alternatives.pop(role, None)


def _only_design_part(text: str, manifest: DatasetManifest, reading: Reading, index: ColumnIndex) -> bool:
    """Whether the design's part can go to no column but the outcome: read with the outcome held as a role, the
    words give the part to nobody else ("a score of 70" fits the earlier score, then, not the next one)."""
    from causal_agent.reading.designs import read_design as read_design_words

    again = read_design_words(text, manifest, reading.treatment, reading.outcome, index)
    if again.running or again.instruments or again.subgroup or again.by_group:
        return False
    first = read_design_words(text, manifest, None, None, index)
    if first.running != reading.outcome:
        return True
    # A running variable is the outcome's column only when the words name it at the cutoff ("a credit score of
    # 650 or higher"), not when a generic fallback picked it ("everyone at 70 or above got it - did it help gpa?").
    for evidence in first.evidence:
        at = text.find(evidence)
        window = text[max(0, at - 60) : at + len(evidence)] if at >= 0 else ""
        if any(m.column == reading.outcome for m in index.mentions(tokenize(window), window)):
            return True
    return False


def _works_through(text: str, column: str | None, index: ColumnIndex) -> bool:
    """Whether ``column`` is named just after a "through"/"via" (what an instrument works through)."""
    for match in re.finditer(r"\b(?:through|via)\b", text, re.IGNORECASE):
        window = re.split(r"[.;?!]", text[match.end() : match.end() + 80])[0]
        if column and any(m.column == column for m in index.mentions(tokenize(window), window)):
            return True
    return False


_PERIOD_PARTS = frozenset({"year", "yr", "quarter", "qtr", "month", "date", "week", "period", "wave", "day"})


def _names_a_period(column: Column) -> bool:
    """A column that says when (its role, or its name is a period word alone)."""
    parts = name_parts(column.name)
    return column.role in ("time", "date") or (len(parts) == 1 and parts[0].rstrip("s") in _PERIOD_PARTS)


def _read_question(text: str, manifest: DatasetManifest, index: ColumnIndex) -> Reading:
    """What the question asks of ``manifest``'s dataset.

    Several sentences ("Everyone who scored 70 or more got the bursary. Did it raise grades?"): when the whole
    does not read as a causal question with both roles, the sentence that asks is read on its own, and a role it
    leaves open is taken from a column the other sentences name (the design itself is read from the whole text
    by :mod:`causal_agent.reading.designs`)."""
    whole = _read_text(text, manifest, index)
    if whole.intent == "causal" and whole.complete:
        return whole
    sentences = _SENTENCE_END.split(restore_apostrophes(text.strip()))
    if len(sentences) < 2:
        return whole
    asked = next((s for s in reversed(sentences) if s.rstrip().endswith("?")), sentences[-1])
    alone = _read_text(asked, manifest, index)
    context = " ".join(s for s in sentences if s is not asked)
    if alone.intent == "unanswerable" and alone.unmatched_role == "treatment" and alone.outcome:
        if not set(alone.unmatched) <= _REFERRING:
            return whole
        alone = Reading("causal", outcome=alone.outcome, adjustment=alone.adjustment, how="named in the question")
    if alone.intent != "causal":
        return whole
    if not alone.treatment and alone.outcome:
        context_tokens = tokenize(context)
        named = [m.column for m in index.mentions(context_tokens, context) if m.column != alone.outcome]
        binary = [name for name in named if _binary(manifest.column(name))]
        if binary or named:
            alone.treatment = (binary or named)[0]
            alone.how = "named in an earlier sentence"
    if whole.intent == "causal" and whole.adjustment != Adjustment():
        alone.adjustment = whole.adjustment
    return alone if alone.complete else whole


def _read_text(text: str, manifest: DatasetManifest, index: ColumnIndex) -> Reading:
    stripped = restore_apostrophes(text.strip())
    tokens = tokenize(stripped)
    mentions = index.mentions(tokens, stripped)
    pleasantries = {t.word for t in tokens if t.is_word} <= _PLEASANTRIES
    if not stripped or ((_GREETING.match(stripped) or pleasantries) and not mentions):
        return Reading("other", other="greeting" if stripped else "empty")
    skeleton = Skeleton.build(tokens, mentions)
    if _HELP.search(stripped) and not any(m.source in ("exact", "name") for m in mentions):
        return Reading("other", other="help")
    direction = read_direction(skeleton)
    adjustment = read_adjustment(skeleton)
    # Statistic words count even where they are part of a column's name ("average grade" → grade_avg).
    plain = " ".join(token.word for token in tokens)
    kind = descriptive_kind(skeleton.text)
    causal_words = bool(_CAUSAL_WORDS.search(skeleton.text))
    if kind is None and not (causal_words and len({m.column for m in mentions}) >= 2):
        # ... but not when the question asks for an effect between two columns: "attendance_rate" is the
        # outcome's name there, not a request for a share.
        kind = descriptive_kind(plain)
    two_sided = (
        direction is not None
        and (direction.treatment or "treatment" in direction.unmatched)
        and (direction.outcome or "outcome" in direction.unmatched)
    )
    treatment_roles = manifest.with_role("treatment")

    intent: Intent
    counterfactual = bool(re.search(r"\bif\b", plain) and re.search(r"\b(?:would|will|could|might)\b", plain)) or bool(
        _WHAT_IF.search(plain)
    )
    # "a vs b on y, adjusting for …": a comparison asked with adjustment is an effect, not a table of means.
    adjusted_comparison = (
        bool(_ADJUSTING.search(skeleton.text))
        and len({m.column for m in mentions}) >= 2
        and not opens_descriptively(plain)
    )
    asked_effect = two_sided and (
        counterfactual
        or not (kind in ("count", "share") and opens_descriptively(plain))
        or (direction is not None and direction.pattern in EFFECT_COUNTING_PATTERNS)
    )
    counted_effect = bool(_COUNT_OF_EFFECT.search(plain)) and len({m.column for m in mentions}) >= 2
    if (
        asked_effect
        or adjusted_comparison
        or counted_effect
        or (counterfactual and len({m.column for m in mentions}) >= 2)
    ):
        # "if members stayed 6 months longer, how many more visits would we get?": a what-if between two named
        # columns asks for an effect, even in the words of a count.
        intent = "causal"
    elif kind is not None and (direction is None or opens_descriptively(plain) or not causal_words):
        intent = "descriptive"
    elif direction is not None or causal_words or len(mentions) >= 2:
        intent = "causal"
    elif len(mentions) == 1:
        intent, kind = "descriptive", "summary"
    else:
        words = Skeleton.concept_words(skeleton.text)
        if words:
            return Reading("unanswerable", unmatched=words, how="no column matches these words")
        return Reading("other", other="help")

    if intent == "descriptive":
        assert kind is not None
        spec = read_spec(
            kind,
            skeleton,
            manifest,
            index.value_mentions(tokens),
            treatment_roles[0].name if len(treatment_roles) == 1 else None,
        )
        if spec is None or (kind not in ("count", "share") and not spec.columns):
            words = Skeleton.concept_words(skeleton.text)
            row_words = bool(_ROW_WORDS.search(skeleton.text))
            if spec is None and words:
                return Reading("unanswerable", unmatched=words, how="no column matches these words")
            if spec is None and kind in ("count", "share") and row_words:
                spec = DescriptiveSpec(kind)
            elif spec is None:
                return Reading("unanswerable", unmatched=words, how="the question names no column to describe")
        if spec.unplaced:
            return Reading(
                "unanswerable",
                unmatched=spec.unplaced,
                how="the data have years but no dates, so a month or a day cannot be picked out",
            )
        if kind not in ("count", "share", "correlation"):
            leftover = [w for w in Skeleton.concept_words(skeleton.text) if not _ROW_WORDS.fullmatch(w)]
            if not spec.columns and leftover:
                return Reading("unanswerable", unmatched=leftover, how="no column matches these words")
        return Reading("descriptive", descriptive=spec, how="a description of the data")

    reading = Reading("causal", adjustment=adjustment, design=read_design(skeleton), target=read_target(skeleton.text))
    candidates = _outside(mentions, skeleton, adjustment.spans)
    candidates = [m for m in candidates if m.column not in reading.design.instruments]
    if direction is not None:
        reading.treatment, reading.outcome = direction.treatment, direction.outcome
        reading.also_named = direction.also_named
        reading.how = "named in the question" if direction.treatment and direction.outcome else ""
        if direction.unmatched and not (direction.treatment and direction.outcome):
            role = "treatment" if "treatment" in direction.unmatched and not direction.treatment else "outcome"
            other = reading.outcome if role == "treatment" else reading.treatment
            held = [m for m in candidates if m.column == other]
            # A column named beside the found role is part of its phrase ("late deliveries"), not the other role.
            spare = list(
                dict.fromkeys(
                    m.column
                    for m in candidates
                    if m.column != other and not any(m.first <= h.last + 1 and h.first <= m.last + 1 for h in held)
                )
            )
            if role == "outcome" and role in direction.unmatched and not reading.outcome and other and len(spare) == 1:
                # "does opting in lower what we pay out in claims?": the phrase did not resolve as a whole, but
                # it holds the one other column the question names.
                setattr(reading, role, spare[0])
                reading.how = "named in the question"
            elif role in direction.unmatched and not getattr(reading, role):
                return Reading(
                    "unanswerable",
                    treatment=reading.treatment,
                    outcome=reading.outcome,
                    unmatched=direction.unmatched[role],
                    unmatched_role=role,
                    how="no column matches these words",
                    adjustment=adjustment,
                )
        reading.contrast = read_contrast(direction.treatment_clause, skeleton.text, direction.counterfactual)
    else:
        reading.contrast = read_contrast("", skeleton.text, False)
    if not reading.complete:
        _roles_from_mentions(reading, candidates, manifest)
    if not reading.complete:
        leftover = Skeleton.concept_words(skeleton.text)
        named = {m.column for m in mentions}
        if leftover and not (reading.treatment or reading.outcome) and not named:
            return Reading(
                "unanswerable", unmatched=leftover, how="no column matches these words", adjustment=adjustment
            )
        _fill_from_roles(reading, manifest, "from the dataset's column roles")
    for mention in mentions:
        for role in ("treatment", "outcome"):
            if getattr(reading, role) == mention.column and mention.alternatives:
                reading.alternatives[role] = [mention.column, *mention.alternatives]
    _outcome_measured_after(reading, manifest)
    if reading.treatment:
        chosen, reading.treatment_note = choose_form(reading.treatment, tokens, mentions, manifest)
        if chosen != reading.outcome:
            reading.treatment = chosen
    if reading.complete and reading.treatment in reading.adjustment.exclude:
        reading.adjustment.exclude.pop(reading.treatment)
    return reading
