"""A whole offline conversation through the Lambda handlers, against moto."""

from __future__ import annotations

import json

import pytest
from functional.test_agent_support import (
    AMBIGUOUS,
    LALONDE,
    SYNTHETIC,
    Driver,
    create_resources,
    frames,
    make_clients,
    session_item,
)
from moto import mock_aws


@pytest.fixture
def world(monkeypatch):
    with mock_aws():
        clients = make_clients(monkeypatch)
        create_resources(clients, [LALONDE, SYNTHETIC, AMBIGUOUS])
        yield clients


def test_question_on_lalonde_gets_an_answer_built_from_the_tool_results(world):
    driver = Driver(world)
    state = driver.start(
        {
            "sessionId": "s1",
            "userId": "alice",
            "datasetId": "lalonde_nsw",
            "query": {"text": "What is the effect of treat on re78?"},
        }
    )
    ending, state = driver.run(state)

    assert ending == "final"
    sent = frames(world, "s1")
    assert [f["seq"] for f in sent] == list(range(1, len(sent) + 1))
    tools = [(f["name"], f["status"]) for f in sent if f["type"] == "tool"]
    assert tools == [
        ("data_query", "started"),
        ("data_query", "succeeded"),
        ("eda", "started"),
        ("eda", "succeeded"),
        ("causal_analysis", "started"),
        ("causal_analysis", "succeeded"),
    ]
    answer = sent[-1]
    assert answer["type"] == "answer"
    assert answer["result"]["treatment"] == "treat" and answer["result"]["outcome"] == "re78"
    assert answer["result"]["estimate"] == pytest.approx(1794.34)
    assert answer["result"]["ci"] == [480.2, 3108.5]
    assert answer["result"]["naiveEstimate"] == pytest.approx(1794.34)
    assert {r["name"] for r in answer["result"]["refutations"]} == {"placebo_treatment_refuter", "random_common_cause"}
    assert answer["result"]["artifacts"][0]["url"].endswith("balance.png")
    # The text quotes the figures the tools returned, and the raw group means of the data query.
    assert "1,794.34" in answer["text"] and "480.20" in answer["text"] and "6,349.10" in answer["text"]
    assert "placebo_treatment_refuter" in answer["text"]
    item = session_item(world, "s1")
    assert item["status"]["S"] == "succeeded"
    assert json.loads(item["result"]["S"])["result"]["estimate"] == pytest.approx(1794.34)
    # The causal analysis adjusted for the manifest's covariates.
    job_arguments = [
        json.loads(i["arguments"]["S"])
        for i in world.dynamodb.scan(TableName=world.names.jobs_table)["Items"]
        if i["tool"]["S"] == "causal_analysis"
    ]
    assert job_arguments[0]["common_causes"] == ["age", "educ", "black", "re75"]


def test_synonyms_pick_the_columns_and_a_different_estimate_changes_the_answer(world):
    driver = Driver(world, causal_estimate=-250.0)
    state = driver.start(
        {
            "sessionId": "s2",
            "userId": "alice",
            "datasetId": "lalonde_nsw",
            "query": {"text": "Does job training raise earnings?"},
        }
    )
    ending, _ = driver.run(state)
    answer = frames(world, "s2")[-1]
    assert ending == "final" and answer["result"]["treatment"] == "treat" and answer["result"]["outcome"] == "re78"
    assert answer["result"]["estimate"] == -250.0
    assert "lowers" in answer["text"] and "-250" in answer["text"]


def test_no_dataset_asks_which_then_the_reply_picks_it(world):
    driver = Driver(world)
    state = driver.start({"sessionId": "s3", "userId": "alice", "query": {"text": "effect of v0 on y"}})
    ending, state = driver.run(state)
    assert ending == "ask"
    prompt = frames(world, "s3")[-1]
    assert (
        prompt["type"] == "prompt" and "lalonde_nsw" in prompt["question"] and "synthetic_linear" in prompt["question"]
    )
    item = session_item(world, "s3")
    assert item["status"]["S"] == "awaiting_reply" and item["promptToken"]["S"]

    # The reply arrives as the ask_user tool outcome, the way websocket-handler sends it.
    reply = {"tool": "ask_user", "call_id": item["promptCallId"]["S"], "ok": True, "result": {"reply": "3"}}
    state = driver.call("append-tool-output", dict(state, toolResult={"outcome": reply}))
    ending, state = driver.run(state)
    assert ending == "final"
    assert state["datasetId"] == "synthetic_linear"
    answer = frames(world, "s3")[-1]
    assert answer["result"]["treatment"] == "v0" and answer["result"]["outcome"] == "y"


