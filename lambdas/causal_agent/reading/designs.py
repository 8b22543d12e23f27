"""Designs and subgroups a user implies in words.

A careful analyst listens for: a cutoff that decides who is treated ("everyone who scored at least 70 got
the award"), a date from which a policy applied ("took effect in 2017", "since 2019Q3"), a treated group
named by value with the rest as controls ("the north changed its rule; the other regions did not"), an
instrument ("using distance as an instrument", "Z affects Y only through T"), random assignment ("by
lottery", "assigned at random"), and a subgroup ("for women", "among customers over 60", "in the north").
Each field stays empty when the words do not say it: the design is never guessed from a number alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.periods import PERIOD, normalise_period, period_columns
from causal_agent.reading.words import tokenize
from causal_common.models.datasets import Column, DatasetManifest

_NUMBER = r"(?P<num>-?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>k\b|%|percent\b|points?\b)?"
_ABOVE = (
    r"(?:on|at)\s+or\s+above|at\s+least|or\s+more|or\s+above|or\s+higher|and\s+(?:above|over|up)|>=|≥|above|over|more\s+than|"
    r"greater\s+than|higher\s+than|exceed(?:ing|s|ed)?|reach(?:ing|ed)?|of\s+at\s+least"
)
_BELOW = r"(?:on|at)\s+or\s+below|below|under|less\s+than|fewer\s+than|lower\s+than|at\s+most|or\s+less|or\s+below|or\s+under|<=|≤|<"
_CUTOFF_BEFORE = re.compile(
    rf"(?P<op>{_ABOVE}|{_BELOW})\s+(?:the\s+(?:line|threshold|cutoff|cut-off|mark)\s+of\s+|the\s+)?"
    rf"\$?{_NUMBER}",
    re.IGNORECASE,
)
_CUTOFF_AFTER = re.compile(
    rf"\$?{_NUMBER}\s*(?P<op>(?<=\s)or\s+more|(?<=\s)or\s+above|(?<=\s)or\s+higher|(?<=\s)and\s+(?:above|over|up)|"
    rf"(?<=\s)or\s+less|(?<=\s)or\s+below|(?<=\s)or\s+under|\+)",
    re.IGNORECASE,
)
_THRESHOLD = re.compile(
    r"(?P<word>threshold|cut-?off|cut\s+point|line|mark)\s+(?:of|at|is|was|=)?\s*\$?" + _NUMBER, re.IGNORECASE
)
# A cutoff decides treatment only when the sentence says someone got, qualified or was assigned by it.
_ASSIGNMENT = re.compile(
    r"\b(?:got|get|gets|getting|receiv\w*|award\w*|eligib\w*|qualif\w*|assign\w*|entitled|admitted|enrolled|"
    r"offered|given|placed|put\s+(?:in|into|on)|go(?:es)?\s+to|went\s+to|means|meant|triggers?|triggered|"
    r"threshold|cut-?off|cut\s+point|automatically|must|had\s+to|required|rdd?|regression\s+discontinuity|"
    r"discontinuity|just\s+(?:above|below))\b",
    re.IGNORECASE,
)
_START_CUE = (
    r"(?:from|since|starting(?:\s+in)?|started(?:\s+in)?|start(?:ed|s)?\s+in|took\s+effect(?:\s+in)?|"
    r"came\s+into\s+(?:force|effect)(?:\s+in)?|introduced(?:\s+in)?|launched(?:\s+in)?|began(?:\s+in)?|"
    r"rolled\s+out(?:\s+in)?|changed\s+(?:its|their|the)\s+\w+(?:\s+\w+)?\s+in|in\s+effect\s+from|"
    r"switched\s+on\s+in|adopted(?:\s+\w+)?\s+in|went\s+live(?:\s+in)?|implemented(?:\s+in)?|after|as\s+of|"
    r"effective(?:\s+(?:from|in|as\s+of))?|kicked\s+in(?:\s+in)?|in)"
)
_START = re.compile(rf"\b{_START_CUE}\s+(?:the\s+(?:start\s+of\s+|beginning\s+of\s+)?)?{PERIOD}\b", re.IGNORECASE)
# "the 2016 quota reform", "Oregon's 2020Q1 copay cap": a period naming when a policy began.
_POLICY_NOUN = (
    r"(?:policy|policies|rule|rules|law|laws|reform|reforms|ban|cap|caps|mandate|tax|scheme|programme|program|"
    r"regulation|change|switch|rollout|roll-out|launch|pilot|subsidy|rebate|quota|limit)"
)
_PERIOD_POLICY = re.compile(rf"\b{PERIOD}\s+(?:[\w'-]+\s+){{0,2}}?{_POLICY_NOUN}\b", re.IGNORECASE)
# Groups named after a comparison word are the comparison ("compare A with B, C and D").
_COMPARED_WITH = re.compile(r"\b(?:with|against|versus|vs\.?|than|to)\s+(?:the\s+|our\s+)?$", re.IGNORECASE)
_OTHERS = re.compile(
    r"\b(?:the\s+)?(?:other|others|rest|remaining)\b|\bdid(?:\s+not|n't)\b|\bcontrols?\b|\bcomparison\b|\bunchanged\b",
    re.IGNORECASE,
)
_RANDOM = re.compile(
    r"\b(?:randomi[sz](?:ed|ation)|random(?:ly)?\s+(?:assign\w*|allocat\w*|chos\w*|select\w*|drawn|picked|"
    r"split|given|sent|handed)|(?:assign\w*|allocat\w*|chos\w*|picked|given|sent)\s+(?:at\s+)?random(?:ly)?|"
    r"at\s+random|(?:by\s+)?random\s+draw|random\s+(?:\w+\s+)?(?:test|trial|experiment|pilot)|"
    r"assignment\s+(?:was|is|were)\s+(?:\w+\s+)?random|by\s+lottery|lottery|"
    r"coin\s+(?:flip|toss)|a/b\s+test|randomised\s+(?:controlled\s+)?trial|rct)\b",
    re.IGNORECASE,
)
_INSTRUMENT = re.compile(
    r"(?:using|use|with|take|treat(?:ing)?)\s+(?P<a>[\w\s'-]{1,40}?)\s+as\s+(?:an?\s+|the\s+|my\s+)?"
    r"(?:instrument(?:al\s+variable)?|iv)\b|"
    r"instrument(?:ing)?\s+(?:\w+\s+)?(?:with|by|using)\s+(?P<b>[\w\s'-]{1,40}?)(?:[,.;?]|$|\s+(?:to|for|and)\b)|"
    r"(?P<c>[\w\s'-]{1,40}?)\s+(?:only\s+)?(?:affects?|influences?|changes?|moves?|reaches?)\s+[\w\s'-]{1,40}?"
    r"\s+only\s+through\b|"
    r"(?P<d>[\w\s'-]{1,40}?)\s+(?:is|as|are)\s+(?:a\s+|an\s+|the\s+)?(?:natural\s+experiment|exogenous\s+shock)\b|"
    # "Z can serve as the instrument", "Z works as an IV"
    r"(?P<e>[\w\s'-]{1,40}?)\s+(?:(?:can|could|would|should|will|might)\s+)?(?:serves?|works?|acts?|functions?)\s+"
    r"as\s+(?:an?\s+|the\s+|my\s+)?(?:instrument(?:al\s+variable)?|iv)\b|"
    # "Z only matters via T", "Z only affects defects through review time"
    r"(?P<f>[\w\s'-]{1,60}?)\s+only\s+(?:affects?|influences?|changes?|moves?|matters?|works?|"
    r"acts?|operates?|reaches?|shifts?|drives?)\b[^.;?]{0,60}?\b(?:through|via)\b|"
    # "Z is basically random and only changes T", "Z is as good as random and drives T"
    r"(?P<g>[\w\s'-]{1,40}?)\s+(?:is|are|was|were)\s+(?:basically\s+|essentially\s+|effectively\s+|pretty\s+much\s+|"
    r"just\s+)?(?:as\s+good\s+as\s+random|random|arbitrary|(?:a\s+matter\s+of\s+)?luck|chance)\b[^.;?]{0,60}?\b"
    r"(?:only\s+)?(?:affects?|changes?|moves?|shifts?|drives?|determines?)\b|"
    # "Z affects T, and it shouldn't affect Y in any other way": the exclusion said in words
    r"(?P<h>[\w\s'-]{1,40}?)\s+(?:affects?|influences?|changes?|drives?|moves?|shifts?|determines?|pushes?|pushed|"
    r"drove|sends?|sent|raises?|raised)\b"
    r"[^.;?]{0,80}?\b(?:shouldn't|should\s+not|doesn't|does\s+not|wouldn't|would\s+not|can't|cannot)\s+(?:\w+\s+){0,2}?"
    r"(?:affect|matter|influence|change|impact)\b[^.;?]{0,60}?\b(?:otherwise|any\s+other\s+way|directly|except)|"
    # "instrument km_to_clinic, treatment …": the keyword form
    r"\b(?:instrument(?:al\s+variable)?|iv)\s*[:=]?\s+(?P<i>[\w'-]+)(?=\s*[,;]|\s*$)",
    re.IGNORECASE,
)
_SUBGROUP_LEAD = re.compile(r"\b(?:for|among|amongst|within|in|inside|of)\s+(?:the\s+)?$", re.IGNORECASE)
_BY_GROUP = re.compile(
    r"\b(?:differ\w*|vary|varies|varied|heterogen\w*|depend\w*|change\w*|larger|smaller|bigger|stronger|weaker)\b"
    r"[\w\s,']{0,40}?\b(?:by|across|between|among|for\s+different|for\s+each|from\s+one)\s+(?P<phrase>[\w\s'-]{1,40})",
    re.IGNORECASE,
)
_PER_GROUP = re.compile(
    r"\b(?:by|for\s+each|per|in\s+each|across)\s+(?P<phrase>[\w'-]+(?:\s+[\w'-]+)?)\s*\??$", re.IGNORECASE
)


@dataclass(frozen=True)
class SubgroupFilter:
    column: str
    op: str  # == != > >= < <=
    value: str | float
    text: str


@dataclass
class DesignReading:
    design: str | None = None  # rdd | did | iv | randomised
    running: str | None = None
    cutoff: float | None = None
    cutoff_side: str | None = None  # above | below: the side that is treated
    treatment_start: str | None = None
    group_column: str | None = None
    treated_groups: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    randomised: bool = False
    subgroup: list[SubgroupFilter] = field(default_factory=list)
    by_group: str | None = None
    evidence: list[str] = field(default_factory=list)


def _number(text: str, unit: str | None) -> float:
    value = float(text.replace(",", ""))
    return value * 1000 if unit and unit.lower() == "k" else value


def _numeric(column: Column | None) -> bool:
    return column is not None and column.dtype in ("integer", "float") and not column.binary


def _column_before(
    text: str, end: int, index: ColumnIndex, exclude: set[str], numeric_only: bool, manifest: DatasetManifest
) -> str | None:
    """The column named in the words just before ``end`` (closest first)."""
    window = text[max(0, end - 60) : end]
    tokens = tokenize(window)
    found: list[str] = []
    for mention in index.mentions(tokens, window):
        # A word that fits a role's column and another as well ("score") names the other one here.
        names = [n for n in (mention.column, *mention.alternatives) if n not in exclude]
        if numeric_only:
            names = [n for n in names if _numeric(manifest.column(n))]
        if names:
            found.append(names[0])
    if not found and numeric_only:
        # A generic word ("the score") among the numeric columns that are not roles.
        numeric = [c.name for c in manifest.columns if _numeric(c) and c.name not in exclude and c.role != "identifier"]
        narrower = index.restricted(numeric)
        found = [m.column for m in narrower.mentions(tokens, window) if not m.alternatives]
    return found[-1] if found else None


def _read_cutoff(text: str, index: ColumnIndex, manifest: DatasetManifest, roles: set[str], out: DesignReading) -> None:
    if not _ASSIGNMENT.search(text):
        return
    for pattern in (_CUTOFF_BEFORE, _CUTOFF_AFTER, _THRESHOLD):
        for match in pattern.finditer(text):
            op = (match.groupdict().get("op") or match.groupdict().get("word") or "").lower()
            below = bool(re.fullmatch(_BELOW, op, re.IGNORECASE))
            running = _column_before(text, match.start(), index, roles, True, manifest)
            if running is None:
                # "the threshold of 70 on the placement score": the column may follow.
                after = text[match.end() : match.end() + 60]
                found = [m for m in index.mentions(tokenize(after), after) if m.column not in roles]
                found = [m for m in found if _numeric(manifest.column(m.column))]
                running = found[0].column if found else None
            if running is None:
                continue
            out.design, out.running = "rdd", running
            out.cutoff = _number(match.group("num"), match.groupdict().get("unit"))
            out.cutoff_side = "below" if below else "above"
            out.evidence.append(match.group(0).strip())
            return


def _read_start_and_groups(
    text: str, index: ColumnIndex, manifest: DatasetManifest, roles: set[str], out: DesignReading
) -> None:
    if not period_columns(manifest):
        return
    match = _START.search(text) or _PERIOD_POLICY.search(text)
    if match is None:
        return
    cue = match.group(0).split()[0].lower()
    if cue == "in" and not re.search(
        r"\b(?:policy|policies|rule|rules|law|laws|reform|reforms|ban|banned|program+e?|scheme|mandate|tax|"
        r"took|since|from|launched|introduced|changed|started|switched|adopted|rolled|went|became|turned|"
        r"scrapped|abolished|dropped|removed|ended|stopped|began|opened|closed|installed|added|allowed|"
        r"raised|lowered|cut|replaced|moved|joined|expanded|extended|got|received|implemented|"
        r"enacted|passed|began|upgraded|converted|piloted|trialled|trialed|kicked|capped|cap|effective)\b",
        text,
        re.IGNORECASE,
    ):
        return  # "average sales in 2019" is a filter, not a policy date
    out.treatment_start = _to_data_period(normalise_period(match.group("period")), manifest)
    out.evidence.append(match.group(0).strip())
    tokens = tokenize(text)
    values = sorted(index.value_mentions(tokens), key=lambda v: v.first)
    compared: set[int] = set()
    for position, value in enumerate(values):
        # "compare A with B, C and D": B, C and D (a list after the comparison word) are the comparison groups.
        start = tokens[value.first].start
        if _COMPARED_WITH.search(text[max(0, start - 12) : start]):
            compared.add(position)
            for later in range(position + 1, len(values)):
                gap = text[tokens[values[later - 1].last].end : tokens[values[later].first].start]
                if re.fullmatch(r"\s*(?:,|and|or|,\s*and|&)\s*", gap) and values[later].column == value.column:
                    compared.add(later)
                else:
                    break
    for position, value in enumerate(values):
        if position in compared:
            continue
        column = manifest.column(value.column)
        if column is None or column.binary or column.dtype != "string":
            continue
        if column in period_columns(manifest) or re.fullmatch(r"(?:19|20)\d\d.*", str(value.value)):
            continue
        out.group_column = column.name
        if value.value not in out.treated_groups:
            out.treated_groups.append(str(value.value))
    if (
        out.treated_groups
        and not _OTHERS.search(text)
        and len(out.treated_groups)
        >= len((manifest.column(out.group_column or "") or Column(name="x", dtype="string")).levels or [])
    ):
        out.treated_groups, out.group_column = [], None  # every group named: no comparison group
    out.design = "did"


def _to_data_period(period: str, manifest: DatasetManifest) -> str:
    """A month or a quarter said for data kept by year ("took effect Jan 2018", a yearly panel) is that year."""
    kept = ""
    for column in period_columns(manifest):
        levels = [str(level) for level in column.levels or []]
        if levels and all(re.fullmatch(r"(?:19|20)\d\d[Qq][1-4]", level) for level in levels):
            kept = "quarter"
            break
        yearly_name = column.dtype == "integer" and re.search(r"(?:^|_)(?:year|yr)s?(?:$|_)", column.name.lower())
        if (levels and all(re.fullmatch(r"(?:19|20)\d\d(?:\.0)?", level) for level in levels)) or yearly_name:
            kept = "year"
    month = re.fullmatch(r"((?:19|20)\d\d)-(\d\d)", period)
    if kept == "year" and (month or re.fullmatch(r"(?:19|20)\d\dQ[1-4]", period)):
        return period[:4]
    if kept == "quarter" and month:
        return f"{month.group(1)}Q{(int(month.group(2)) - 1) // 3 + 1}"
    return period


def _read_instruments(text: str, index: ColumnIndex, roles: set[str], out: DesignReading) -> None:
    for match in _INSTRUMENT.finditer(text):
        phrase = next(g for g in (match.group(name) for name in "abcdefghi") if g)
        found = [m for m in index.mentions(tokenize(phrase), phrase) if m.column not in roles]
        if found:
            chosen = found[-1].column
            if chosen not in out.instruments:
                out.instruments.append(chosen)
                out.evidence.append(match.group(0).strip())
    if out.instruments and out.design is None:
        out.design = "iv"


# Words that leave a group out ("for everyone who isn't gold", "leaving out the north", "excluding retail").
_LEAVING_OUT = re.compile(
    r"(?:\b(?:isn'?t|is\s+not|aren'?t|are\s+not|not|non|except(?:\s+for)?|excluding|excluded|other\s+than|"
    r"apart\s+from|leaving\s+out|leave\s+out|without|outside(?:\s+of)?|besides)\b[\s-]*(?:the\s+|a\s+|an\s+)?)$",
    re.IGNORECASE,
)
# A group named and then marked as the only one looked at ("wetland only", "the north routes specifically").
_ONLY_AFTER = re.compile(r"^(?:[\s-]+[\w'-]+){0,2}?[\s-]+(?:only|specifically|alone|exclusively)\b", re.IGNORECASE)
_ADJUSTING_LEAD = re.compile(r"\b(?:control\w*|adjust\w*|account\w*)\s+for\b[\w\s]{0,25}$", re.IGNORECASE)


def _read_subgroup(
    text: str, index: ColumnIndex, manifest: DatasetManifest, roles: set[str], out: DesignReading
) -> None:
    tokens = tokenize(text)
    for value in index.value_mentions(tokens):
        column = manifest.column(value.column)
        if column is None or column.name in roles or column.name == out.group_column:
            continue
        start, end = tokens[value.first].start, tokens[value.last].end
        lead = text[max(0, start - 30) : start]
        if _ADJUSTING_LEAD.search(lead):
            continue
        if _LEAVING_OUT.search(text[max(0, start - 25) : start]) and (
            re.search(
                r"\b(?:for|among|within|who|whose|everyone|everybody|all|any|leaving|leave|excluding|except|"
                r"other|apart|without|outside|besides)\b",
                lead,
                re.IGNORECASE,
            )
            or start < 25
        ):
            out.subgroup.append(SubgroupFilter(column.name, "!=", value.value, f"{column.name} != {value.value}"))
        elif (
            _SUBGROUP_LEAD.search(text[max(0, start - 20) : start])
            or re.search(r"\b(?:for|among|in|within)\b[\w\s]{0,25}$", lead, re.IGNORECASE)
            or _ONLY_AFTER.match(text[end : end + 40])
        ):
            out.subgroup.append(SubgroupFilter(column.name, "==", value.value, f"{column.name} = {value.value}"))
    _read_flag_subgroup(text, tokens, index, manifest, roles, out)
    for match in re.finditer(rf"(?P<op>{_ABOVE}|{_BELOW}|aged\s+(?:over|under))\s+\$?{_NUMBER}", text, re.IGNORECASE):
        lead = text[max(0, match.start() - 40) : match.start()]
        if not re.search(
            r"\b(?:for|among|amongst|within|in|with|who|whose|of|aged|people|customers|patients|users|"
            r"students|those)\b|\b[a-z]{3,}s\s*$",
            lead,
            re.IGNORECASE,
        ):
            continue
        numeric_column = _column_before(text, match.start(), index, roles, True, manifest)
        if numeric_column is None:
            # "shops with more than 5 staff": the column follows the number.
            after = text[match.end() : match.end() + 30]
            following = [m for m in index.mentions(tokenize(after), after) if m.column not in roles]
            following = [m for m in following if m.first == 0 and _numeric(manifest.column(m.column))]
            numeric_column = following[0].column if following else None
        if numeric_column is None:
            ages = [
                c.name
                for c in manifest.columns
                if re.search(r"\bage\b|^age|_age", c.name, re.IGNORECASE) and _numeric(c) and c.name not in roles
            ]
            numeric_column = (
                ages[0]
                if ages
                and re.search(
                    r"\b(?:aged|older|younger|years?\s+old|over|under)\b", match.group(0) + lead, re.IGNORECASE
                )
                else None
            )
        if numeric_column is None or numeric_column == out.running:
            continue
        op_text = match.group("op").lower()
        below = bool(re.search(_BELOW, op_text, re.IGNORECASE)) or "under" in op_text
        inclusive = bool(re.search(r"\b(?:least|or|most)\b", op_text))
        op = ("<=" if inclusive else "<") if below else (">=" if inclusive else ">")
        amount = _number(match.group("num"), match.groupdict().get("unit"))
        out.subgroup.append(SubgroupFilter(numeric_column, op, amount, f"{numeric_column} {op} {amount:g}"))
    for match in re.finditer(
        rf"\$?{_NUMBER}\s*(?P<op>(?:and|or)\s+(?:older|over|above|up|more|higher|younger|under|below|less|fewer)|\+)",
        text,
        re.IGNORECASE,
    ):
        lead = text[max(0, match.start() - 40) : match.start()]
        if not re.search(
            r"\b(?:for|among|amongst|within|with|who|whose|aged|age|those|only)\b|\b[a-z]+s\s*$", lead, re.IGNORECASE
        ):
            continue
        if any(
            s.text.endswith(f"{_number(match.group('num'), match.groupdict().get('unit')):g}") for s in out.subgroup
        ):
            continue
        numeric_column = _column_before(text, match.start(), index, roles, True, manifest) or _age_column(
            manifest, roles, match.group(0) + " " + lead
        )
        if numeric_column is None or numeric_column == out.running:
            continue
        below = re.search(r"younger|under|below|less|fewer", match.group("op"), re.IGNORECASE) is not None
        amount = _number(match.group("num"), match.groupdict().get("unit"))
        op = "<=" if below else ">="
        out.subgroup.append(SubgroupFilter(numeric_column, op, amount, f"{numeric_column} {op} {amount:g}"))
    compared = re.search(
        r"\b(?:differ\w*|different|vary|varies|same)\b.*\b(?:between|for|among)\b", text, re.IGNORECASE
    )
    if compared:
        by_column: dict[str, int] = {}
        for value in index.value_mentions(tokens):
            by_column[value.column] = by_column.get(value.column, 0) + 1
        two = [name for name, count in by_column.items() if count >= 2 and name not in roles]
        if two:
            out.by_group = two[0]
            out.subgroup = [s for s in out.subgroup if s.column != two[0]]
            return
    by_match = _BY_GROUP.search(text) or _PER_GROUP.search(text)
    if by_match:
        phrase = by_match.group("phrase")
        found = [m for m in index.mentions(tokenize(phrase), phrase) if m.column not in roles]
        candidates = [
            m.column for m in found if (c := manifest.column(m.column)) is not None and (c.levels or c.binary)
        ]
        if candidates:
            out.by_group = candidates[0]


def _age_column(manifest: DatasetManifest, roles: set[str], words: str) -> str | None:
    """The age column, when the words speak of age ("aged 25 and over", "65 and older")."""
    if not re.search(r"\b(?:aged?|older|younger|years?\s+old)\b", words, re.IGNORECASE):
        return None
    ages = [
        c.name
        for c in manifest.columns
        if re.search(r"\bage\b|^age|_age", c.name, re.IGNORECASE) and _numeric(c) and c.name not in roles
    ]
    return ages[0] if ages else None


def _read_flag_subgroup(
    text: str, tokens: list, index: ColumnIndex, manifest: DatasetManifest, roles: set[str], out: DesignReading
) -> None:
    """A two-valued column named as who is looked at ("for members with a loyalty card", "for rural shops only"):
    the rows where it holds."""
    for mention in index.mentions(tokens, text):
        column = manifest.column(mention.column)
        if column is None or not column.binary or column.name in roles or column.name in out.instruments:
            continue
        if any(s.column == column.name for s in out.subgroup):
            continue
        start, end = tokens[mention.first].start, tokens[mention.last].end
        lead = text[max(0, start - 30) : start]
        if _ADJUSTING_LEAD.search(lead):
            continue
        led = re.search(
            r"\b(?:for|among|amongst|within)\s+(?:the\s+)?(?:\w+\s+)?(?:(?:with|who\s+(?:have|has|are|were))\s+"
            r"(?:a\s+|an\s+)?)?$",
            lead,
            re.IGNORECASE,
        )
        if not (led or _ONLY_AFTER.match(text[end : end + 40])):
            continue
        positive = next((level for level, code in (column.coding or {}).items() if code == 1.0), None)
        value: str | float = positive if positive is not None else 1.0
        out.subgroup.append(SubgroupFilter(column.name, "==", value, f"{column.name} = {value}"))


_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TENS = {
    "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100,
}  # fmt: skip
_NUMBER_WORDS = re.compile(rf"\b(?P<tens>{'|'.join(_TENS)})(?:[\s-](?P<unit>{'|'.join(_UNITS)}))?\b", re.IGNORECASE)


def _digits(text: str) -> str:
    """Round numbers said in words as digits ("seventy" → 70, "eighty-five" → 85), where cutoffs are said."""
    return _NUMBER_WORDS.sub(
        lambda m: str(_TENS[m.group("tens").lower()] + _UNITS.get((m.group("unit") or "").lower(), 0)), text
    )


def read_design(
    question: str,
    manifest: DatasetManifest,
    treatment: str | None,
    outcome: str | None,
    index: ColumnIndex | None = None,
) -> DesignReading:
    """What the words say about the design, the subgroup and effects by group (see the module's docstring)."""
    index = index or ColumnIndex(manifest)
    roles = {name for name in (treatment, outcome) if name}
    out = DesignReading()
    text = _digits(" ".join(question.split()))
    _read_instruments(text, index, roles, out)
    if out.design is None:
        _read_cutoff(text, index, manifest, roles | set(out.instruments), out)
    if out.design is None:
        _read_start_and_groups(text, index, manifest, roles, out)
    if _RANDOM.search(text):
        out.randomised = True
        out.evidence.append(_RANDOM.search(text).group(0))  # type: ignore[union-attr]
        if out.design is None:
            out.design = "randomised"
    _read_subgroup(text, index, manifest, roles | set(out.instruments) | ({out.running} if out.running else set()), out)
    return out
