"""A question left waiting for a reply counts against the user's limit on analyses while it can still be
answered, and stops counting once abandoned: the user asked something new in the same window, its
connection has been gone longer than the resume window, or nobody replied for 15 minutes. A reply to an
abandoned question says why it expired. Time is a fake clock on the agent's clients, never a sleep."""

from __future__ import annotations

import json

import pytest
import support
from functional.test_agent_support import (
    AMBIGUOUS,
    LALONDE,
    Driver,
    create_resources,
    make_clients,
    session_item,
    ws_event,
)
from functional.test_agent_websocket import _Pages
from moto import mock_aws

MINUTE = 60.0


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def world(monkeypatch):
    with mock_aws():
        clients = make_clients(monkeypatch)
        create_resources(clients, [LALONDE, AMBIGUOUS])
        clients.settings.__dict__["state_machine_arn"] = None
        clients.stepfunctions.get_paginator = lambda name: _Pages(
            clients.names.state_machine_arn, clients.names.state_machine
        )
        clients.settings.max_concurrent_analyses = 2
        clients.clock = FakeClock()
        yield clients, support.load_lambda_module("websocket-handler").handler


def connect(handler, connection: str, user: str = "alice", query: dict | None = None) -> dict:
    return handler(ws_event("$connect", connection, user, query=query), None)


def send(handler, connection: str, body: dict, user: str = "alice") -> dict:
    return handler(ws_event("$default", connection, user, body=body), None)


def ask(handler, connection: str, user: str = "alice") -> dict:
    connect(handler, connection, user)
    return send(
        handler,
        connection,
        {"action": "query", "text": "effect of treat on re78?", "datasetId": "lalonde_nsw"},
        user,
    )


def prompt(clients, handler, connection: str, user: str = "alice") -> str:
    """A question that leads the agent to ask the user something (the data set has no roles): its session."""
    connect(handler, connection, user)
    body = {"action": "query", "text": "what is the effect of the grant?", "datasetId": "survey"}
    assert send(handler, connection, body, user) == {"statusCode": 200}
    execution_input = clients.stepfunctions.started[-1]["input"]
    ending, _ = Driver(clients).run(Driver(clients).start(execution_input))
    assert ending == "ask"
    session_id = execution_input["sessionId"]
    assert session_item(clients, session_id)["status"]["S"] == "awaiting_reply"
    return session_id


def reply(handler, connection: str, session_id: str, user: str = "alice") -> dict:
    return send(handler, connection, {"action": "reply", "sessionId": session_id, "text": "the first one"}, user)


def message(response: dict) -> str:
    return json.loads(response["body"])["message"]


def test_a_fresh_prompt_in_an_open_window_counts_against_the_limit(world):
    clients, handler = world
    prompt(clients, handler, "c1")
    assert ask(handler, "c2") == {"statusCode": 200}
    refused = ask(handler, "c3")
    assert refused["statusCode"] == 429 and "at most 2" in message(refused)
    assert "waiting for your reply" in message(refused)


def test_a_new_question_in_the_same_window_abandons_the_prompt(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    assert ask(handler, "c1") == {"statusCode": 200}
    assert ask(handler, "c2") == {"statusCode": 200}  # the abandoned prompt no longer counts
    item = session_item(clients, waiting)
    assert item["status"]["S"] == "abandoned" and "promptToken" not in item
    assert item["executionArn"]["S"] in clients.stepfunctions.stopped
    late = reply(handler, "c1", waiting)
    assert late["statusCode"] == 409
    assert "expired" in message(late) and "asked something new" in message(late)
    assert clients.stepfunctions.successes == []


def test_fifteen_minutes_without_a_reply_abandons_the_prompt(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    assert ask(handler, "c2") == {"statusCode": 200}
    clients.clock.advance(14 * MINUTE)
    assert ask(handler, "c3")["statusCode"] == 429  # still answerable, still counted
    clients.clock.advance(1 * MINUTE + 1)
    assert ask(handler, "c3") == {"statusCode": 200}
    late = reply(handler, "c1", waiting)
    assert late["statusCode"] == 409
    assert "expired" in message(late) and "15 minutes" in message(late)
    assert session_item(clients, waiting)["status"]["S"] == "abandoned"
    assert clients.stepfunctions.successes == []


def test_a_reply_in_time_is_taken(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    clients.clock.advance(14 * MINUTE)
    assert reply(handler, "c1", waiting) == {"statusCode": 200}
    assert clients.stepfunctions.successes[-1]["output"]["result"] == {"reply": "the first one"}


def test_a_prompt_whose_connection_is_gone_past_the_resume_window_stops_counting(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    assert ask(handler, "c2") == {"statusCode": 200}
    handler(ws_event("$disconnect", "c1", "alice"), None)
    window = clients.settings.resume_window_seconds
    clients.clock.advance(window - 1)
    assert ask(handler, "c3")["statusCode"] == 429  # the user may still come back to it
    clients.clock.advance(2)
    assert ask(handler, "c3") == {"statusCode": 200}
    connect(handler, "c4")
    late = reply(handler, "c4", waiting)
    assert late["statusCode"] == 409 and "expired" in message(late) and "connection" in message(late)


def test_coming_back_within_the_resume_window_keeps_the_prompt(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    handler(ws_event("$disconnect", "c1", "alice"), None)
    clients.clock.advance(clients.settings.resume_window_seconds - 1)
    assert connect(handler, "c9", query={"sessionId": waiting, "afterSeq": "0"})["statusCode"] == 200
    clients.clock.advance(10 * MINUTE)  # reconnected: the resume window no longer applies
    assert reply(handler, "c9", waiting) == {"statusCode": 200}


def test_the_limits_have_defaults_and_are_settings():
    from causal_agent.settings import AgentSettings

    assert AgentSettings.model_fields["prompt_abandoned_after_seconds"].default == 15 * 60
    assert AgentSettings.model_fields["resume_window_seconds"].default > 0


def test_the_failure_that_wakes_an_abandoned_execution_sends_the_user_nothing(world):
    clients, handler = world
    waiting = prompt(clients, handler, "c1")
    assert ask(handler, "c1") == {"statusCode": 200}
    assert clients.stepfunctions.failures[-1]["error"] == "Abandoned"
    sent_before = len(clients.management.frames.get("c1", []))
    cause = "it was left unanswered when you asked something new"
    Driver(clients).call("handle-error", {"sessionId": waiting, "error": {"Error": "Abandoned", "Cause": cause}})
    assert session_item(clients, waiting)["status"]["S"] == "abandoned"
    assert len(clients.management.frames.get("c1", [])) == sent_before
