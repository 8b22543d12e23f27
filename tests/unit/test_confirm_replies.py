"""Replies to "use this design?" read as yes, no, or not settled (asked again, never guessed)."""

from __future__ import annotations

import pytest

from causal_agent.reading.confirm import read_confirmation

OPTIONS = [("yes", "Yes: use difference in differences"), ("no", "No: plain adjustment instead")]


@pytest.mark.parametrize(
    "reply",
    [
        "yes",
        "Yeah go ahead",
        "okay!",
        "sounds good to me",
        "definitely, that is the comparison I had in mind",
        "please do",
        "stick with the panel comparison",
        "use the instrument",
        "the lottery was random, so yes",
        "it was assigned at random",
        "I can't see why not",
        "no objection",
        "not just adjusting please, do the before/after comparison as you suggested",
        "1",
        "Yes: use difference in differences",
        "I wouldn't object to that",
        "the plots were allocated by coin toss so yes",
    ],
)
def test_confirming_replies(reply):
    assert read_confirmation(reply, OPTIONS) is True


@pytest.mark.parametrize(
    "reply",
    [
        "no",
        "Nope.",
        "nah, control for size and region",
        "I'd rather not",
        "definitely not",
        "please don't, a plain regression will do",
        "no thanks, ordinary adjustment",
        "the assignment wasn't random at all",
        "the instrument is invalid here",
        "adjust for the baseline score instead",
        "2",
        "No: plain adjustment instead",
        "not quite, the regional managers picked who got it",
        "some sites volunteered first, so no",
    ],
)
def test_declining_replies(reply):
    assert read_confirmation(reply, OPTIONS) is False


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "what does that mean?",
        "how is that different from a regression?",
        "maybe",
        "I don't know",
        "hmm",
        "could you show both",
        "yes but actually just adjust for age",
        "the weather is nice",
    ],
)
def test_replies_that_settle_nothing(reply):
    assert read_confirmation(reply, OPTIONS) is None
