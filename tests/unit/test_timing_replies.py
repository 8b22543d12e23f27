"""Replies to "was this column measured before or after the treatment?": one decision per column, with
scope and negation; a reply that does not settle it is asked again, never guessed or read backwards."""

from __future__ import annotations

import pytest

from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.reader import read_question
from causal_agent.reading.replies import apply_replies
from causal_agent.reading.timing import read_timing_reply
from causal_common.models.datasets import Column, DatasetManifest

MANIFEST = DatasetManifest(
    id="staff",
    title="staff",
    description="",
    rows=100,
    data_key="staff/data.csv",
    columns=[
        Column(name="staff_id", dtype="integer", role="identifier"),
        Column(name="training", dtype="integer", role="covariate"),
        Column(name="weekly_output", dtype="float", role="covariate"),
        Column(name="tenure_years", dtype="float", role="covariate"),
        Column(name="complaints", dtype="integer", role="covariate"),
        Column(name="age", dtype="integer", role="covariate"),
    ],
)
INDEX = ColumnIndex(MANIFEST)

CASES = [
    # (columns asked about, reply, expected decisions; missing columns are unsettled)
    (["tenure_years"], "tenure was fixed before training was chosen; keep it as a control", {"tenure_years": "before"}),
    (["tenure_years"], "keep it", {"tenure_years": "before"}),
    (["tenure_years"], "Keep it.", {"tenure_years": "before"}),
    (["tenure_years"], "no, it wasn't measured after", {"tenure_years": "before"}),
    (["tenure_years"], "it was not recorded afterwards", {"tenure_years": "before"}),
    (["tenure_years"], "I wouldn't leave it out", {"tenure_years": "before"}),
    (["tenure_years"], "don't drop it", {"tenure_years": "before"}),
    (["tenure_years"], "drop it", {"tenure_years": "after"}),
    (["tenure_years"], "yes", {"tenure_years": "after"}),
    (["tenure_years"], "no", {"tenure_years": "before"}),
    (["tenure_years"], "after", {"tenure_years": "after"}),
    (["tenure_years"], "that was recorded before they enrolled", {"tenure_years": "before"}),
    (["tenure_years"], "it's a baseline measure", {"tenure_years": "before"}),
    (["tenure_years"], "I don't know", {"tenure_years": "unsure"}),
    (["tenure_years"], "not sure, show me both", {"tenure_years": "unsure"}),
    (["tenure_years"], "what do you mean?", {}),
    (["tenure_years"], "can you plot output by tenure first?", {}),
    (["tenure_years"], "hmm", {}),
    (["complaints"], "that's logged after the campaign", {"complaints": "after"}),
    (["complaints"], "complaints are a result of the training", {"complaints": "after"}),
    (["complaints"], "before? no. after.", {"complaints": "after"}),
    (["complaints", "age"], "leave complaints out but keep age", {"complaints": "after", "age": "before"}),
    (["complaints", "age"], "both were before", {"complaints": "before", "age": "before"}),
    (["complaints", "age"], "yes, leave them out", {"complaints": "after", "age": "after"}),
    (["complaints", "age"], "age is baseline, complaints come later", {"age": "before", "complaints": "after"}),
    (["complaints", "age"], "keep age", {"age": "before"}),
    (["complaints", "age"], "age, no idea", {"age": "unsure"}),
    (
        ["complaints"],
        "the column was filled in after the launch, but the complaints predate it, so treat it as before",
        {"complaints": "before"},
    ),
    (["complaints"], "after, and before", {}),
    # Slips in the cue words, idioms that only look like cues, and a question back.
    (["complaints"], "aftr", {"complaints": "after"}),
    (["tenure_years"], "befor, clearly", {"tenure_years": "before"}),
    (["tenure_years"], "before. after all, it comes off the hiring paperwork", {"tenure_years": "before"}),
    (["complaints"], "before I say, why do you need this?", {}),
    # Negation by a contraction or a negative quantifier, and "keep … out".
    (["tenure_years"], "it couldn't be after, it never changes", {"tenure_years": "before"}),
    (["complaints", "age"], "neither was recorded after the training", {"complaints": "before", "age": "before"}),
    (["complaints"], "keep that out", {"complaints": "after"}),
    # Scope: except, only, places in the prompt, the others.
    (
        ["tenure_years", "age", "complaints"],
        "all before apart from complaints",
        {"tenure_years": "before", "age": "before", "complaints": "after"},
    ),
    (
        ["tenure_years", "age", "complaints"],
        "only age was before",
        {"tenure_years": "after", "age": "before", "complaints": "after"},
    ),
    (
        ["tenure_years", "complaints"],
        "the first was before, the second after",
        {"tenure_years": "before", "complaints": "after"},
    ),
    (
        ["tenure_years", "age", "complaints"],
        "first two before, last one after",
        {"tenure_years": "before", "age": "before", "complaints": "after"},
    ),
    (
        ["tenure_years", "age", "complaints"],
        "age is before. the other two I'm not sure",
        {"age": "before", "tenure_years": "unsure", "complaints": "unsure"},
    ),
    (
        ["tenure_years", "complaints"],
        "tenure can't be after the training. complaints yes",
        {"tenure_years": "before", "complaints": "after"},
    ),
    # A clause about a column that was not asked about, and "it" when several were.
    (["complaints"], "age was definitely before", {}),
    (["complaints", "age"], "keep it", {}),
    # Where a value comes from, said by the event that starts a record; during the treatment is after.
    (["tenure_years"], "it is taken from their application form", {"tenure_years": "before"}),
    (["tenure_years"], "recorded at the first interview, long before any training", {"tenure_years": "before"}),
    (["complaints"], "these pile up during the training period", {"complaints": "after"}),
    (["complaints"], "that can only happen once we've trained them", {"complaints": "after"}),
    # A hedge on a cue is doubt; a hedge alone says nothing.
    (["complaints"], "it might have changed after the training, hard to be sure", {"complaints": "unsure"}),
    (["complaints"], "hmm, maybe?", {}),
]


