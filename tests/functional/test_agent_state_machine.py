"""agent-sm itself, run by moto's ASL interpreter in-process, its Lambda tasks calling our handlers.

moto never runs Lambda code without Docker, so ``LambdaFunction._invoke_lambda``
(the seam the embedded stack's runner also replaces) is patched to call the
handler in this process; the ECS task is played by a thread that answers the
task token the way the real tasks do (SendTaskSuccess / SendTaskFailure).
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

import support
from functional.test_agent_support import (
    LALONDE,
    REGION,
    SYNTHETIC,
    create_resources,
    fake_causal,
    fake_data_query,
    fake_eda,
    frames,
    make_clients,
    session_item,
    ws_event,
)
from causal_common.names import FUNCTIONS

pytestmark = pytest.mark.slow
WAIT_SECONDS = 60


class EcsTaskPlayer:
    """Wraps the ECS client: after run_task, a thread reports the job like an ECS task would."""

    def __init__(self, ecs: Any, clients: Any) -> None:
        self._ecs, self._clients = ecs, clients
        self.fail_tools: set[str] = set()
        self.threads: list[threading.Thread] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ecs, name)

    def run_task(self, **request: Any) -> dict:
        response = self._ecs.run_task(**request)
        job_id = request["overrides"]["containerOverrides"][0]["environment"][0]["value"]
        thread = threading.Thread(target=self._report, args=(job_id,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return response

    def _report(self, job_id: str) -> None:
        time.sleep(0.2)
        names, dynamodb = self._clients.names, self._clients.dynamodb
        job = dynamodb.get_item(TableName=names.jobs_table, Key={"jobId": {"S": job_id}})["Item"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        tool = job["tool"]["S"]
        if tool in self.fail_tools:
            sfn.send_task_failure(taskToken=job["taskToken"]["S"], error="ToolError", cause="exit code 1")
            return
        outcome = fake_eda(job) if tool == "eda" else fake_causal(job)
        sfn.send_task_success(taskToken=job["taskToken"]["S"], output=json.dumps(outcome))


@pytest.fixture
def stack(monkeypatch):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = make_clients(monkeypatch, fake_stepfunctions=False)
        create_resources(clients, [LALONDE, SYNTHETIC])
        player = EcsTaskPlayer(clients.ecs, clients)
        clients.ecs = player
        handlers = {name: support.load_lambda_module(name).handler for name in FUNCTIONS if name != "data-query"}
        handlers["data-query"] = lambda event, context: fake_data_query(event)
        prefix = clients.names.prefix

        def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            handler = handlers[self.function_name[len(prefix):]]
            try:
                return json.dumps(handler(event if isinstance(event, dict) else json.loads(event or "{}"), None)), False, ""
            except Exception as exc:  # noqa: BLE001 — mapped like the Lambda runtime does
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

        monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="agent", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        definition = (support.LAMBDAS / "state-machine.asl.json").read_text()
        for name in FUNCTIONS:
            arn = lam.create_function(FunctionName=clients.names.function(name), Runtime="python3.12", Role=role,
                                      Handler="handler.handler", Code={"ZipFile": code.getvalue()})["FunctionArn"]
            definition = definition.replace("${FunctionArn:%s}" % name, arn)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sfn.create_state_machine(name=clients.names.state_machine, definition=definition, roleArn=role)
        yield clients, handlers, player, sfn


def _wait_for_end(sfn: Any, execution_arn: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{execution_arn} still running")


def _wait_for_frame(clients: Any, session_id: str, kind: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = [f for f in frames(clients, session_id) if f["type"] == kind]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no {kind} frame for {session_id}")


def _query(clients: Any, handlers: dict, body: dict, connection: str = "c1", user: str = "alice") -> str:
    handlers["websocket-handler"](ws_event("$connect", connection, user), None)
    assert handlers["websocket-handler"](ws_event("$default", connection, user, body=body), None)["statusCode"] == 200
    return clients.dynamodb.get_item(TableName=clients.names.connections_table,
                                     Key={"connectionId": {"S": connection}})["Item"]["sessionId"]["S"]


def test_a_question_runs_through_every_tool_to_an_answer(stack):
    clients, handlers, _, sfn = stack
    session_id = _query(clients, handlers, {"action": "query", "text": "What is the effect of treat on re78?",
                                             "datasetId": "lalonde_nsw"})
    ended = _wait_for_end(sfn, session_item(clients, session_id)["executionArn"]["S"])
    assert ended["status"] == "SUCCEEDED", ended
    pushed = clients.management.frames["c1"]
    assert [f["seq"] for f in pushed] == list(range(1, len(pushed) + 1))
    assert pushed[0]["type"] == "session" and pushed[-1]["type"] == "answer"
    assert pushed[-1]["result"]["estimate"] == pytest.approx(1794.34)
    assert [f["name"] for f in pushed if f["type"] == "tool" and f["status"] == "succeeded"] == \
        ["data_query", "eda", "causal_analysis"]
    jobs = clients.dynamodb.scan(TableName=clients.names.jobs_table)["Items"]
    assert sorted(j["tool"]["S"] for j in jobs) == ["causal_analysis", "eda"]
    assert all(j["taskArn"]["S"].startswith("arn:aws:ecs:") for j in jobs)


def test_a_prompt_is_resumed_by_the_users_reply(stack):
    clients, handlers, _, sfn = stack
    session_id = _query(clients, handlers, {"action": "query", "text": "effect of v0 on y"})
    prompt = _wait_for_frame(clients, session_id, "prompt")
    assert "synthetic_linear" in prompt["question"]
    reply = {"action": "reply", "sessionId": session_id, "text": "synthetic_linear"}
    assert handlers["websocket-handler"](ws_event("$default", "c1", "alice", body=reply), None)["statusCode"] == 200
    ended = _wait_for_end(sfn, session_item(clients, session_id)["executionArn"]["S"])
    assert ended["status"] == "SUCCEEDED"
    answer = _wait_for_frame(clients, session_id, "answer")
    assert (answer["result"]["treatment"], answer["result"]["outcome"]) == ("v0", "y")


def test_an_unanswered_prompt_times_out(stack):
    clients, _, _, sfn = stack
    started = sfn.start_execution(
        stateMachineArn=sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"], name="timeout-1",
        input=json.dumps({"sessionId": "t1", "userId": "alice", "promptTimeoutSeconds": 1,
                          "query": {"text": "hello"}}))
    ended = _wait_for_end(sfn, started["executionArn"])
    assert ended["status"] == "FAILED"
    last = frames(clients, "t1")[-1]
    assert last["type"] == "error" and "No reply came within 1 seconds" in last["message"]
    assert session_item(clients, "t1")["status"]["S"] == "timed_out"


def test_a_raising_lambda_ends_in_handle_error(stack, monkeypatch):
    clients, handlers, _, sfn = stack

    def broken(event, context):
        raise KeyError("boom")

    monkeypatch.setitem(handlers, "invoke-llm", broken)
    session_id = _query(clients, handlers, {"action": "query", "text": "effect of treat on re78",
                                             "datasetId": "lalonde_nsw"})
    ended = _wait_for_end(sfn, session_item(clients, session_id)["executionArn"]["S"])
    assert ended["status"] == "FAILED"
    error = clients.management.frames["c1"][-1]
    assert error["type"] == "error" and "KeyError" in error["message"] and error["errorId"] in error["message"]
    assert session_item(clients, session_id)["status"]["S"] == "failed"


def test_a_failed_ecs_task_goes_back_to_the_planner(stack):
    clients, handlers, player, sfn = stack
    player.fail_tools.add("causal_analysis")
    session_id = _query(clients, handlers, {"action": "query", "text": "effect of treat on re78",
                                             "datasetId": "lalonde_nsw"})
    ended = _wait_for_end(sfn, session_item(clients, session_id)["executionArn"]["S"])
    assert ended["status"] == "SUCCEEDED"
    pushed = clients.management.frames["c1"]
    assert ("causal_analysis", "failed") in [(f.get("name"), f.get("status")) for f in pushed]
    assert pushed[-1]["type"] == "answer" and pushed[-1]["result"] is None
    assert "causal_analysis step failed" in pushed[-1]["text"]


def test_the_old_stack_command_runs_without_a_connection(stack):
    clients, _, _, sfn = stack
    started = sfn.start_execution(
        stateMachineArn=sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"], name="old-stack",
        input=json.dumps({"sessionId": "test", "query": {"text": "test"},
                          "networkConfig": {"awsvpcConfiguration": {"subnets": ["subnet-1"],
                                                                    "assignPublicIp": "ENABLED"}}}))
    ended = _wait_for_end(sfn, started["executionArn"])
    assert ended["status"] == "SUCCEEDED"
    stored = frames(clients, "test")
    assert stored[-1]["type"] == "answer" and "lalonde_nsw" in stored[-1]["text"]
    assert json.loads(session_item(clients, "test")["result"]["S"])["text"] == stored[-1]["text"]
