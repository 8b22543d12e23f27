"""Replies to "use this design?": yes, no, or not settled (then the question is asked again).

The agent proposes a design the data's shape suggests (a panel whose treatment switches on, a cutoff, an
instrument) and offers two options: ``yes`` (use it) and ``no`` (plain adjustment instead). A reply is read as:

- an option's id, its number or its label;
- a leading answer word ("yes", "sure", "ok", "nope", "absolutely not", …);
- what the rest says about either route: the alternative chosen ("just adjust", "plain regression", "control
  for …", "… instead") is a no, unless a negation governs it ("don't just adjust") which makes it a yes; an
  affirming statement about the design ("go with the cutoff", "like you said", "it was randomised", "a good
  instrument") is a yes, and one denying its assumption ("the draw was not random", "the lottery failed") a no;
- idioms whose words mislead a keyword reading ("why not" is a yes, "I'd rather not" a no).

A question back ("what is a difference in differences?"), doubt ("not sure", "maybe"), a request for both, or
signals that disagree settle nothing: the agent asks again with the options, never guesses.
"""

from __future__ import annotations

import re

_NEGATION = r"(?:don'?t|do not|doesn'?t|didn'?t|not|never|no need to|wouldn'?t|shouldn'?t|rather not)"

# Idioms first: they are read whole and removed before the word-level cues.
_IDIOMS_YES = (
    r"(?:i )?(?:don'?t|do not|can'?t|cannot) see why not",
    r"why not",
    r"no reason not to",
    r"can'?t hurt",
    r"no objections?",
    r"no problem",
    r"not a problem",
    r"(?:i )?(?:wouldn'?t|would not|won'?t|couldn'?t) (?:say no|object|argue|disagree)(?: (?:to|with) (?:that|it|this))?",
)
_IDIOMS_NO = (
    r"(?:i'?d|i would) rather (?:you )?(?:didn'?t|not|did not)",
    r"absolutely not",
    r"definitely not",
    r"of course not",
    r"not really",
    r"not exactly",
    r"not quite",
    r"no thanks?",
    r"no thank you",
    r"please don'?t",
    r"no need for (?:the |that |this |a |any )?(?:fancy|complicated|complex|design|special)\w*(?: \w+)?",
)
_LEADING_YES = (
    r"y",
    r"yes+",
    r"yeah",
    r"yep",
    r"yup",
    r"ya",
    r"sure",
    r"ok(?:ay)?",
    r"k",
    r"fine",
    r"correct",
    r"right",
    r"exactly",
    r"absolutely",
    r"definitely",
    r"of course",
    r"agreed",
    r"indeed",
    r"go ahead",
    r"go for it",
    r"do it",
    r"please do",
    r"sounds (?:good|right|fine|great)",
    r"that'?s (?:right|it|correct|fine)",
    r"perfect",
    r"great",
)
_LEADING_NO = (r"no+", r"n", r"nope", r"nah", r"negative", r"don'?t", r"do not", r"skip it")

# The other route (plain adjustment) named as what to do.
_ALTERNATIVE = (
    r"just (?:adjust|control|compare|regress|use (?:a )?(?:plain|regular|simple|normal))\w*",
    r"(?:plain|simple|ordinary|regular|normal|standard|basic) (?:regression|adjustment|comparison|model|ols|analysis)",
    r"adjust(?:ing)? for\b",
    r"control(?:ling)? for\b",
    r"\binstead\b",
    r"(?:ignore|drop|forget) the (?:panel|cutoff|threshold|instrument|design|randomi[sz]ation)",
)
# Affirming the proposed design, in words.
_AFFIRM_DESIGN = (
    r"go with",
    r"stick with",
    r"use (?:it|that|this|the (?:design|cutoff|threshold|instrument|panel|comparison))",
    r"(?:like|as) you (?:said|suggested|proposed|described)",
    r"(?:good|valid|fine|great|reasonable|solid) (?:instrument|design|idea|plan|approach|cutoff|choice)",
    r"(?:was|were|is|got|been) (?:randomi[sz]ed|randomly assigned|assigned at random|random)",
    r"randomly assigned",
    r"that'?s (?:exactly )?(?:it|right|the one|what i want)",
    r"makes sense",
)
# Denying that the design's assumption holds.
_DENY_DESIGN = (
    r"(?:isn'?t|is not|wasn'?t|was not|aren'?t|weren'?t|not) (?:really )?(?:random|randomi[sz]ed|valid|exogenous|as good as random)",
    r"broke down",
    r"(?:didn'?t|did not|doesn'?t|does not) (?:hold|work)",
    r"(?:is|are|was) (?:invalid|contaminated|broken)",
)
_DOUBT = (
    r"not sure",
    r"unsure",
    r"(?:don'?t|do not) know",
    r"no idea",
    r"\bmaybe\b",
    r"\bperhaps\b",
    r"\bdepends\b",
    r"^h+m+\b",
    r"\bboth\b",
    r"not certain",
    r"who knows",
)
_QUESTION_START = re.compile(
    r"^(?:what|why|how|which|when|where|who|can|could|would|should|is|are|does|do|will|explain|tell me)\b"
)