@pytest.mark.parametrize(("columns", "reply", "expected"), CASES, ids=[case[1] for case in CASES])
def test_each_reply_settles_what_it_says_and_nothing_else(columns, reply, expected):
    read = read_timing_reply(reply, columns, INDEX)
    assert read.decisions == expected
    assert read.unsettled == [column for column in columns if column not in expected]


def test_an_option_id_or_its_number_decides_every_asked_column():
    options = ["before", "after", "unsure"]
    assert read_timing_reply("", ["age", "complaints"], INDEX, option_id="after").decisions == {
        "age": "after",
        "complaints": "after",
    }
    assert read_timing_reply("1", ["age"], INDEX, options=options).decisions == {"age": "before"}
    assert read_timing_reply("option 3", ["age"], INDEX, options=options).decisions == {"age": "unsure"}
    assert read_timing_reply("the first one", ["age"], INDEX, options=options).decisions == {"age": "before"}


def test_a_kept_column_stays_a_control_and_the_answer_is_told_why():
    reading = read_question("is weekly output affected by the training?", MANIFEST)
    expects = {"kind": "post_treatment", "columns": ["tenure_years"]}
    after = apply_replies(
        reading, [(expects, "tenure was fixed before training was chosen; keep it as a control")], MANIFEST
    )
    assert "tenure_years" not in after.adjustment.exclude
    assert "tenure_years" in after.adjustment.also
    assert after.timing == {"tenure_years": "before"}
    assert any("before the treatment" in note for note in after.reply_notes)


def test_an_unsettled_reply_changes_nothing_and_is_asked_again():
    reading = read_question("is weekly output affected by the training?", MANIFEST)
    expects = {"kind": "post_treatment", "columns": ["complaints"]}
    after = apply_replies(reading, [(expects, "what do you mean?")], MANIFEST)
    assert after.adjustment.exclude == reading.adjustment.exclude
    assert after.timing == {} and after.timing_unsettled == ["complaints"]
