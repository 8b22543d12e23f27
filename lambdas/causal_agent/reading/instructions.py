"""What the user says about the analysis itself: the adjustment set, the contrast, the design's roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causal_agent.reading.skeleton import Skeleton

_LIST = r"(?P<list>(?:(?:the|a|an|their|his|her|its|both|either|any|of)\s+)*C\d+(?:\s*(?:,|and|or|&|plus|as\s+well\s+as|nor)\s*(?:(?:the|a|an|their|both|either|also)\s+)*C\d+)*)"
_ANY_LIST = _LIST.replace("(?P<list>", "(?:")
_ADJUST_VERB = (
    r"(?:adjust(?:ing|ed|s)?|control(?:ling|led|s)?|account(?:ing|ed|s)?|condition(?:ing|ed|s)?|correct(?:ing|ed|s)?|"
    r"stratify(?:ing)?|stratified)"
)

# An adjustment list whose later items are said with a few words before the column ("area and distance to the
# nearest village"); the words may not start a new request.
_LOOSE_LIST = (
    r"(?P<list>(?:(?:the|a|an|their|his|her|its|both|either|any|of)\s+)*C\d+(?:\s*(?:,|and|or|&|plus|as\s+well\s+as)\s*"
    r"(?:(?!(?:on|effect|effects|impact|what|how|then|please|and|or|but|so|is|are|was|were)\b)[a-z]+\s+){0,4}?C\d+)*)"
)
_ONLY_LOOSE = re.compile(
    rf"\b(?:only\s+)?{_ADJUST_VERB}\s+(?:only\s+|just\s+|solely\s+|purely\s+)?(?:for|on|by)\s+(?:only\s+|just\s+)?"
    rf"{_LOOSE_LIST}(?P<after>\s+only)?"
)
# "… soil and farm size differ, so just account for those two": the columns named just before.
_ONLY_THOSE = re.compile(
    rf"\b{_ADJUST_VERB}\s+(?:only\s+|just\s+)?(?:for|on)\s+(?:only\s+|just\s+)?(?:those|these|them|both)"
    r"(?:\s+(?P<count>two|three|four|2|3|4))?\b"
)
_HOLDING = re.compile(rf"\bholding\s+{_LIST}\s+(?:constant|fixed|equal)")
_NOT = re.compile(
    rf"\b(?:not|\w+n't|dont|didnt|never|without|no)\s+(?:\S+\s+){{0,2}}?{_ADJUST_VERB}\s+(?:for|on)\s+{_LIST}"
)
_DROP = re.compile(
    rf"\b(?:excluding|exclude|ignoring|ignore|leaving\s+out|leave\s+out|drop|dropping|omit|omitting|"
    rf"except(?:\s+for)?|but\s+not|other\s+than|apart\s+from)\s+{_LIST}(?!\s*(?:>|<|=|over|above|under|below|older|younger))"
)
# "leave C out", "keep C out of it": the split form of leaving a column out.
_DROP_SPLIT = re.compile(rf"\b(?:leave|leaving|keep|keeping|take|taking)\s+{_LIST}\s+out\b")
# "… C is measured after, leave it out", "(C are follow-ups, don't adjust for those)": a pronoun for the column
# named just before, in the same sentence.
_DROP_PRONOUN = re.compile(
    rf"\b(?:(?:leave|leaving|keep|keeping|take|taking)\s+(?:it|them|those|that|this|these)\s+out\b|"
    rf"(?:not|\w+n't|dont|never)\s+(?:\S+\s+){{0,2}}?{_ADJUST_VERB}\s+(?:for|on)\s+(?:it|them|those|that|this|these)\b)"
)
_POST = re.compile(
    rf"(?:(?:treating|treat|considering|consider|counting|count|with)\s+)?{_LIST}\s+(?:as|is|are|was|were|being)\s+(?:probably\s+|likely\s+|actually\s+|really\s+)?(?:a\s+|an\s+|the\s+)?"
    r"(?P<what>mediators?|post[-\s]?treatment|measured\s+after|recorded\s+after|outcomes?\s+of|consequences?\s+of|"
    r"results?\s+of|affected\s+by\s+(?:the\s+)?(?:treatment|C\d+)|colliders?|caused\s+by\s+(?:the\s+)?(?:treatment|C\d+)|"
    r"downstream|on\s+the\s+causal\s+path)"
)
_NONE = re.compile(
    r"\b(?:no|without\s+(?:any\s+)?|zero)\s+(?:adjustment|adjusting|controls?|covariates|confounders)\b|"
    r"\bunadjusted\b|\braw\s+(?:difference|comparison|effect)\b|\bnot\s+adjust(?:ing|ed)?\s+for\s+anything\b"
)
_ALL = re.compile(
    rf"\b{_ADJUST_VERB}\s+(?:for\s+)?(?:everything|all\s+(?:the\s+)?(?:other\s+)?"
    r"(?:covariates|variables|columns|confounders|factors))"
)
_ALSO = re.compile(r"\b(?:also|additionally|as\s+well|too|in\s+addition)\b")

_STOP = re.compile(
    r"\b(?:stopp?(?:ed|ing|s)?|ended|ending|ends|end|cancel+(?:ed|led)?|discontinued|abolished|removed|"
    r"scrapped|dropped|withdrawn|taken\s+away|eliminated|quit|no\s+longer|ceased?|halted|"
    r"shut\s+down|closed|banned|left|leave|leaves|leaving|exit(?:ed|s)?|rolled\s+back|roll\s+back|revert(?:ed)?|"
    r"undo|undid|not|never|no)\b"
)
_NOBODY = re.compile(
    r"\b(?:nobody|no\s+one|no-one|none\s+of\s+them|no\s+\S+)\s+(?:\S+\s+){0,2}?"
    r"(?:got|get|gets|received|receive|had|have|took|take|did|were|was|joined|used|attended|C\d+)\b|"
    r"\b(?:off|switched\s+off|turned\s+off)\b|"
    r"\bwithout\b"
)
_EVERYONE = re.compile(
    r"\b(?:everyone|everybody|all\s+(?:of\s+)?(?:them|\S+)|every\s+\S+)\s+(?:\S+\s+){0,2}?"
    r"(?:got|get|gets|received|receive|had|have|took|take|did|were|was|joined|used|attended)\b"
)
_BY_AMOUNT = re.compile(
    r"\b(?P<verb>increase[sd]?|raised?|rise|rose|went\s+up|go\s+up|goes\s+up|grew|grow|added|add|"
    r"more|decrease[sd]?|reduced?|cut|lowered?|fell|fall|dropped|drop|went\s+down|less|fewer)\s+"
    r"(?:by\s+)?(?P<amount>\d+(?:\.\d+)?)\b|\b(?P<amount2>\d+(?:\.\d+)?)\s+(?:more|extra|additional|"
    r"fewer|less)\b"
)
_DOWN_WORDS = ("decrease", "reduce", "cut", "lower", "fell", "fall", "drop", "went down", "less", "fewer")

_ATT = re.compile(
    r"\b(?:on|for|among)\s+(?:the\s+|those\s+)?(?:treated|participants|those\s+who\s+(?:got|received|took|were\s+treated))\b|\batt\b"
)
_ATE = re.compile(r"\b(?:average\s+treatment\s+effect|ate|everyone|everybody|whole\s+population|all\s+\S+)\b")

_INSTRUMENT = re.compile(
    rf"(?:\b(?:using|use|with|via|through|taking|treat(?:ing)?)\s+{_ANY_LIST}\s+(?:as\s+)?(?:an?\s+|the\s+)?"
    rf"instruments?\b|{_ANY_LIST}\s+(?:is|as|are)\s+(?:an?\s+|the\s+|my\s+)?instruments?\b|"
    rf"\binstruments?\s+(?:is\s+|are\s+|=\s*|:\s*)?{_ANY_LIST})"
)
_TIME = re.compile(
    rf"(?:{_ANY_LIST}\s+(?:is|as)\s+(?:the\s+)?(?:time|period|year|wave)\b|\b(?:over|across|by)\s+{_ANY_LIST}"
    r"\s+(?:periods|years|waves)\b|\b(?:before\s+and\s+after|difference[-\s]in[-\s]differences?|"
    r"diff[-\s]in[-\s]diff|did)\b)"
)
_RUNNING = re.compile(
    rf"(?:\b(?:cutoff|cut-off|threshold|discontinuity)\s+(?:of|at|in|on)?\s*(?:\S+\s+){{0,2}}?"
    rf"(?:{_ANY_LIST}\s+)?(?:of|at|=)?\s*(?P<cutoff>-?\d+(?:\.\d+)?)|{_ANY_LIST}\s+(?:is|as)\s+(?:the\s+)?"
    r"running\s+variable|\bregression\s+discontinuity\b|\brdd?\b)"
)


@dataclass
class Adjustment:
    """The user's instructions about the adjustment set."""

    only: list[str] | None = None  # exactly these
    also: list[str] = field(default_factory=list)
    exclude: dict[str, str] = field(default_factory=dict)  # column → the user's reason
    none: bool = False
    everything: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)  # skeleton character spans the instructions use

    @property
    def given(self) -> bool:
        return bool(self.only is not None or self.also or self.exclude or self.none or self.everything)

    def merge(self, later: Adjustment) -> Adjustment:
        """A later instruction (a reply) refines an earlier one."""
        merged = Adjustment(self.only, list(self.also), dict(self.exclude), self.none, self.everything)
        if later.none:
            merged = Adjustment(none=True)
        if later.everything:
            merged.everything, merged.only, merged.none = True, None, False
        if later.only is not None:
            merged.only, merged.none = list(later.only), False
        merged.also += [c for c in later.also if c not in merged.also]
        merged.exclude.update(later.exclude)
        for column in later.also + (later.only or []):
            merged.exclude.pop(column, None)
        return merged


