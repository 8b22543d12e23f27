"""agent-sm itself, run by moto's ASL interpreter in-process, its Lambda tasks calling our handlers
(see EmbeddedAgent); the ECS tasks are played by threads answering the task token."""

from __future__ import annotations

import json

import pytest
from functional.test_agent_support import (
    LALONDE,
    SYNTHETIC,
    EmbeddedAgent,
    create_resources,
    frames,
    make_clients,
    session_item,
)
from moto import mock_aws

pytestmark = pytest.mark.slow


@pytest.fixture
def agent(monkeypatch):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = make_clients(monkeypatch, fake_stepfunctions=False)
        create_resources(clients, [LALONDE, SYNTHETIC])
        yield EmbeddedAgent(clients, monkeypatch.setattr)


def test_a_question_runs_through_every_tool_to_an_answer(agent):
    clients = agent.clients
    session_id = agent.ask(
        "c1", "alice", {"action": "query", "text": "What is the effect of treat on re78?", "datasetId": "lalonde_nsw"}
    )
    ended = agent.wait_for_end(agent.execution_of(session_id))
    assert ended["status"] == "SUCCEEDED", ended
    pushed = clients.management.frames["c1"]
    assert [f["seq"] for f in pushed] == list(range(1, len(pushed) + 1))
    assert pushed[0]["type"] == "session" and pushed[-1]["type"] == "answer"
    assert pushed[-1]["result"]["estimate"] == pytest.approx(1794.34)
    assert [f["name"] for f in pushed if f["type"] == "tool" and f["status"] == "succeeded"] == [
        "data_query",
        "eda",
        "causal_analysis",
    ]
    jobs = clients.dynamodb.scan(TableName=clients.names.jobs_table)["Items"]
    assert sorted(j["tool"]["S"] for j in jobs) == ["causal_analysis", "eda"]
    assert all(j["taskArn"]["S"].startswith("arn:aws:ecs:") for j in jobs)


def test_a_prompt_is_resumed_by_the_users_reply(agent):
    session_id = agent.ask("c1", "alice", {"action": "query", "text": "effect of v0 on y"})
    prompt = agent.wait_for_frame(session_id, "prompt")
    assert "synthetic_linear" in prompt["question"]
    reply = {"action": "reply", "sessionId": session_id, "text": "synthetic_linear"}
    assert agent.websocket("$default", "c1", "alice", body=reply)["statusCode"] == 200
    assert agent.wait_for_end(agent.execution_of(session_id))["status"] == "SUCCEEDED"
    answer = agent.wait_for_frame(session_id, "answer")
    assert (answer["result"]["treatment"], answer["result"]["outcome"]) == ("v0", "y")


def test_an_unanswered_prompt_times_out(agent):
    started = agent.sfn.start_execution(
        stateMachineArn=agent.state_machine_arn,
        name="timeout-1",
        input=json.dumps({"sessionId": "t1", "userId": "alice", "promptTimeoutSeconds": 1, "query": {"text": "hello"}}),
    )
    assert agent.wait_for_end(started["executionArn"])["status"] == "FAILED"
    last = frames(agent.clients, "t1")[-1]
    assert last["type"] == "error" and "No reply came within 1 seconds" in last["message"]
    assert session_item(agent.clients, "t1")["status"]["S"] == "timed_out"


def test_a_raising_lambda_ends_in_handle_error(agent, monkeypatch):
    def broken(event, context):
        raise KeyError("boom")

    monkeypatch.setitem(agent.handlers, "invoke-llm", broken)
    session_id = agent.ask(
        "c1", "alice", {"action": "query", "text": "effect of treat on re78", "datasetId": "lalonde_nsw"}
    )
    assert agent.wait_for_end(agent.execution_of(session_id))["status"] == "FAILED"
    error = agent.clients.management.frames["c1"][-1]
    assert error["type"] == "error" and "KeyError" in error["message"] and error["errorId"] in error["message"]
    assert session_item(agent.clients, session_id)["status"]["S"] == "failed"


def test_a_crashed_ecs_task_goes_back_to_the_planner(agent):
    agent.player.fail_tools.add("causal_analysis")
    session_id = agent.ask(
        "c1", "alice", {"action": "query", "text": "effect of treat on re78", "datasetId": "lalonde_nsw"}
    )
    assert agent.wait_for_end(agent.execution_of(session_id))["status"] == "SUCCEEDED"
    pushed = agent.clients.management.frames["c1"]
    assert ("causal_analysis", "failed") in [(f.get("name"), f.get("status")) for f in pushed]
    assert pushed[-1]["type"] == "answer" and pushed[-1]["result"] is None
    assert "causal_analysis step failed" in pushed[-1]["text"]


def test_cancel_stops_a_waiting_execution(agent):
    session_id = agent.ask("c1", "alice", {"action": "query", "text": "hello"})
    agent.wait_for_frame(session_id, "prompt")
    assert agent.websocket("$default", "c1", "alice", body={"action": "cancel", "sessionId": session_id}) == {
        "statusCode": 200
    }
    # AWS reports ABORTED; moto notices the stop only once the waiting task fails with "Cancelled".
    assert agent.wait_for_end(agent.execution_of(session_id))["status"] in ("ABORTED", "FAILED")
    assert agent.clients.management.frames["c1"][-1]["message"] == "Cancelled at your request."
    assert session_item(agent.clients, session_id)["status"]["S"] == "cancelled"


def test_the_old_stack_command_runs_without_a_connection(agent):
    started = agent.sfn.start_execution(
        stateMachineArn=agent.state_machine_arn,
        name="old-stack",
        input=json.dumps(
            {
                "sessionId": "test",
                "query": {"text": "test"},
                "networkConfig": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}},
            }
        ),
    )
    assert agent.wait_for_end(started["executionArn"])["status"] == "SUCCEEDED"
    stored = frames(agent.clients, "test")
    assert stored[-1]["type"] == "answer" and "lalonde_nsw" in stored[-1]["text"]
    assert json.loads(session_item(agent.clients, "test")["result"]["S"])["text"] == stored[-1]["text"]
