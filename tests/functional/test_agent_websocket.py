"""websocket-handler: connections, the four actions, owner checks, malformed input, replay."""

from __future__ import annotations

import json

import pytest
import support
from functional.test_agent_support import LALONDE, create_resources, frames, make_clients, session_item, ws_event
from moto import mock_aws


@pytest.fixture
def world(monkeypatch):
    with mock_aws():
        clients = make_clients(monkeypatch)
        create_resources(clients, [LALONDE])
        clients.settings.__dict__["state_machine_arn"] = None
        clients.stepfunctions.get_paginator = lambda name: _Pages(
            clients.names.state_machine_arn, clients.names.state_machine
        )
        yield clients, support.load_lambda_module("websocket-handler").handler


class _Pages:
    def __init__(self, arn: str, name: str) -> None:
        self.page = {"stateMachines": [{"name": name, "stateMachineArn": arn}]}

    def paginate(self):
        return [self.page]


def _connect(handler, connection_id: str, user: str, query=None) -> dict:
    return handler(ws_event("$connect", connection_id, user, query=query), None)


def _send(handler, connection_id: str, user: str | None, body) -> dict:
    return handler(ws_event("$default", connection_id, user, body=body), None)


def _start(clients, handler, user="alice", connection="c1") -> str:
    assert _connect(handler, connection, user)["statusCode"] == 200
    response = _send(
        handler, connection, user, {"action": "query", "text": "effect of treat on re78?", "datasetId": "lalonde_nsw"}
    )
    assert response == {"statusCode": 200}
    return clients.stepfunctions.started[-1]["input"]["sessionId"]


def test_query_sends_the_session_frame_first_and_starts_a_named_execution(world):
    clients, handler = world
    session_id = _start(clients, handler)
    pushed = clients.management.frames["c1"]
    assert pushed[0] == {
        "type": "session",
        "userId": "alice",
        "datasetId": "lalonde_nsw",
        "sessionId": session_id,
        "seq": 1,
    }
    started = clients.stepfunctions.started[-1]
    assert started["name"].startswith(session_id) and started["arn"] == clients.names.state_machine_arn
    assert started["input"] == {
        "sessionId": session_id,
        "query": {"text": "effect of treat on re78?"},
        "userId": "alice",
        "datasetId": "lalonde_nsw",
    }
    item = session_item(clients, session_id)
    assert item["userId"]["S"] == "alice" and item["connectionId"]["S"] == "c1"
    assert item["executionArn"]["S"].endswith(started["name"])
    # Two queries make two executions with different names.
    session_two = _start(clients, handler)
    assert session_two != session_id and len({s["name"] for s in clients.stepfunctions.started}) == 2


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("not json", "not JSON"),
        ({"action": "dance"}, "unknown action 'dance'"),
        ({"text": "no action"}, "unknown action None"),
        ({"action": "query", "text": ""}, "invalid query"),
        ({"action": "query", "text": "x" * 5000}, "invalid query"),
        ({"action": "query", "text": "ok", "datasetId": "../etc"}, "invalid query"),
        ({"action": "reply", "sessionId": "s"}, "invalid reply"),
        ({"action": "resume", "sessionId": "s", "afterSeq": -1}, "invalid resume"),
        ("x" * 40000, "too large"),
    ],
)
def test_malformed_messages_get_a_400_naming_the_accepted_actions_and_change_nothing(world, body, fragment):
    clients, handler = world
    _connect(handler, "c1", "alice")
    response = _send(handler, "c1", "alice", body)
    assert response["statusCode"] == 400
    error = json.loads(response["body"])
    assert error["type"] == "error" and fragment in error["message"] and error["errorId"]
    assert error["acceptedActions"] == ["query", "reply", "cancel", "resume"]
    assert clients.stepfunctions.started == []
    assert clients.dynamodb.scan(TableName=clients.names.sessions_table)["Items"] == []