@dataclass
class Contrast:
    """The comparison asked for: +1 × the effect of starting, or -1 × it (stopping), per ``scale`` units."""

    sign: int = 1
    scale: float = 1.0
    label: str = ""
    # A change relative to each unit's own level ("doubled", "cut in half"): the treatment multiplied by this
    # factor. Its size in units is (factor - 1) × the treatment's mean, known once the analysis has run.
    factor: float | None = None

    def units(self, treatment_mean: float | None) -> float | None:
        """The change in treatment units the question asks about (None: a relative change of an unknown level)."""
        if self.factor is None:
            return self.sign * self.scale
        return None if treatment_mean is None else (self.factor - 1) * treatment_mean


@dataclass
class DesignHints:
    instruments: list[str] = field(default_factory=list)
    time: str | None = None
    running: str | None = None
    cutoff: float | None = None
    difference_in_differences: bool = False
    discontinuity: bool = False


def read_adjustment(skeleton: Skeleton) -> Adjustment:
    text = skeleton.text
    adjustment = Adjustment()
    for match in _NOT.finditer(text):
        for column in skeleton.columns_in(match.group("list")):
            adjustment.exclude[column] = "you asked not to adjust for it"
        adjustment.spans.append(match.span())
    for match in _POST.finditer(text):
        what = re.sub(r"C\d+", "the treatment", match.group("what"))
        for column in skeleton.columns_in(match.group("list")):
            adjustment.exclude[column] = f"you said it is {'a ' if what.startswith('mediator') else ''}{what}"
        adjustment.spans.append(match.span())
    for match in _DROP.finditer(text):
        if any(start <= match.start() < end for start, end in adjustment.spans):
            continue
        before = text[max(0, match.start() - 60) : match.start()]
        if not re.search(
            rf"{_ADJUST_VERB}|covariates|confounders|controls|adjustment|mediator",
            before + text[match.start() : match.end() + 60],
        ):
            continue  # "excluding people over 60" filters rows; only an adjustment clause drops columns
        for column in skeleton.columns_in(match.group("list")):
            adjustment.exclude.setdefault(column, "you asked to leave it out")
        adjustment.spans.append(match.span())
    for match in _DROP_SPLIT.finditer(text):
        if any(start <= match.start() < end for start, end in adjustment.spans):
            continue
        for column in skeleton.columns_in(match.group("list")):
            adjustment.exclude.setdefault(column, "you asked to leave it out")
        adjustment.spans.append(match.span())
    for match in _DROP_PRONOUN.finditer(text):
        if any(start <= match.start() < end for start, end in adjustment.spans):
            continue
        sentence = re.split(r"[.?!(]\s*", text[: match.start()])[-1]
        earlier = re.findall(r"C\d+", text[: match.start()])
        in_sentence = re.findall(r"C\d+", sentence)
        # The column meant is the last named, when it is not one of the question's first two (its roles): it
        # follows them, or opens a sentence of its own.
        if in_sentence and (len(earlier) >= 3 or len(in_sentence) < len(earlier)):
            named = skeleton.columns_in(in_sentence[-1])
            if named:
                adjustment.exclude.setdefault(named[-1], "you asked to leave it out")
                adjustment.spans.append(match.span())
    if _NONE.search(text):
        adjustment.none = True
        adjustment.spans.append(_NONE.search(text).span())  # type: ignore[union-attr]
    if _ALL.search(text):
        adjustment.everything = True
        adjustment.spans.append(_ALL.search(text).span())  # type: ignore[union-attr]
    for match in _ONLY_THOSE.finditer(text):
        if any(start <= match.start() < end for start, end in adjustment.spans):
            continue
        sentence = re.split(r"[.?!;]\s*", text[: match.start()])[-1]
        named = re.findall(r"C\d+", sentence)
        size = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}.get(match.group("count") or "", len(named))
        columns = skeleton.columns_in(" ".join(named[-size:])) if named and size <= len(named) else []
        if columns:
            adjustment.only = (adjustment.only or []) + [c for c in columns if c not in (adjustment.only or [])]
            adjustment.spans.append(match.span())
    for pattern in (_ONLY_LOOSE, _HOLDING):
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in adjustment.spans):
                continue
            columns = [c for c in skeleton.columns_in(match.group("list")) if c not in adjustment.exclude]
            adjustment.spans.append(match.span())
            clause = text[max(0, match.start() - 30) : match.end() + 30]
            if pattern is _ONLY_LOOSE and (
                re.search(r"\b(?:only|just|solely|purely)\b", match.group(0)) or match.groupdict().get("after")
            ):
                adjustment.only = (adjustment.only or []) + [c for c in columns if c not in (adjustment.only or [])]
            elif _ALSO.search(clause):
                adjustment.also += [c for c in columns if c not in adjustment.also]
            else:
                # "controlling for a and b" names the set the user wants.
                adjustment.only = (adjustment.only or []) + [c for c in columns if c not in (adjustment.only or [])]
    return adjustment


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = r"\d+(?:\.\d+)?"
_EACH_AMOUNT = re.compile(
    rf"\b(?:each|every|an?|per|for\s+(?:each|every|an?))\s+(?:additional\s+|extra\s+|more\s+|further\s+)?"
    rf"(?P<amount>{_NUMBER})(?P<k>k\b)?(?!\s*(?:%|percent|per\s*cent))"
)
_BY_N = re.compile(
    rf"\b(?P<verb>increase[sd]?|increasing|raise[sd]?|raising|rise|rose|up|grew|grow|boost(?:ed)?|add(?:ed)?|"
    rf"decrease[sd]?|decreasing|reduce[sd]?|reducing|cut(?:ting)?|lower(?:ed)?|down|drop(?:ped)?|trim(?:med)?)\b"
    rf"(?:\s+C\d+)?(?:\s+\w+){{0,2}}?\s+by\s+(?:another\s+)?\$?(?P<amount>{_NUMBER})(?P<k>k\b)?(?!\s*(?:%|percent))"
)
_EXTRA_N = re.compile(
    rf"\b(?:an?\s+)?(?:extra|additional|another)\s+\$?(?P<amount>{_NUMBER})(?P<k>k\b)?(?!\s*(?:%|percent))"
)
_FROM_TO = re.compile(rf"\bfrom\s+(?P<a>{_NUMBER})(?P<ka>k\b)?\s*[a-z%$]*\s+to\s+(?P<b>{_NUMBER})(?P<kb>k\b)?")


