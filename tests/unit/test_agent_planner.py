"""Reading questions, keeping the conversation bounded, writing answers (no AWS)."""

from __future__ import annotations

import json

import pytest

from causal_agent import intent, planner
from causal_agent.conversation import (
    assistant_tool_call,
    compact_conversation,
    compact_outcome,
    exchanges,
    tool_message,
    user_message,
)
from causal_agent.reading.reader import read_question
from causal_agent.state import ToolCall
from causal_common.models.datasets import Column, DatasetManifest
from causal_common.models.tools import ToolOutcome

MANIFEST = DatasetManifest(
    id="lalonde_nsw",
    title="Lalonde NSW",
    description="",
    rows=445,
    data_key="lalonde_nsw/data.csv",
    columns=[
        Column(name="treat", dtype="integer", role="treatment", synonyms=["training", "job training"]),
        Column(name="age", dtype="integer", role="covariate"),
        Column(name="educ", dtype="integer", role="covariate", synonyms=["education"]),
        Column(name="re75", dtype="float", role="covariate", synonyms=["earlier earnings"]),
        Column(name="re78", dtype="float", role="outcome", synonyms=["earnings"]),
    ],
)
NO_ROLES = MANIFEST.model_copy(
    update={"columns": [c.model_copy(update={"role": "other", "synonyms": []}) for c in MANIFEST.columns]}
)


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What is the effect of treat on re78?", ("treat", "re78")),
        ("effect of educ on re78", ("educ", "re78")),
        ("Does job training raise earnings?", ("treat", "re78")),
        ("How does education impact earnings", ("educ", "re78")),
        ("Are earnings affected by job training?", ("treat", "re78")),
        ("what is the effect?", ("treat", "re78")),  # both from the manifest's roles
    ],
)
def test_treatment_and_outcome_from_names_synonyms_and_roles(question, expected):
    reading = read_question(question, MANIFEST)
    assert reading.intent == "causal"
    assert (reading.treatment, reading.outcome) == expected


def test_without_roles_an_unclear_question_is_not_guessed():
    assert not read_question("what is the effect here?", NO_ROLES).complete
    assert read_question("effect of age on re75", NO_ROLES).treatment == "age"


def test_datasets_are_picked_by_id_title_or_number():
    other = MANIFEST.model_copy(update={"id": "synthetic_linear", "title": "DoWhy synthetic linear"})
    both = [MANIFEST, other]
    assert intent.pick_dataset("use lalonde nsw please", both).id == "lalonde_nsw"
    assert intent.pick_dataset("the DoWhy synthetic linear one", both).id == "synthetic_linear"
    assert intent.pick_dataset("2", both, offered=["lalonde_nsw", "synthetic_linear"]).id == "synthetic_linear"
    assert intent.pick_dataset("test", both) is None


def test_planner_asks_when_it_cannot_tell_and_says_so_when_nobody_can_answer():
    conversation = [user_message("what is the effect here?")]
    asked = planner.plan(planner.PlannerInput(conversation, NO_ROLES, interactive=True))
    assert asked.tool_call.name == "ask_user" and "1. treat" in asked.tool_call.arguments["question"]
    told = planner.plan(planner.PlannerInput(conversation, NO_ROLES, interactive=False))
    assert told.kind == "final" and "What is the effect of treat on re78?" in told.text


def test_naive_query_uses_group_means_for_binary_and_a_slope_for_continuous_treatments():
    assert 'GROUP BY "treat"' in planner.naive_query(MANIFEST, "treat", "re78")
    assert 'REGR_SLOPE("re78", "re75")' in planner.naive_query(MANIFEST, "re75", "re78")


def test_tool_outputs_are_compacted_and_the_conversation_stays_bounded():
    rows = [[i, i * 2.0] for i in range(1000)]
    outcome = ToolOutcome(
        tool="data_query",
        call_id="c1",
        ok=True,
        result={"columns": ["a", "b"], "rows": rows, "row_count": 1000, "truncated": False, "elapsed_ms": 1},
    )
    content = compact_outcome(outcome)
    assert len(content["result"]["rows"]) == 20 and content["result"]["truncated"] is True
    conversation = []
    for turn in range(60):
        call = ToolCall(call_id=f"c{turn}", name="data_query", arguments={"sql": "SELECT 1"})
        conversation += [
            user_message(f"question {turn}"),
            assistant_tool_call(call),
            tool_message(call.call_id, content),
        ]
    compacted = compact_conversation(conversation, max_chars=20000)
    assert len(json.dumps(compacted)) <= 20000
    assert compacted[-1] == conversation[-1]  # the latest tool output is kept whole
    assert compacted[0]["role"] == "user"  # cut at a question, never between a call and its output
    pairs = exchanges(compacted)
    assert all(exchange.outcome is not None for exchange in pairs)


def test_a_failed_tool_is_not_retried_but_a_rejected_call_is_once():
    call = ToolCall(call_id="c1", name="data_query", arguments={"sql": "x"})
    rejected = [
        user_message("effect of treat on re78"),
        assistant_tool_call(call),
        tool_message("c1", {"tool": "data_query", "ok": False, "error": "invalid arguments for data_query"}),
    ]
    again = planner.plan(planner.PlannerInput(rejected, MANIFEST, interactive=True))
    assert again.tool_call.name == "data_query"
    crashed = rejected[:-1] + [tool_message("c1", {"tool": "data_query", "ok": False, "error": "duckdb crashed"})]
    moved_on = planner.plan(planner.PlannerInput(crashed, MANIFEST, interactive=True))
    assert moved_on.tool_call.name == "eda"


def test_a_follow_up_takes_what_it_leaves_open_from_the_previous_question():
    earlier = ToolCall(call_id="c1", name="causal_analysis", arguments={"treatment": "educ", "outcome": "re78"})
    conversation = [
        user_message("effect of education on earnings"),
        assistant_tool_call(earlier),
        tool_message("c1", {"tool": "causal_analysis", "ok": True, "result": {"estimate": 1.0}}),
        {"role": "assistant", "content": "answer"},
        user_message("and what is its effect on re75?"),
    ]
    reading, _, _ = planner.understand(planner.PlannerInput(conversation, MANIFEST, interactive=True))
    assert (reading.treatment, reading.outcome) == ("educ", "re75")
    fresh = conversation[:-1] + [user_message("what is the effect on re75?")]
    reading, _, _ = planner.understand(planner.PlannerInput(fresh, MANIFEST, interactive=True))
    assert (reading.treatment, reading.outcome) == ("treat", "re75")  # no reference back: the dataset's roles