def _await_prompt(clients, session_id: str, token: str = "token-1") -> None:
    """Put the session where SendPrompt leaves it: waiting for the user's reply with ``token``."""
    clients.dynamodb.update_item(
        TableName=clients.names.sessions_table,
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET promptToken = :t, promptCallId = :c, #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":t": {"S": token}, ":c": {"S": "call_1"}, ":w": {"S": "awaiting_reply"}},
    )


def test_another_user_cannot_reply_cancel_resume_or_continue_a_session(world):
    clients, handler = world
    session_id = _start(clients, handler)
    _await_prompt(clients, session_id)
    _connect(handler, "m1", "mallory")
    for body in (
        {"action": "reply", "sessionId": session_id, "text": "hi"},
        {"action": "cancel", "sessionId": session_id},
        {"action": "resume", "sessionId": session_id, "afterSeq": 0},
        {"action": "query", "sessionId": session_id, "text": "mine now"},
    ):
        assert _send(handler, "m1", "mallory", body)["statusCode"] == 403
    assert _connect(handler, "m2", "mallory", {"sessionId": session_id, "afterSeq": "0"})["statusCode"] == 403
    assert clients.stepfunctions.successes == [] and clients.stepfunctions.stopped == []
    assert "m1" not in clients.management.frames and "m2" not in clients.management.frames
    assert session_item(clients, session_id)["promptToken"]["S"] == "token-1"


def test_reply_resumes_the_waiting_prompt_once(world):
    clients, handler = world
    session_id = _start(clients, handler)
    _await_prompt(clients, session_id)
    reply = {"action": "reply", "sessionId": session_id, "text": "lalonde_nsw please"}
    assert _send(handler, "c1", "alice", reply) == {"statusCode": 200}
    success = clients.stepfunctions.successes[-1]
    assert success["token"] == "token-1"
    output = success["output"]
    assert (output["tool"], output["call_id"], output["ok"]) == ("ask_user", "call_1", True)
    assert output["result"] == {"reply": "lalonde_nsw please"}
    assert session_item(clients, session_id)["status"]["S"] == "running"
    second = _send(handler, "c1", "alice", reply)
    assert second["statusCode"] == 409 and "no question is waiting" in json.loads(second["body"])["message"]


def test_reply_to_an_expired_prompt_says_so(world):
    clients, handler = world
    session_id = _start(clients, handler)
    clients.stepfunctions.expired_tokens.add("old")
    _await_prompt(clients, session_id, token="old")
    response = _send(handler, "c1", "alice", {"action": "reply", "sessionId": session_id, "text": "x"})
    assert response["statusCode"] == 409 and "expired" in json.loads(response["body"])["message"]


def test_cancel_stops_the_execution_and_tells_the_client(world):
    clients, handler = world
    session_id = _start(clients, handler)
    assert _send(handler, "c1", "alice", {"action": "cancel", "sessionId": session_id}) == {"statusCode": 200}
    assert clients.stepfunctions.stopped == [session_item(clients, session_id)["executionArn"]["S"]]
    last = clients.management.frames["c1"][-1]
    assert last["type"] == "error" and "Cancelled" in last["message"]
    assert session_item(clients, session_id)["status"]["S"] == "cancelled"
    again = _send(handler, "c1", "alice", {"action": "cancel", "sessionId": session_id})
    assert again["statusCode"] == 409
    # A finished session can take a follow-up question.
    follow = _send(handler, "c1", "alice", {"action": "query", "sessionId": session_id, "text": "and for age?"})
    assert follow == {"statusCode": 200} and clients.stepfunctions.started[-1]["input"]["sessionId"] == session_id


def test_a_busy_session_refuses_a_second_question(world):
    clients, handler = world
    session_id = _start(clients, handler)
    busy = _send(handler, "c1", "alice", {"action": "query", "sessionId": session_id, "text": "another"})
    assert busy["statusCode"] == 409