def _amount(number: str, thousands: str | None) -> float:
    return float(number) * (1000 if thousands else 1)


_RELATIVE = (
    (
        re.compile(
            r"\b(?:doubl(?:e[sd]?|ing)|twice\s+(?:as\s+(?:much|many|long|high|often)|the)|two\s+times\s+(?:as|the))\b"
        ),
        2.0,
        "doubling it",
    ),
    (re.compile(r"\b(?:tripl(?:e[sd]?|ing)|three\s+times\s+(?:as|the))\b"), 3.0, "tripling it"),
    (
        re.compile(
            r"\b(?:halv(?:e[sd]?|ing)|(?:cut|reduce[sd]?|reducing|lower(?:ed)?|drop(?:ped)?|slash(?:ed)?|trim(?:med)?)"
            r"(?:\s+\w+){0,4}?\s+(?:in|by)\s+(?:a\s+)?half|half\s+as\s+(?:much|many|long|often))\b"
        ),
        0.5,
        "cutting it in half",
    ),
)


def _relative_contrast(text: str) -> Contrast | None:
    """A change relative to the current level: "doubled", "twice as much", "cut in half", "halved"."""
    for pattern, factor, label in _RELATIVE:
        if pattern.search(text):
            return Contrast(1 if factor > 1 else -1, abs(factor - 1), label, factor=factor)
    return None


