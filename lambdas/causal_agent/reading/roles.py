"""Which column is the cause and which the effect: the sentence's shape, not the word order.

Each pattern names its treatment slot ``x`` and outcome slot ``y``. A slot
that ends where the verb starts ("does <x> affect") takes its last column; a
slot after a keyword ("effect of <x>") its first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from causal_agent.reading.skeleton import END, Skeleton, slot

_EFFECT_NOUNS = r"(?:effects?|impacts?|influences?|consequences?|contributions?|roles?|benefits?|returns?|payoffs?)"
_PASSIVE = (
    r"(?:affected|influenced|caused|driven|determined|changed|impacted|shaped|explained|improved|reduced|increased|"
    r"raised|lowered|boosted|harmed|hurt|helped|altered|moved|modified|controlled|worsened|damaged|lifted|pushed|"
    r"cut|decreased|prevented|promoted|predicted|governed|dictated|set|triggered|made|led)"
)
_ACTIVE = (
    r"(?:affect|affects|affected|affecting|influence|influences|influenced|impact|impacts|impacted|cause|causes|"
    r"caused|change|changes|changed|raise|raises|raised|increase|increases|increased|decrease|decreases|decreased|"
    r"reduce|reduces|reduced|lower|lowers|lowered|boost|boosts|boosted|improve|improves|improved|help|helps|helped|"
    r"hurt|hurts|harm|harms|harmed|drive|drives|drove|determine|determines|determined|shape|shapes|shaped|alter|"
    r"alters|altered|cut|cuts|worsen|worsens|worsened|prevent|prevents|prevented|promote|promotes|promoted|lift|"
    r"lifts|lifted|push|pushes|pushed|bring|brings|brought|damage|damages|damaged|benefit|benefits|benefited|"
    r"benefitted|predict|predicts|predicted|explain|explains|explained|slow|slows|slowed|delay|delays|delayed|"
    r"extend|extends|extended|shorten|shortens|shortened|protect|protects|encourage|encourages|discourage|"
    r"discourages|motivate|motivates|speed|speeds|trigger|triggers|triggered|spur|spurs|spurred|depress|depresses|"
    r"inflate|inflates|stimulate|stimulates|weaken|weakens|strengthen|strengthens|enhance|enhances|hinder|hinders)"
    r"(?:\s+(?:up|down))?"
)
_MORE_LESS = r"(?:higher|lower|more|less|better|worse|bigger|smaller|greater|larger|fewer|longer|shorter|increased|reduced|decreased)"
_AUX = r"(?:do|does|did|is|are|was|were|will|would|can|could|might|may|has|have|had|should)"


@dataclass(frozen=True)
class _Pattern:
    name: str
    regex: re.Pattern[str]
    left: frozenset[str] = frozenset()  # slots that end at the verb: their last column counts
    counterfactual: bool = False
    # A loose frame ("what would X do to Y"): a slot that names no column is left to the other readings.
    loose: bool = False


def _p(name: str, pattern: str, left: str = "", counterfactual: bool = False, loose: bool = False) -> _Pattern:
    return _Pattern(name, re.compile(pattern), frozenset(left), counterfactual, loose)


# "How many minutes did X save": a count that is itself the effect, not a count of rows.
EFFECT_COUNTING_PATTERNS = frozenset({"how much Y did X save"})

PATTERNS: tuple[_Pattern, ...] = (
    _p("effect on Y of X", rf"\b{_EFFECT_NOUNS}\s+(?:on|upon|to)\s+{slot('y')}\s+(?:of|from|by)\s+{slot('x')}{END}"),
    # "on" first: in "impact of a post in the sector on incidents" the "in" belongs to the treatment.
    _p("effect of X on Y", rf"\b{_EFFECT_NOUNS}\s+(?:of|from)\s+{slot('x')}\s+(?:on|upon)\s+{slot('y')}{END}"),
    _p("effect of X for Y", rf"\b{_EFFECT_NOUNS}\s+(?:of|from)\s+{slot('x')}\s+(?:for|to|in)\s+{slot('y')}{END}"),
    _p(
        "how much Y did X save",
        rf"\bhow\s+(?:many|much)\s+(?:more\s+|less\s+|fewer\s+|extra\s+)?{slot('y')}\s+(?:did|does|do|will|would|"
        rf"could|can|might)\s+{slot('x')}\s+(?:save|add|cost|gain|lose|cut|bring|generate|raise|reduce|shave|"
        rf"take|buy|win|create|prevent|avoid)\b",
        left="x",
    ),
    _p(
        "what does X do to Y",
        rf"\bwhat\s+(?:does|did|do|would|will|could|might|can)\s+{slot('x')}\s+(?:\w+\s+)?(?:do|does|did|done)\s+"
        rf"(?:to|for)\s+{slot('y')}{END}",
        loose=True,
    ),
    _p(
        "what happens to Y if X",
        rf"\bwhat\s+(?:would\s+|will\s+|could\s+|might\s+)?happens?\s+(?:to\s+)?{slot('y')}\s+"
        rf"(?:if|when|once|after|had)\s+{slot('x')}{END}",
        counterfactual=True,
    ),
    _p(
        "if X, Y",
        r"^(?:so\s+)?(?:what\s+)?(?:if|suppose|supposing|imagine|assume|assuming|say|had)\s+(?P<x>[^,;?]+?)\s*,\s*"
        r"(?:then\s+)?(?P<y>[^;?]+?)(?=\s*[?.!;]|$)",
        counterfactual=True,
    ),
    _p(
        "how would Y change if X",
        rf"\b(?:how\s+much|how|what|by\s+how\s+much|would|will)\s+(?:\S+\s+){{0,2}}?"
        rf"(?:would|will|could|might)?\s*{slot('y')}\s+(?:\S+\s+){{0,3}}?"
        rf"(?:if|when|once|had|were|without|with)\s+{slot('x')}{END}",
        counterfactual=True,
    ),
    _p(
        "Y if X",
        rf"{slot('y')}\s+(?:\S+\s+){{0,3}}?(?:be|change|look|go|rise|fall|drop|grow|shrink|differ)\s+"
        rf"(?:\S+\s+){{0,2}}?(?:if|when|had|without)\s+{slot('x')}{END}",
        left="y",
        counterfactual=True,
    ),
    _p(
        "X's effect on Y",
        rf"{slot('x')}\s+(?:(?:has|have|had)\s+)?(?:an?\s+|any\s+|the\s+|some\s+)?(?:\S+\s+)?"
        rf"(?:effects?|impacts?|influences?|bearing)\s+(?:on|upon)\s+{slot('y')}{END}",
        left="x",
    ),
    _p(
        "Y affected by X",
        rf"{slot('y')}\s+(?:(?:is|are|was|were|be|been|being|get|gets|got|getting)\s+)?"
        rf"(?:\w+ly\s+)?(?:really\s+)?{_PASSIVE}\s+(?:in\s+part\s+|partly\s+|mainly\s+)?by\s+{slot('x')}{END}",
        left="y",
    ),
    _p(
        "Y depends on X",
        rf"{slot('y')}\s+(?:depends?|depended|depending|relies|rely|relied|hinges?|hinged)\s+"
        rf"(?:up)?on\s+{slot('x')}{END}",
        left="y",
    ),
    _p(
        "Y responds to X",
        rf"{slot('y')}\s+(?:responds?|responded|reacts?|reacted|is\s+sensitive|are\s+sensitive)\s+"
        rf"to\s+{slot('x')}{END}",
        left="y",
    ),
    _p(
        "Y changes with X",
        rf"{slot('y')}\s+(?:changes?|varies|vary|moves?|shifts?|rises?|falls?|goes\s+up|goes\s+down)\s+"
        rf"(?:with|when|as|after)\s+{slot('x')}{END}",
        left="y",
    ),
    _p("X -> Y", rf"{slot('x')}\s*(?:->|=>|→)\s*{slot('y')}{END}", left="x"),
    _p("Y ~ X", rf"{slot('y')}\s*~\s*{slot('x')}{END}", left="y"),
    _p(
        "X leads to Y",
        rf"{slot('x')}\s+(?:leads?|led|results?|resulted|translates?|translated|contributes?|contributed)\s+"
        rf"(?:to|in|into)\s+(?:an?\s+)?(?:{_MORE_LESS}\s+)?{slot('y')}{END}",
        left="x",
    ),
    _p(
        "X matters for Y",
        rf"{slot('x')}\s+(?:matters?|mattered|counts?|pays?\s+off|paid\s+off|works?|worked)\s+"
        rf"(?:for|to|in|on)\s+{slot('y')}{END}",
        left="x",
    ),
    _p(
        "is X good for Y",
        rf"\b(?:is|are|was|were)\s+{slot('x')}\s+(?:any\s+)?(?:good|bad|beneficial|harmful|helpful|useful|"
        rf"effective|worth\s+it|detrimental)\s+(?:for|to|in|on)\s+{slot('y')}{END}",
        left="x",
    ),
    _p(
        "X makes a difference to Y",
        rf"{slot('x')}\s+(?:make|makes|made|making)\s+(?:a\s+|any\s+|the\s+)?(?:\S+\s+)?"
        rf"difference\s+(?:to|for|in|on)\s+{slot('y')}{END}",
        left="x",
    ),
    _p(
        "do X have higher Y",
        rf"\b{_AUX}\s+{slot('x')}\s+(?:have|has|had|get|gets|got|earn|earns|show|shows|report|"
        rf"reports|see|sees|score|scores|achieve|achieves|end\s+up\s+with)\s+(?:an?\s+)?"
        rf"{_MORE_LESS}\s+{slot('y')}{END}",
        left="x",
    ),
    _p(
        "X makes Y more likely",
        rf"{slot('x')}\s+(?:make|makes|made|making)\s+(?:\S+\s+)?(?:more|less)\s+likely\s+to\s+"
        rf"{slot('y')}{END}",
        left="x",
    ),
    _p(
        "X affects Y",
        rf"{slot('x')}\s+{_ACTIVE}\s+(?:the\s+|a\s+|an\s+|people\s+|their\s+|one\s+|someone\s+|"
        rf"somebody\s+|its\s+|his\s+|her\s+)?{slot('y')}{END}",
        left="x",
    ),
)

# Questions that name only one side.
_TREATMENT_ONLY = (
    _p(
        "does X work",
        rf"\b{_AUX}\s+{slot('x')}\s+(?:really\s+|actually\s+)?(?:work|works|worked|help|helps|helped|pay\s+off|"
        rf"pays\s+off|matter|matters|effective|worth\s+it|successful|beneficial|have\s+an?\s+effect|"
        rf"make\s+a\s+difference)\b",
        left="x",
    ),
    _p("effect of X", rf"\b{_EFFECT_NOUNS}\s+(?:of|from)\s+{slot('x')}{END}"),
)
_OUTCOME_ONLY = (
    _p(
        "what affects Y",
        rf"\b(?:what|which\s+\S+|who)\s+(?:\S+\s+)?(?:affects?|influences?|drives?|determines?|causes?|"
        rf"explains?|predicts?|impacts?|changes?|raises?|lowers?|increases?|reduces?|shapes?)\s+{slot('y')}{END}",
    ),
    _p("effect on Y", rf"\b{_EFFECT_NOUNS}\s+(?:on|upon)\s+{slot('y')}{END}"),
)


@dataclass
class Direction:
    treatment: str | None = None
    outcome: str | None = None
    pattern: str = ""
    counterfactual: bool = False
    # Words in a role's place that name no column ("season" in "does the season matter for earnings").
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    # The clause of the treatment (for reading a counterfactual contrast).
    treatment_clause: str = ""
    # Other columns named in the treatment's place ("effect of a and b on y").
    also_named: list[str] = field(default_factory=list)


def _best(skeleton: Skeleton, fragment: str, last: bool) -> str:
    """The best-matching column of a slot; ties go to the one nearest the slot's keyword or verb."""
    indices = skeleton.mention_indices(fragment)
    by_position = indices[-1] if last else indices[0]
    strongest = max(indices, key=lambda index: skeleton.mentions[index].score)
    if skeleton.mentions[strongest].score - skeleton.mentions[by_position].score >= 0.25:
        return skeleton.mentions[strongest].column
    return skeleton.mentions[by_position].column