def test_frames_missed_while_disconnected_are_replayed_in_order_exactly_once(world):
    clients, handler = world
    session_id = _start(clients, handler)
    clients.outbox.send(session_id, {"type": "progress", "stage": "plan", "message": "one"})
    assert handler(ws_event("$disconnect", "c1", "alice"), None) == {"statusCode": 200}
    assert "connectionId" not in session_item(clients, session_id)
    for message in ("two", "three"):
        clients.outbox.send(session_id, {"type": "progress", "stage": "plan", "message": message})
    seen = [f["seq"] for f in clients.management.frames["c1"]]
    assert seen == [1, 2]

    _connect(handler, "c2", "alice")
    assert _send(handler, "c2", "alice", {"action": "resume", "sessionId": session_id, "afterSeq": 2}) == {
        "statusCode": 200
    }
    assert [f["message"] for f in clients.management.frames["c2"]] == ["two", "three"]
    clients.outbox.send(session_id, {"type": "progress", "stage": "plan", "message": "four"})
    assert [f["seq"] for f in clients.management.frames["c2"]] == [3, 4, 5]
    assert [f["seq"] for f in frames(clients, session_id)] == [1, 2, 3, 4, 5]


def test_connect_with_session_in_the_query_string_resumes(world):
    clients, handler = world
    session_id = _start(clients, handler)
    clients.management.gone.add("c1")
    clients.outbox.send(session_id, {"type": "progress", "stage": "plan", "message": "missed"})
    assert _connect(handler, "c3", "alice", {"sessionId": session_id, "afterSeq": "1"})["statusCode"] == 200
    assert [f["message"] for f in clients.management.frames["c3"]] == ["missed"]
    assert session_item(clients, session_id)["connectionId"]["S"] == "c3"


def test_messages_need_a_signed_in_user(world):
    clients, handler = world
    response = _send(handler, "anon", None, {"action": "query", "text": "hi"})
    assert response["statusCode"] == 403


def _offer(clients, session_id: str, options: list[dict]) -> None:
    clients.dynamodb.update_item(
        TableName=clients.names.sessions_table,
        Key={"sessionId": {"S": session_id}},
        UpdateExpression="SET promptOptions = :o",
        ExpressionAttributeValues={":o": {"S": json.dumps(options)}},
    )


TIMING_CHOICES = [
    {"id": "before", "label": "Measured before the treatment: keep adjusting", "effect": "it stays a control"},
    {"id": "after", "label": "Measured after: leave it out", "effect": "it is not adjusted for"},
]


def test_a_reply_by_option_id_sends_the_choice_and_its_label(world):
    clients, handler = world
    session_id = _start(clients, handler)
    _await_prompt(clients, session_id)
    _offer(clients, session_id, TIMING_CHOICES)
    assert _send(handler, "c1", "alice", {"action": "reply", "sessionId": session_id, "optionId": "after"}) == {
        "statusCode": 200
    }
    output = clients.stepfunctions.successes[-1]["output"]
    assert output["result"] == {"reply": "Measured after: leave it out", "optionId": "after"}
    assert "promptOptions" not in session_item(clients, session_id)


def test_an_unknown_option_id_is_refused_and_the_prompt_keeps_waiting(world):
    clients, handler = world
    session_id = _start(clients, handler)
    _await_prompt(clients, session_id)
    _offer(clients, session_id, TIMING_CHOICES)
    response = _send(handler, "c1", "alice", {"action": "reply", "sessionId": session_id, "optionId": "maybe"})
    assert response["statusCode"] == 400
    message = json.loads(response["body"])["message"]
    assert "maybe" in message and "before, after" in message
    assert clients.stepfunctions.successes == []
    assert session_item(clients, session_id)["promptToken"]["S"] == "token-1"


def test_a_reply_needs_text_or_an_option_but_not_both(world):
    clients, handler = world
    session_id = _start(clients, handler)
    _await_prompt(clients, session_id)
    for body in (
        {"action": "reply", "sessionId": session_id},
        {"action": "reply", "sessionId": session_id, "text": "keep it", "optionId": "before"},
    ):
        response = _send(handler, "c1", "alice", body)
        assert response["statusCode"] == 400 and "optionId" in json.loads(response["body"])["message"]
    assert clients.stepfunctions.successes == []
