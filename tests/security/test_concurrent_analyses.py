"""Each user may have only so many analyses at once; one more gets a refusal frame naming the limit."""

from __future__ import annotations

import json

from functional.test_agent_support import ws_event
from functional.test_agent_websocket import world  # noqa: F401 - the websocket-handler fixture

from causal_agent.settings import AgentSettings


def limited_to_two(world):
    """The websocket-handler's world, with a limit of two analyses per user."""
    clients, handler = world
    clients.settings.max_concurrent_analyses = 2
    return clients, handler


def ask(handler, user: str, connection: str, **extra) -> dict:
    handler(ws_event("$connect", connection, user), None)
    body = {"action": "query", "text": "effect of treat on re78?", "datasetId": "lalonde_nsw", **extra}
    return handler(ws_event("$default", connection, user, body=body), None)


def sessions_of(clients, user: str) -> list[dict]:
    items = clients.dynamodb.scan(TableName=clients.names.sessions_table)["Items"]
    return [item for item in items if item.get("userId", {}).get("S") == user]


def set_status(clients, session_id: str, status: str, promptToken: str | None = None) -> None:  # noqa: N803
    values = {":s": {"S": status}}
    expression = "SET #s = :s"
    if promptToken:
        values[":t"] = {"S": promptToken}
        expression += ", promptToken = :t"
    clients.dynamodb.update_item(
        TableName=clients.names.sessions_table,
        Key={"sessionId": {"S": session_id}},
        UpdateExpression=expression,
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=values,
    )


def test_one_analysis_over_the_limit_is_refused_naming_the_limit_and_changes_nothing(world):
    clients, handler = limited_to_two(world)
    assert ask(handler, "alice", "c1") == {"statusCode": 200}
    assert ask(handler, "alice", "c2") == {"statusCode": 200}
    started = len(clients.stepfunctions.started)

    refused = ask(handler, "alice", "c3")

    assert refused["statusCode"] == 429
    frame = json.loads(refused["body"])
    assert frame["type"] == "error" and frame["errorId"]
    assert "at most 2 may run at once per user" in frame["message"]
    assert "AGENT_MAX_CONCURRENT_ANALYSES" in frame["message"] and "cancel" in frame["message"]
    assert len(clients.stepfunctions.started) == started, "no execution was started"
    assert len(sessions_of(clients, "alice")) == 2, "no session was created"
    assert ask(handler, "bob", "c4") == {"statusCode": 200}, "other users are not limited by alice's analyses"


def test_a_finished_analysis_or_an_abandoned_prompt_frees_its_place(world):
    clients, handler = limited_to_two(world)
    ask(handler, "carol", "c1")
    ask(handler, "carol", "c2")
    by_connection = {item["connectionId"]["S"]: item["sessionId"]["S"] for item in sessions_of(clients, "carol")}
    first, second = by_connection["c1"], by_connection["c2"]
    set_status(clients, first, "succeeded")
    set_status(clients, second, "awaiting_reply", promptToken="t-2")
    # Asking something new in the window that shows the unanswered prompt abandons it.
    assert ask(handler, "carol", "c2") == {"statusCode": 200}
    assert next(i for i in sessions_of(clients, "carol") if i["sessionId"]["S"] == second)["status"]["S"] == "abandoned"
    assert ask(handler, "carol", "c4") == {"statusCode": 200}
    assert ask(handler, "carol", "c5")["statusCode"] == 429
    # A follow-up in a finished session counts as one more analysis too.
    follow_up = ask(handler, "carol", "c1", sessionId=first)
    assert follow_up["statusCode"] == 429
    assert next(i for i in sessions_of(clients, "carol") if i["sessionId"]["S"] == first)["status"]["S"] == "succeeded"


def test_the_default_limit_is_three():
    assert AgentSettings.model_fields["max_concurrent_analyses"].default == 3


def test_the_deployer_passes_a_configured_limit_to_the_functions(monkeypatch):
    from causal_deploy.config import DeployConfig
    from causal_deploy.manifest import build_manifest

    def environment() -> dict[str, str]:
        functions = build_manifest(DeployConfig(), "000000000000").functions
        return next(spec for spec in functions if spec.short_name == "websocket-handler").environment

    monkeypatch.setenv("AGENT_MAX_CONCURRENT_ANALYSES", "5")
    assert environment()["AGENT_MAX_CONCURRENT_ANALYSES"] == "5"
    monkeypatch.delenv("AGENT_MAX_CONCURRENT_ANALYSES")
    assert "AGENT_MAX_CONCURRENT_ANALYSES" not in environment()