def _head_unmatched(skeleton: Skeleton, fragment: str) -> bool:
    """ "a borrower's credit score": the phrase's last noun names nothing, and its column match is only partial."""
    items = [item for item in fragment.split() if item[:1].isalpha() or item.startswith("C")]
    content = [item for item in items if (item.startswith("C") and item[1:].isdigit()) or skeleton.concept_words(item)]
    if not content or (content[-1].startswith("C") and content[-1][1:].isdigit()):
        return False
    indices = skeleton.mention_indices(fragment)
    return bool(indices) and all(skeleton.mentions[i].score < 0.55 for i in indices)


def _resolve(skeleton: Skeleton, match: re.Match[str], pattern: _Pattern) -> Direction | None:
    result = Direction(pattern=pattern.name, counterfactual=pattern.counterfactual)
    for role, group in (("treatment", "x"), ("outcome", "y")):
        fragment = match.groupdict().get(group)
        if fragment is None:
            continue
        columns = skeleton.columns_in(fragment)
        head_unmatched = _head_unmatched(skeleton, fragment)
        if columns and not head_unmatched:
            chosen = _best(skeleton, fragment, last=group in pattern.left)
            setattr(result, role, chosen)
            if role == "treatment":
                result.also_named = [c for c in columns if c != chosen]
        else:
            words = skeleton.concept_words(fragment)
            if words:
                result.unmatched[role] = words
        if role == "treatment":
            result.treatment_clause = fragment
    if result.treatment and result.treatment == result.outcome:
        return None
    if not (result.treatment or result.outcome or result.unmatched):
        return None
    return result


def read_direction(skeleton: Skeleton) -> Direction | None:
    """Treatment and outcome as the sentence's shape says, or None when no pattern fits."""
    text = skeleton.text
    for group in (PATTERNS, _TREATMENT_ONLY, _OUTCOME_ONLY):
        for pattern in group:
            for match in pattern.regex.finditer(text):
                found = _resolve(skeleton, match, pattern)
                if found is None or (pattern.loose and not found.outcome):
                    continue
                if pattern.loose and not found.treatment:
                    # The outcome's place is sure; the treatment is left to the columns the question names.
                    found.unmatched.pop("treatment", None)
                    return found
                # Both slots must say something for a two-sided pattern; else try the next.
                if group is PATTERNS and not (
                    (found.treatment or "treatment" in found.unmatched)
                    and (found.outcome or "outcome" in found.unmatched)
                ):
                    continue
                return found
    return None