def _scaled_contrast(text: str) -> Contrast | None:
    """A change of a given size in a continuous treatment: "by 1,000", "each additional 100", "from 10 to 20",
    or relative to its level ("doubled", "cut in half")."""
    text = _THOUSANDS.sub("", text)
    relative = _relative_contrast(text)
    if relative is not None:
        return relative
    span = _FROM_TO.search(text)
    if span:
        start, end = _amount(span.group("a"), span.group("ka")), _amount(span.group("b"), span.group("kb"))
        if end != start:
            sign = 1 if end > start else -1
            return Contrast(sign, abs(end - start), f"a change from {start:g} to {end:g} ({end - start:+g} units)")
    by = _BY_N.search(text)
    if by:
        value = _amount(by.group("amount"), by.group("k"))
        sign = -1 if re.match(r"decreas|reduc|cut|lower|down|drop|trim", by.group("verb")) else 1
        return Contrast(sign, value, f"{'a decrease' if sign < 0 else 'an increase'} of {value:g} units")
    extra = _EXTRA_N.search(text)
    if extra:
        value = _amount(extra.group("amount"), extra.group("k"))
        return Contrast(1, value, f"an extra {value:g} units")
    each = _EACH_AMOUNT.search(text)
    if each:
        value = _amount(each.group("amount"), each.group("k"))
        if value not in (0.0, 1.0):
            return Contrast(1, value, f"each additional {value:g} units")
    return None


