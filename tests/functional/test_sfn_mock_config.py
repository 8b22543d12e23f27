"""Mocked service integrations: agent-sm run by moto's interpreter with the test cases of
tests/data/sfn-mock-config.json (Step Functions Local's / LocalStack's format), started on
``<stateMachineArn>#<test case>``; the states the test case does not name run for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from functional.test_agent_support import (
    LALONDE,
    EmbeddedAgent,
    create_resources,
    frames,
    make_clients,
    session_item,
)
from moto import mock_aws

from causal_embedded import sfn_mock_config

pytestmark = pytest.mark.slow

MOCK_CONFIG = Path(__file__).resolve().parents[1] / "data" / "sfn-mock-config.json"
SESSION = "mocked-session"  # the session id the file's mocked LLM states carry


@pytest.fixture
def agent(monkeypatch):
    config = sfn_mock_config.load(MOCK_CONFIG)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = make_clients(monkeypatch, fake_stepfunctions=False)
        create_resources(clients, [LALONDE])
        sfn_mock_config.install(lambda: config, monkeypatch.setattr)
        yield EmbeddedAgent(clients, monkeypatch.setattr)


def run_case(agent: EmbeddedAgent, case: str) -> tuple[dict, list[dict]]:
    started = agent.sfn.start_execution(
        stateMachineArn=f"{agent.state_machine_arn}#{case}",
        name=f"mocked-{case}",
        input=json.dumps(
            {"sessionId": SESSION, "userId": "alice", "datasetId": "lalonde_nsw", "query": {"text": "effect of treat"}}
        ),
    )
    ended = agent.wait_for_end(started["executionArn"])
    events = agent.sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)["events"]
    return ended, events


def task_results(events: list[dict]) -> list[tuple[str, str]]:
    """(state, what its task did) in order: Succeeded / Failed:<error>."""
    by_id = {event["id"]: event for event in events}
    found = []
    for event in events:
        if event["type"] in ("TaskSucceeded", "TaskFailed"):
            state_event = event
            while "stateEnteredEventDetails" not in state_event:
                state_event = by_id[state_event["previousEventId"]]
            name = state_event["stateEnteredEventDetails"]["name"]
            outcome = (
                "Succeeded"
                if event["type"] == "TaskSucceeded"
                else f"Failed:{event['taskFailedEventDetails']['error']}"
            )
            found.append((name, outcome))
    return found


def entered(events: list[dict]) -> list[str]:
    return [event["stateEnteredEventDetails"]["name"] for event in events if "stateEnteredEventDetails" in event]


def test_the_llm_asks_for_a_tool_then_answers_with_mocked_replies(agent):
    ended, events = run_case(agent, "ToolThenAnswer")
    assert ended["status"] == "SUCCEEDED", ended
    assert entered(events) == [
        "ParseInitialQuery",
        "InvokeLLM",
        "CheckResponse",
        "DispatchTool",
        "ToolRoute",
        "RunAnalysisJob",
        "AppendToolOutput",
        "InvokeLLM",
        "CheckResponse",
        "HandleFinish",
        "Done",
    ]
    # The mocked states show in the history as real ones do: scheduled, started, succeeded.
    invoke_llm = [
        e
        for e in events
        if e["type"] == "TaskScheduled" and "invoke-llm" in e["taskScheduledEventDetails"]["parameters"]
    ]
    assert len(invoke_llm) == 2
    # No ECS task was started: the mocked waitForTaskToken state completed with the mocked outcome.
    assert agent.clients.dynamodb.scan(TableName=agent.clients.names.jobs_table)["Items"] == []
    pushed = _frames(agent)
    assert ("eda", "started") in [(f.get("name"), f.get("status")) for f in pushed]
    assert ("eda", "succeeded") in [(f.get("name"), f.get("status")) for f in pushed]
    assert pushed[-1]["type"] == "answer" and pushed[-1]["text"].startswith("Mocked answer:")
    assert session_item(agent.clients, SESSION)["status"]["S"] == "succeeded"


def _frames(agent: EmbeddedAgent) -> list[dict]:
    return frames(agent.clients, SESSION)


def test_a_retry_takes_the_next_mocked_response(agent):
    ended, events = run_case(agent, "EcsRetriedThenSucceeds")
    assert ended["status"] == "SUCCEEDED", ended
    runs = [outcome for state, outcome in task_results(events) if state == "RunAnalysisJob"]
    assert runs == ["Failed:Lambda.ServiceException", "Succeeded"]
    assert ("eda", "succeeded") in [(f.get("name"), f.get("status")) for f in _frames(agent)]


def test_a_mocked_task_failure_takes_the_states_catch(agent):
    ended, events = run_case(agent, "EcsTaskFails")
    assert ended["status"] == "SUCCEEDED", ended
    assert ("RunAnalysisJob", "Failed:TaskExited") in task_results(events)
    failed = [f for f in _frames(agent) if f.get("name") == "eda" and f.get("status") == "failed"]
    assert failed, _frames(agent)


def test_a_mocked_llm_error_ends_in_handle_error(agent):
    ended, events = run_case(agent, "LlmFails")
    assert ended["status"] == "FAILED", ended
    assert entered(events)[-2:] == ["HandleError", "Failed"]
    assert ("InvokeLLM", "Failed:LlmProviderError") in task_results(events)
    last = _frames(agent)[-1]
    assert last["type"] == "error"
    assert session_item(agent.clients, SESSION)["status"]["S"] == "failed"


def test_an_unknown_test_case_is_refused(agent):
    with pytest.raises(ClientError) as raised:
        agent.sfn.start_execution(stateMachineArn=f"{agent.state_machine_arn}#NoSuchCase", input="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidName"
    assert "NoSuchCase" in raised.value.response["Error"]["Message"]
    assert agent.sfn.list_executions(stateMachineArn=agent.state_machine_arn)["executions"] == []
