"""A data set with a yes/no column and an amount column for the same treatment: the words pick one
("getting training" is the yes/no one, "each additional hour of training" the amount), and the answer
names the other and how to ask about it."""

from __future__ import annotations

import pytest

from causal_agent.reading.reader import read_question
from causal_common.models.datasets import Column, DatasetManifest

PROGRAMME = DatasetManifest(
    id="programme",
    title="Programme",
    description="",
    rows=500,
    data_key="programme/data.csv",
    columns=[
        Column(name="trained", dtype="integer", levels=["0", "1"], synonyms=["training"]),
        Column(name="training_hours", dtype="float"),
        Column(name="age", dtype="integer"),
        Column(name="earnings", dtype="float", role="outcome"),
    ],
)
CLINIC = DatasetManifest(
    id="clinic",
    title="Clinic",
    description="",
    rows=500,
    data_key="clinic/data.csv",
    columns=[
        Column(name="exercise_minutes", dtype="float"),
        Column(name="exercises", dtype="boolean"),
        Column(name="bmi", dtype="float"),
        Column(name="blood_pressure", dtype="float"),
    ],
)


@pytest.mark.parametrize(
    "question",
    [
        "Does offering training raise earnings?",
        "Does any training raise earnings?",
        "Does whether people were trained change earnings?",
        "What is the effect of getting training on earnings?",
        "effect of receiving training on earnings",
        "How much does training raise earnings?",  # "how much" about the effect, not the amount
    ],
)
def test_yes_no_words_pick_the_yes_no_column(question):
    reading = read_question(question, PROGRAMME)
    assert reading.intent == "causal" and reading.treatment == "trained", reading
    assert reading.outcome == "earnings"


@pytest.mark.parametrize(
    "question",
    [
        "How much do earnings rise with each additional hour of training?",
        "Do more hours of training raise earnings?",
        "What is the effect of training per hour on earnings?",
        "effect of the training dose on earnings",
        "Does the amount of training change earnings?",
        "Does how much training people get change earnings?",
        "If training were increased by 10 hours, how would earnings change?",
    ],
)
def test_amount_words_pick_the_amount_column(question):
    reading = read_question(question, PROGRAMME)
    assert reading.intent == "causal" and reading.treatment == "training_hours", reading
    assert reading.outcome == "earnings"


@pytest.mark.parametrize(
    "question, treatment",
    [
        ("Does exercising lower blood pressure?", "exercises"),
        ("Does any exercise lower blood pressure?", "exercises"),
        ("Do more minutes of exercise lower blood pressure?", "exercise_minutes"),
        ("How does each extra minute of exercise change blood pressure?", "exercise_minutes"),
    ],
)
def test_the_choice_holds_on_other_names(question, treatment):
    reading = read_question(question, CLINIC)
    assert reading.treatment == treatment and reading.outcome == "blood_pressure", reading


def test_the_reading_names_the_other_column_and_how_to_ask_about_it():
    yes_no = read_question("Does getting training raise earnings?", PROGRAMME)
    note = yes_no.treatment_note
    assert "trained (yes/no)" in note and "training_hours" in note and "each extra hour of training" in note
    amount = read_question("Do more hours of training raise earnings?", PROGRAMME)
    assert "training_hours" in amount.treatment_note and "trained (yes/no)" in amount.treatment_note
    assert "whether" in amount.treatment_note


def test_a_data_set_with_one_treatment_column_has_no_such_note():
    single = PROGRAMME.model_copy(update={"columns": [c for c in PROGRAMME.columns if c.name != "training_hours"]})
    assert not read_question("Does getting training raise earnings?", single).treatment_note


def test_the_answer_carries_the_note():
    from causal_agent import planner
    from causal_agent.conversation import assistant_tool_call, tool_message, user_message
    from causal_agent.state import ToolCall

    conversation = [user_message("Does getting training raise earnings?")]
    for call_id, name in (("c1", "data_query"), ("c2", "eda")):
        decision = planner.plan(planner.PlannerInput(conversation, PROGRAMME, interactive=True))
        assert decision.tool_call is not None and decision.tool_call.name == name, decision
        call = ToolCall(call_id=call_id, name=name, arguments=decision.tool_call.arguments)
        conversation += [assistant_tool_call(call), tool_message(call_id, {"tool": name, "ok": True, "result": {}})]
    decision = planner.plan(planner.PlannerInput(conversation, PROGRAMME, interactive=True))
    assert decision.tool_call.name == "causal_analysis" and decision.tool_call.arguments["treatment"] == "trained"
    call = ToolCall(call_id="c3", name="causal_analysis", arguments=decision.tool_call.arguments)
    result = {"treatment": "trained", "outcome": "earnings", "estimate": 812.0, "ci": [100.0, 1500.0]}
    conversation += [
        assistant_tool_call(call),
        tool_message("c3", {"tool": "causal_analysis", "ok": True, "result": result}),
    ]
    final = planner.plan(planner.PlannerInput(conversation, PROGRAMME, interactive=True))
    assert final.kind == "final", final
    assert "training_hours measures the amount" in final.text and "each extra hour of training" in final.text