def read_contrast(clause: str, whole: str, counterfactual: bool) -> Contrast | None:
    """The contrast of a counterfactual question, from the treatment's clause and the whole question."""
    clause, whole = _THOUSANDS.sub("", clause), _THOUSANDS.sub("", whole)
    if not counterfactual:
        scaled = _scaled_contrast(whole)
        if scaled is not None:
            return scaled
        if re.search(r"\b(?:stopping|ending|removing|cancell?ing|abolishing|scrapping|dropping)\s+C\d+", whole):
            return Contrast(-1, 1.0, "stopping it (the negative of the effect of starting it)")
        return None
    scope = f"{clause} {whole}"
    if (
        _STOP.search(clause)
        or re.search(r"\bwithout\s+(?:the\s+|a\s+|an\s+|any\s+)?C\d+", scope)
        or _NOBODY.search(clause)
    ):
        return Contrast(-1, 1.0, "stopping it / nobody getting it (the negative of the effect of starting it)")
    scaled = _scaled_contrast(scope)
    if scaled is not None:
        return scaled
    amount = _BY_AMOUNT.search(clause)
    if amount:
        value = float(amount.group("amount") or amount.group("amount2"))
        verb = (amount.group("verb") or amount.group(0)).lower()
        sign = -1 if any(word in verb for word in _DOWN_WORDS) else 1
        return Contrast(sign, value, f"{'a decrease' if sign < 0 else 'an increase'} of {value:g} units")
    if _EVERYONE.search(scope):
        return Contrast(1, 1.0, "everyone getting it compared with nobody getting it")
    return Contrast(1, 1.0, "getting it compared with not getting it")


def read_target(whole: str) -> str:
    if _ATT.search(whole):
        return "att"
    if _ATE.search(whole):
        return "ate"
    return "auto"


def read_design(skeleton: Skeleton) -> DesignHints:
    text = skeleton.text
    hints = DesignHints()
    for match in _INSTRUMENT.finditer(text):
        for column in skeleton.columns_in(match.group(0)):
            if column not in hints.instruments:
                hints.instruments.append(column)
    for match in _TIME.finditer(text):
        hints.difference_in_differences = True
        columns = skeleton.columns_in(match.group(0))
        if columns:
            hints.time = columns[0]
    for match in _RUNNING.finditer(text):
        hints.discontinuity = True
        columns = skeleton.columns_in(match.group(0))
        if columns:
            hints.running = columns[0]
        if match.groupdict().get("cutoff"):
            hints.cutoff = float(match.group("cutoff"))
    return hints