def test_the_old_stack_command_without_connection_or_user_answers_with_the_datasets(world):
    driver = Driver(world)
    state = driver.start(
        {
            "sessionId": "test",
            "query": {"text": "test"},
            "networkConfig": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
        }
    )
    ending, _ = driver.run(state)
    assert ending == "final"
    stored = frames(world, "test")
    assert stored[-1]["type"] == "answer" and "lalonde_nsw" in stored[-1]["text"]
    items = world.dynamodb.query(
        TableName=world.names.pending_messages_table,
        KeyConditionExpression="sessionId = :s",
        ExpressionAttributeValues={":s": {"S": "test"}},
    )["Items"]
    assert items and {i["status"]["S"] for i in items} == {"pending"}
    item = session_item(world, "test")
    assert item["status"]["S"] == "succeeded" and "lalonde_nsw" in json.loads(item["result"]["S"])["text"]


def test_an_unclear_question_is_asked_back_and_the_reply_settles_it(world):
    driver = Driver(world)
    state = driver.start(
        {"sessionId": "s4", "userId": "bob", "datasetId": "survey", "query": {"text": "what is the effect here?"}}
    )
    ending, state = driver.run(state)
    assert ending == "ask"
    assert "grant" in frames(world, "s4")[-1]["question"]
    ending, _ = _reply(world, driver, state, "s4", "effect of grant on health")
    assert ending == "final"
    result = frames(world, "s4")[-1]["result"]
    assert (result["treatment"], result["outcome"]) == ("grant", "health")


def test_an_invalid_tool_call_goes_back_to_the_llm_as_a_tool_error(world):
    driver = Driver(world)
    state = driver.start(
        {"sessionId": "s5", "userId": "bob", "datasetId": "lalonde_nsw", "query": {"text": "effect of treat on re78"}}
    )
    state = driver.call("invoke-llm", state)
    state["decision"]["toolCall"]["arguments"] = {"sql": "", "bogus": 1}
    state = driver.call("dispatch-tool", state)
    assert state["route"] == "invalid"
    assert not state["toolResult"]["outcome"]["ok"]
    assert (
        "bogus" in state["toolResult"]["outcome"]["error"]
        and "Accepted arguments: sql, limit" in state["toolResult"]["outcome"]["error"]
    )
    state = driver.call("append-tool-output", state)
    conversation = json.loads(session_item(world, "s5")["conversation"]["S"])
    assert conversation[-1]["role"] == "tool" and '"ok": false' in conversation[-1]["content"]
    # The planner carries on: it retries the data query with valid arguments.
    state = driver.call("invoke-llm", state)
    assert state["decision"]["toolCall"]["name"] == "data_query"


def test_a_failed_causal_analysis_is_reported_with_the_naive_comparison(world):
    driver = Driver(world)
    state = driver.start(
        {"sessionId": "s6", "userId": "bob", "datasetId": "lalonde_nsw", "query": {"text": "effect of treat on re78"}}
    )
    for _ in range(2):  # data query, eda
        ending, state = None, driver.call("invoke-llm", state)
        state = driver.call("dispatch-tool", state)
        if state["route"] == "data_query":
            from functional.test_agent_support import fake_data_query

            call = state["decision"]["toolCall"]
            state["toolResult"] = {
                "outcome": fake_data_query({"callId": call["callId"], "arguments": call["arguments"]})
            }
        else:
            state["toolError"] = {"Error": "States.Timeout", "Cause": ""}
        state = driver.call("append-tool-output", state)
    state = driver.call("invoke-llm", state)
    state = driver.call("dispatch-tool", state)
    state["toolError"] = {"Error": "ToolError", "Cause": json.dumps({"errorMessage": "singular matrix"})}
    state = driver.call("append-tool-output", state)
    failed = [f for f in frames(world, "s6") if f["type"] == "tool" and f["status"] == "failed"]
    assert [f["name"] for f in failed] == ["eda", "causal_analysis"]
    ending, _ = driver.run(state)
    answer = frames(world, "s6")[-1]
    assert ending == "final" and answer["result"] is None
    assert "singular matrix" in answer["text"] and "1,794.30" in answer["text"]


