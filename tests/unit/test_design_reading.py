"""Designs said in words: read when the words say them, never guessed from a number alone."""

from __future__ import annotations

import pytest

from causal_agent.reading.designs import normalise_period, read_design
from causal_common.models.datasets import Column, DatasetManifest

MANIFEST = DatasetManifest(
    id="school",
    title="school",
    description="",
    rows=100,
    data_key="school/data.csv",
    columns=[
        Column(name="student_id", dtype="string", role="identifier"),
        Column(name="entrance_score", dtype="float", role="covariate"),
        Column(name="bursary", dtype="integer", role="covariate", levels=["0", "1"], coding={"1": 1.0, "0": 0.0}),
        Column(name="gpa_year1", dtype="float", role="covariate"),
        Column(name="state", dtype="string", role="covariate", levels=["Oregon", "Idaho", "Utah"]),
        Column(name="year", dtype="integer", role="covariate"),
        Column(name="km_to_campus", dtype="float", role="covariate"),
        Column(name="sex", dtype="string", role="covariate", levels=["woman", "man"]),
        Column(name="age", dtype="integer", role="covariate"),
    ],
)


def _read(question: str):
    return read_design(question, MANIFEST, "bursary", "gpa_year1")


@pytest.mark.parametrize(
    ("question", "cutoff", "side"),
    [
        ("Everyone with an entrance score of at least 70 got the bursary. Did it raise GPA?", 70.0, "above"),
        ("students scoring 70 or more on the entrance test were awarded a bursary; effect on gpa?", 70.0, "above"),
        ("bursary eligibility was an entrance score below 40. what did it do to gpa", 40.0, "below"),
        ("bursary = entrance score 70+. what does it do to gpa? RD please", 70.0, "above"),
        ("the bursary goes to anyone under the line of 40 on the entrance score. effect on gpa?", 40.0, "below"),
        ("rule is: an entrance score of seventy-five or more means a bursary. effect on gpa?", 75.0, "above"),
        ("everyone at or above eighty on the entrance score was put on a bursary. did gpa rise?", 80.0, "above"),
    ],
)
def test_a_cutoff_that_assigned_the_treatment_is_read_with_its_side(question, cutoff, side):
    found = _read(question)
    assert (found.design, found.running, found.cutoff, found.cutoff_side) == ("rdd", "entrance_score", cutoff, side)


@pytest.mark.parametrize(
    "question",
    [
        "does the bursary raise gpa for students with an entrance score over 70?",
        "effect of the bursary on gpa",
        "what is the average gpa of students scoring at least 70?",
    ],
)
def test_a_number_alone_is_not_a_cutoff_design(question):
    assert _read(question).design != "rdd"


def test_a_treated_group_named_by_value_from_a_start_is_a_difference_in_differences():
    found = _read("Oregon introduced the bursary in 2017; the other states did not. Did gpa rise?")
    assert (found.design, found.treatment_start, found.group_column, found.treated_groups) == (
        "did",
        "2017",
        "state",
        ["Oregon"],
    )


def test_an_instrument_and_random_assignment_are_read():
    assert _read("using km to campus as an instrument, what does the bursary do to gpa?").instruments == [
        "km_to_campus"
    ]
    assert _read("bursaries were given out by lottery: effect on gpa?").design == "randomised"


@pytest.mark.parametrize(
    "question",
    [
        "what would the bursary do to gpa? km to campus can serve as the instrument",
        "distance to campus only matters via whether they get the bursary. effect of the bursary on gpa?",
        "How far students live from campus is basically luck and only changes who takes the bursary. Effect on gpa?",
        "Distance to campus affects who gets a bursary, and it shouldn't affect gpa in any other way. Effect?",
        "instrument km_to_campus, treatment bursary, outcome gpa_year1",
    ],
)
def test_an_instrument_said_in_other_words(question):
    reading = _read(question)
    assert (reading.design, reading.instruments) == ("iv", ["km_to_campus"])


@pytest.mark.parametrize(
    "question",
    [
        "does the bursary raise gpa, adjusting for distance to campus?",
        "students far from campus are less likely to get the bursary. did the bursary raise gpa?",
    ],
)
def test_a_column_that_merely_affects_the_treatment_is_not_an_instrument(question):
    assert _read(question).instruments == []


@pytest.mark.parametrize(
    "question",
    [
        "we randomly picked half the students for a bursary. effect on gpa?",
        "bursaries were handed out at random. did gpa go up?",
        "random bursary trial: effect on gpa",
        "bursary effect on gpa (assignment was random)",
    ],
)
def test_random_assignment_said_in_other_words(question):
    assert _read(question).design == "randomised"