def test_a_column_named_exactly_is_kept_whatever_the_words_around_it():
    assert read_question("effect of getting training_hours on earnings", PROGRAMME).treatment == "training_hours"
    assert read_question("effect of each additional trained on earnings", PROGRAMME).treatment == "trained"


SHORTENED = DatasetManifest(
    id="farms",
    title="farms",
    description="",
    rows=10,
    data_key="farms/data.csv",
    columns=[
        Column(name="any_fertiliser", dtype="integer", levels=["0", "1"]),
        Column(name="fert_kg_ha", dtype="float"),
        Column(name="calls_cnt", dtype="integer"),
        Column(name="callback_offered", dtype="integer", levels=["0", "1"]),
        Column(name="harvest_t", dtype="float"),
    ],
)


@pytest.mark.parametrize(
    ("question", "treatment"),
    [
        # A shortened name word ("fert") is the same treatment's amount.
        ("how much does each kg of fertiliser per hectare raise the harvest?", "fert_kg_ha"),
        ("what happens to the harvest if farms cut their fertiliser rate in half?", "fert_kg_ha"),
        # The concept with no word of amount is whether it happened; "more" after it speaks of the outcome.
        ("does fertiliser raise the harvest?", "any_fertiliser"),
        ("do fertilised farms get more harvest?", "any_fertiliser"),
    ],
)
def test_a_shortened_amount_column_and_words_after_the_treatment(question, treatment):
    assert read_question(question, SHORTENED).treatment == treatment


def test_a_compound_word_is_not_a_shortening():
    from causal_agent.reading.amounts import forms_of

    assert forms_of("calls_cnt", SHORTENED) is None


def test_both_forms_of_one_treatment_named_are_one_role_and_the_other_column_is_the_outcome():
    mentoring = DatasetManifest(
        id="mentoring",
        title="mentoring",
        description="",
        rows=10,
        data_key="m/data.csv",
        columns=[
            Column(name="mentored", dtype="integer", levels=["0", "1"], synonyms=["mentored"]),
            Column(name="mentoring_hrs", dtype="float", synonyms=["mentoring", "hrs"]),
            Column(name="tenure_yrs", dtype="float"),
            Column(name="office", dtype="string", levels=["east", "west"]),
            Column(name="nps", dtype="float"),
        ],
    )
    question = "how much does an hour of mentoring move nps, controlling for tenure_yrs and office only"
    reading = read_question(question, mentoring)
    assert (reading.treatment, reading.outcome) == ("mentoring_hrs", "nps")


@pytest.mark.parametrize(
    "question",
    [
        "does training raise earnings? leave age out, it was taken at the exit interview",
        "effect of training on earnings - age is recorded at the end, leave it out",
        "does training raise earnings? (age is logged at exit, don't adjust for it)",
    ],
)
def test_a_column_left_out_in_a_split_phrase_or_by_a_pronoun(question):
    reading = read_question(question, PROGRAMME)
    assert "age" in reading.adjustment.exclude
    assert reading.treatment not in reading.adjustment.exclude and reading.outcome not in reading.adjustment.exclude


def test_a_pronoun_right_after_the_roles_does_not_leave_a_role_out():
    reading = read_question("effect of training on earnings, don't adjust for it", PROGRAMME)
    assert not reading.adjustment.exclude


def test_an_unresolved_outcome_phrase_takes_the_one_other_column_it_holds():
    reading = read_question("does getting training actually lower what we spend on earnings?", PROGRAMME)
    assert (reading.intent, reading.treatment, reading.outcome) == ("causal", "trained", "earnings")


def test_an_adjustment_list_item_said_with_words_before_the_column():
    reading = read_question(
        "effect of training on earnings adjusting for training_hours and the age of each worker", PROGRAMME
    )
    assert sorted(reading.adjustment.only or []) == ["age", "training_hours"]


def test_adjusting_for_those_two_names_the_columns_just_before():
    question = (
        "does training raise earnings? age and training_hours differ between groups so just account for those two"
    )
    reading = read_question(question, PROGRAMME)
    assert sorted(reading.adjustment.only or []) == ["age", "training_hours"]