def _any(patterns: tuple[str, ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        found = re.search(rf"(?<![\w'])(?:{pattern})(?![\w'])", text)
        if found:
            return found
    return None


def _strip(patterns: tuple[str, ...], text: str) -> tuple[str, bool]:
    hit = False
    for pattern in patterns:
        text, count = re.subn(rf"(?<![\w'])(?:{pattern})(?![\w'])", " ", text)
        hit = hit or count > 0
    return text, hit


def _normal(reply: str) -> str:
    text = reply.lower().replace("’", "'").replace("‘", "'").replace("—", ",").replace("–", ",")
    return " ".join(text.split())


def read_confirmation(reply: str, options: list[tuple[str, str]] | None = None) -> bool | None:
    """True (use the design), False (plain adjustment instead) or None (settles nothing: ask again).

    ``options`` are the prompt's (id, label) pairs; the ``yes`` option's id, its number or its label confirm.
    """
    text = _normal(reply)
    if not text:
        return None
    bare = text.strip(" .!")
    for number, (option_id, label) in enumerate(options or [], start=1):
        if bare in (option_id.lower(), str(number), _normal(label).strip(" .!")):
            return option_id.lower() in ("yes", "confirm", "use")
    # A closing "so yes" / "hence no" is the reply's conclusion, whatever the reasons before it said.
    concluded = re.search(r"(?<![\w'])(?:so|therefore|hence|thus|then) (?P<word>yes|yeah|yep|no|nope)[\s.!]*$", text)
    if concluded:
        return concluded.group("word") in ("yes", "yeah", "yep")
    signals: list[bool] = []
    text, idiom_yes = _strip(_IDIOMS_YES, text)
    text, idiom_no = _strip(_IDIOMS_NO, text)
    signals += [True] * idiom_yes + [False] * idiom_no
    first_clause = re.split(r"[,.;:!?]| but ", text.strip(), maxsplit=1)[0].strip()
    leading: bool | None = None
    if re.fullmatch(rf"(?:{'|'.join(_LEADING_NO)})(?: .*)?", first_clause) and not re.match(
        rf"{_NEGATION} just\b", first_clause
    ):
        leading = False
    elif re.fullmatch(rf"(?:{'|'.join(_LEADING_YES)})(?: .*)?", first_clause):
        leading = True
    if leading is None and not signals:
        question = text.rstrip().endswith("?") or _QUESTION_START.match(text.strip()) is not None
        if question or _any(_DOUBT, text):
            return None
    elif _any(_DOUBT, text) and not idiom_yes:
        return None
    if leading is not None:
        signals.append(leading)
        # The leading word is read; the rest of the clause is read for what it says about either route.
        text = text.strip()[len(first_clause.split(" ")[0]) :]
    for match in re.finditer(
        rf"(?<![\w'])(?:{'|'.join(_ALTERNATIVE)})(?![\w'])",
        text,
    ):
        before = text[max(0, match.start() - 24) : match.start()]
        negated = re.search(rf"(?<![\w']){_NEGATION}(?: \w+)?\s*$", before) is not None
        signals.append(negated)
    if _any(_DENY_DESIGN, text):
        signals.append(False)
    elif _any(_AFFIRM_DESIGN, text):
        signals.append(True)
    if not signals or len(set(signals)) > 1:
        return None
    return signals[0]