def test_a_random_word_that_says_nothing_of_assignment_is_not_an_experiment():
    assert _read("does the bursary raise gpa, or is it random noise?").design is None


def test_subgroups_and_effects_by_group():
    women = _read("for women, does the bursary raise gpa?")
    assert [(s.column, s.op, s.value) for s in women.subgroup] == [("sex", "==", "woman")]
    older = _read("among students over 25, does the bursary raise gpa?")
    assert [(s.column, s.op, s.value) for s in older.subgroup] == [("age", ">", 25.0)]
    assert _read("is the bursary effect on gpa different for men and women?").by_group == "sex"
    scored = _read("did the bursary help students with more than 80 entrance score points?")
    assert [(s.column, s.op) for s in scored.subgroup] == [("entrance_score", ">")]


@pytest.mark.parametrize(
    ("raw", "period"),
    [("the second quarter of 2018", "2018Q2"), ("March 2018", "2018-03"), ("2018 q2", "2018Q2"), ("2017", "2017")],
)
def test_periods_in_words_are_normalised(raw, period):
    assert normalise_period(raw) == period


def test_named_groups_with_a_start_are_the_treatment_when_no_column_holds_it():
    import numpy as np
    import pandas as pd

    from causal_agent import planner
    from causal_agent.conversation import user_message
    from causal_tasks.evaluation.questions import as_upload

    rng = np.random.default_rng(5)
    districts = ["Upper Vale", "Lowmoor", "Brackenfield", "Eastwick"]
    frame = pd.DataFrame(
        [
            {"district": d, "year": y, "burglaries": 50 + rng.normal(), "officers": 20 + rng.normal()}
            for d in districts
            for y in range(2010, 2020)
        ]
    )
    _, manifest = as_upload(frame, "districts")
    for question in (
        "Upper Vale went to neighbourhood policing in 2015. effect on burglaries?",
        "Lowmoor and Eastwick switched to the new rules from 2016. what was the effect on burglaries?",
    ):
        reading, _, _ = planner.understand(planner.PlannerInput([user_message(question)], manifest, interactive=False))
        assert (reading.intent, reading.treatment, reading.outcome) == ("causal", "district", "burglaries")
        decision = planner.plan(planner.PlannerInput([user_message(question)], manifest, interactive=False))
        assert decision.kind == "tool"


@pytest.mark.parametrize(
    ("question", "treatment", "outcome"),
    [
        # The cutoff's column is the running variable, not a role.
        ("the bursary went to everyone under 40 on the entrance score. effect on gpa?", "bursary", "gpa_year1"),
        # A subgroup's or a by-group's column names who, not what is estimated.
        ("for students over 25, what does the bursary do to gpa?", "bursary", "gpa_year1"),
        ("does the bursary effect on gpa vary by state?", "bursary", "gpa_year1"),
    ],
)
def test_a_column_the_words_give_a_design_part_is_not_a_role(question, treatment, outcome):
    from causal_agent.reading.reader import read_question

    reading = read_question(question, MANIFEST)
    assert (reading.treatment, reading.outcome) == (treatment, outcome)


QUARTERLY = DatasetManifest(
    id="clinics",
    title="clinics",
    description="",
    rows=100,
    data_key="clinics/data.csv",
    columns=[
        Column(name="clinic_id", dtype="string", role="identifier"),
        Column(name="province", dtype="string", role="covariate", levels=["Avon", "Brent", "Corran", "Dyfed"]),
        Column(name="period", dtype="string", role="covariate", levels=["2019Q1", "2019Q2", "2019Q3", "2019Q4"]),
        Column(name="waiting_days", dtype="float", role="covariate"),
        Column(name="referral_no", dtype="string", role="covariate", levels=["no", "yes"]),
        Column(name="checkup_score", dtype="float", role="covariate"),
        Column(name="later_checkup_score", dtype="float", role="covariate"),
        Column(name="extra_visit", dtype="integer", role="covariate", levels=["0", "1"]),
    ],
)


@pytest.mark.parametrize(
    ("question", "groups", "start"),
    [
        # A month said for data kept by quarter is its quarter; "effective", "kicked in", "the <period> reform".
        ("Avon's fee cap kicked in jan 2019. effect on waiting_days versus the other provinces?", ["Avon"], "2019Q1"),
        ("after Avon's booking rule (effective Q2 2019) did waiting days fall?", ["Avon"], "2019Q2"),
        (
            "did the 2019Q3 booking reform in Brent cut waiting_days compared with the other provinces?",
            ["Brent"],
            "2019Q3",
        ),
        # Groups listed after "with" are the comparison.
        (
            "compare Avon with Brent, Corran and Dyfed before vs after the cap in 2019Q2 on waiting_days",
            ["Avon"],
            "2019Q2",
        ),
    ],
)
def test_a_policy_group_and_start_said_in_other_words(question, groups, start):
    design = read_design(question, QUARTERLY, None, "waiting_days")
    assert (design.design, design.treated_groups, design.treatment_start) == ("did", groups, start)


