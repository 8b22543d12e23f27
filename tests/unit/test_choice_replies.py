"""Replies to "which of these columns?": the offered column the reply picks by place, name part, kind or by
ruling the others out; a reply that fits several alike, or asks back, is asked again."""

from __future__ import annotations

import pytest

from causal_agent.reading.choice import ASK_AGAIN, choose_option
from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.reader import read_question
from causal_agent.reading.replies import apply_replies
from causal_common.models.datasets import Column, DatasetManifest

MANIFEST = DatasetManifest(
    id="gym",
    title="gym",
    description="",
    rows=100,
    data_key="gym/data.csv",
    columns=[
        Column(name="member_ref", dtype="string", role="identifier"),
        Column(name="branch", dtype="string", role="covariate", levels=["north", "south"]),
        Column(name="joined_pt", dtype="integer", role="covariate", levels=["0", "1"]),
        Column(name="pt_sessions", dtype="integer", role="covariate"),
        Column(name="weight_start_kg", dtype="float", role="covariate", description="weight at baseline"),
        Column(name="weight_end_kg", dtype="float", role="covariate"),
        Column(name="renewed", dtype="integer", role="covariate", levels=["0", "1"]),
        Column(name="visits_total", dtype="integer", role="covariate"),
        Column(name="cancel_amt", dtype="float", role="covariate"),
    ],
)
INDEX = ColumnIndex(MANIFEST)
DOSE = ["joined_pt", "pt_sessions"]
WEIGHTS = ["weight_end_kg", "weight_start_kg"]
OUTCOMES = ["renewed", "visits_total", "cancel_amt"]


@pytest.mark.parametrize(
    ("options", "reply", "expected"),
    [
        (DOSE, "the second one", "pt_sessions"),
        (DOSE, "option 1", "joined_pt"),
        (DOSE, "not the sessions one", "joined_pt"),
        (DOSE, "the yes/no one", "joined_pt"),
        (DOSE, "how many sessions they had", "pt_sessions"),
        (DOSE, "sessions, not the flag", "pt_sessions"),
        (DOSE, "just whether they signed up or not", "joined_pt"),
        (WEIGHTS, "the later one", "weight_end_kg"),
        (WEIGHTS, "start weight is before the programme so obviously not that one", "weight_end_kg"),
        (WEIGHTS, "weight", ASK_AGAIN),
        (OUTCOMES, "visits, not renewal", "visits_total"),
        (OUTCOMES, "not either of the count ones", "renewed"),
        (OUTCOMES, "the amount they cancel", "cancel_amt"),
        (OUTCOMES, "renewals — visits are too noisy", "renewed"),
        (DOSE, "both?", ASK_AGAIN),
        (DOSE, "whichever you think", ASK_AGAIN),
        (DOSE, "how many sessions did people book on average?", ASK_AGAIN),
        (["member_ref", "branch"], "each member, not the branch", "member_ref"),
        (DOSE, "the weather is nice", None),
    ],
)
def test_the_reply_picks_an_offered_column_or_asks_again(options, reply, expected):
    assert choose_option(reply, options, INDEX) == expected


def test_a_reply_that_leaves_the_choice_open_changes_nothing():
    reading = read_question("does personal training help members renew?", MANIFEST)
    expects = {"kind": "roles", "missing": ["treatment"], "options": {"treatment": DOSE}}
    after = apply_replies(reading, [(expects, "how many sessions did people book on average?")], MANIFEST)
    assert after.treatment == reading.treatment and after.intent == reading.intent
    chosen = apply_replies(reading, [(expects, "not the sessions one")], MANIFEST)
    assert chosen.treatment == "joined_pt"