def test_the_turn_limit_ends_with_what_was_found(world):
    driver = Driver(world)
    state = driver.start(
        {
            "sessionId": "s7",
            "userId": "bob",
            "datasetId": "lalonde_nsw",
            "maxTurns": 2,
            "query": {"text": "effect of treat on re78"},
        }
    )
    ending, state = driver.run(state)
    answer = frames(world, "s7")[-1]
    assert ending == "final" and answer["type"] == "answer"
    assert "6,349.10" in answer["text"]  # the data query's group means made it into the answer


def test_errors_reach_the_user_with_an_id_and_fail_the_session(world, caplog):
    driver = Driver(world)
    with pytest.raises(Exception, match="unknown dataset"):
        driver.start(
            {"sessionId": "s8", "userId": "bob", "datasetId": "nope", "query": {"text": "effect of treat on re78"}}
        )
    cause = json.dumps({"errorType": "InvalidInputError", "errorMessage": "unknown dataset 'nope'; available: x"})
    out = driver.call(
        "handle-error",
        {"sessionId": "s8", "query": {"text": "x"}, "error": {"Error": "InvalidInputError", "Cause": cause}},
    )
    error = frames(world, "s8")[-1]
    assert error["type"] == "error" and error["errorId"] == out["errorId"] and "unknown dataset" in error["message"]
    assert session_item(world, "s8")["status"]["S"] == "failed"
    # A crash's stack trace never reaches the user.
    crash = json.dumps({"errorType": "KeyError", "errorMessage": "'x'", "stackTrace": ["File secret.py"]})
    driver.call("handle-error", {"sessionId": "s8", "error": {"Error": "KeyError", "Cause": crash}})
    assert "secret.py" not in frames(world, "s8")[-1]["message"]


def test_an_unanswered_prompt_times_out_with_a_frame_saying_so(world):
    driver = Driver(world)
    state = driver.start({"sessionId": "s9", "userId": "bob", "query": {"text": "hello"}})
    ending, state = driver.run(state)
    assert ending == "ask"
    driver.call("handle-timeout", dict(state, error={"Error": "States.Timeout", "Cause": ""}))
    last = frames(world, "s9")[-1]
    assert last["type"] == "error" and "No reply came within 600 seconds" in last["message"]
    item = session_item(world, "s9")
    assert item["status"]["S"] == "timed_out" and "promptToken" not in item


def _reply(world, driver, state, session_id: str, text: str):
    call_id = session_item(world, session_id)["promptCallId"]["S"]
    outcome = {"tool": "ask_user", "call_id": call_id, "ok": True, "result": {"reply": text}}
    return driver.run(driver.call("append-tool-output", dict(state, toolResult={"outcome": outcome})))


def test_a_numbered_question_is_answered_by_number_and_the_answer_lists_the_adjustment(world):
    driver = Driver(world)
    state = driver.start(
        {
            "sessionId": "s10",
            "userId": "bob",
            "datasetId": "survey",
            "query": {"text": "what is the effect of the grant?"},
        }
    )
    ending, state = driver.run(state)
    assert ending == "ask"
    question = frames(world, "s10")[-1]["question"]
    assert "Which column is the outcome?" in question and "1. health" in question
    ending, _ = _reply(world, driver, state, "s10", "the first one")
    assert ending == "final"
    answer = frames(world, "s10")[-1]
    assert (answer["result"]["treatment"], answer["result"]["outcome"]) == ("grant", "health")
    assert "Adjusted for:" in answer["text"]


def test_a_descriptive_question_is_one_query_and_no_causal_claim(world):
    driver = Driver(world)
    state = driver.start(
        {
            "sessionId": "s11",
            "userId": "bob",
            "datasetId": "lalonde_nsw",
            "query": {"text": "How many people are in the data?"},
        }
    )
    ending, _ = driver.run(state)
    assert ending == "final"
    sent = frames(world, "s11")
    assert [f["name"] for f in sent if f["type"] == "tool" and f["status"] == "started"] == ["data_query"]
    answer = sent[-1]
    assert answer.get("result") is None and "SELECT COUNT(*) AS n FROM data" in answer["text"]
    assert "not an estimate of a causal effect" in answer["text"]


def test_a_question_the_data_cannot_answer_gets_no_estimate_without_a_user(world):
    driver = Driver(world)
    state = driver.start(
        {"sessionId": "s12", "datasetId": "survey", "query": {"text": "Does the weather change health?"}}
    )
    ending, _ = driver.run(state)
    assert ending == "final"
    answer = frames(world, "s12")[-1] if frames(world, "s12") else json.loads(session_item(world, "s12")["result"]["S"])
    assert "'weather'" in answer["text"] and "grant" in answer["text"]
    assert not answer.get("result")