def test_a_month_for_yearly_data_is_its_year_and_a_short_year_is_read():
    assert (
        read_design(
            "Oregon switched rules from March 2017; the other states did not. effect on gpa?",
            MANIFEST,
            None,
            "gpa_year1",
        ).treatment_start
        == "2017"
    )
    assert normalise_period("sept '22") == "2022-09"


def test_a_generic_word_for_the_running_variable_names_the_column_that_is_not_a_role():
    design = read_design(
        "rule: a score under sixty means an extra visit. effect on later_checkup_score?",
        QUARTERLY,
        "extra_visit",
        "later_checkup_score",
    )
    assert (design.running, design.cutoff, design.cutoff_side) == ("checkup_score", 60.0, "below")


SHOPS = DatasetManifest(
    id="shops",
    title="shops",
    description="",
    rows=100,
    data_key="shops/data.csv",
    columns=[
        Column(name="shop_id", dtype="string", role="identifier"),
        Column(name="owner_age", dtype="integer", role="covariate"),
        Column(name="layout", dtype="string", role="covariate", levels=["corner", "mall", "high street"]),
        Column(name="rural", dtype="string", role="covariate", levels=["no", "yes"], coding={"yes": 1.0, "no": 0.0}),
        Column(name="loyalty_app", dtype="integer", role="covariate", levels=["0", "1"]),
        Column(name="weekly_takings", dtype="float", role="covariate"),
    ],
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("for owners 50 and older, what does the loyalty app do to weekly takings?", ("owner_age", ">=", 50.0)),
        ("what about owners under 30 - does the app raise takings?", ("owner_age", "<", 30.0)),
        ("effect of the loyalty app on takings for every shop that isn't a mall one", ("layout", "!=", "mall")),
        ("leaving out corner shops, what did the loyalty app do to weekly takings?", ("layout", "!=", "corner")),
        ("mall only: loyalty_app -> weekly_takings", ("layout", "==", "mall")),
        ("for rural shops only, does the loyalty app raise weekly takings?", ("rural", "==", "yes")),
    ],
)
def test_subgroups_said_in_other_words(question, expected):
    design = read_design(question, SHOPS, "loyalty_app", "weekly_takings")
    assert [(s.column, s.op, s.value) for s in design.subgroup] == [expected]


def test_a_column_adjusted_for_is_not_a_subgroup():
    design = read_design(
        "effect of the loyalty app on takings, controlling for rural", SHOPS, "loyalty_app", "weekly_takings"
    )
    assert design.subgroup == []


def test_a_what_if_between_two_columns_is_an_effect_even_in_the_words_of_a_count():
    from causal_agent.reading.reader import read_question

    reading = read_question("what if owners were 10 years older - how many more weekly takings would there be?", SHOPS)
    assert reading.intent == "causal"
    assert (reading.treatment, reading.outcome) == ("owner_age", "weekly_takings")


def test_a_policy_named_by_group_and_date_leaves_the_treatment_to_the_groups():
    from causal_agent.reading.reader import read_question

    reading = read_question(
        "Avon switched to online booking in 2019Q2 while the other provinces did not. effect on waiting_days?",
        QUARTERLY,
    )
    assert (reading.intent, reading.treatment, reading.outcome) == ("causal", None, "waiting_days")


def test_a_policy_said_only_by_its_groups_and_date_is_a_causal_question_about_the_named_outcome():
    from causal_agent.reading.reader import read_question

    for question in (
        "Brent dropped the booking fee from 2019Q3 -- effect on waiting days?",
        "did the 2019Q2 booking reform in Avon lower waiting_days compared with the other provinces?",
    ):
        reading = read_question(question, QUARTERLY)
        assert (reading.intent, reading.treatment, reading.outcome) == ("causal", None, "waiting_days"), question


def test_when_or_which_group_is_never_the_outcome_of_a_policy_question():
    from causal_agent.reading.reader import read_question

    question = "Avon capped the fee starting 2019Q2; the other provinces didn't. did waiting days fall because of it?"
    reading = read_question(question, QUARTERLY)
    assert reading.outcome == "waiting_days"
    assert reading.outcome not in ("province", "period")


def test_making_people_do_more_is_asked_as_an_effect():
    from causal_agent.reading.reader import read_question

    # One column named, the outcome in other words: a causal question with a role to ask about, not a description.
    reading = read_question("does having a loyalty app make people visit more", SHOPS)
    assert (reading.intent, reading.treatment) == ("causal", "loyalty_app")
