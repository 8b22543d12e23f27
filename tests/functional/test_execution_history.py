"""An execution's history on the embedded emulator, read as the dashboard and `causal-stack executions` read it:
real events per state, every attempt with its Lambda request id (linked to that invocation's log lines), retries,
callbacks, and where the time went."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support import create_execution_role, running_emulator

from causal_dashboard.clients import AwsClients
from causal_dashboard.execution_history import fold, read_history
from causal_dashboard.functions import invocation_logs
from causal_dashboard.settings import DashboardSettings
from causal_deploy.config import DeployConfig
from causal_stack.executions import run

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HANDLER = """
import json
CALLS = {"flaky": 0}

def flaky(event, context):
    CALLS["flaky"] += 1
    print(json.dumps({"level": "INFO", "message": "flaky call", "call": CALLS["flaky"]}))
    if CALLS["flaky"] % 2 == 1:
        raise type("FlakyError", (Exception,), {})("every other call fails")
    return {"calls": CALLS["flaky"], "text": "x" * 2000}

def hand_over(event, context):
    print("handing over the token")
    return {"ok": True}

def boom(event, context):
    print("about to fail")
    raise ValueError("the data has no column 'dose'")
"""


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_emulator() as url:
        prefix = f"hist{uuid.uuid4().hex[:6]}-"
        config = Config(retries={"max_attempts": 1})
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="eu-central-1", config=config)
        lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1", config=config)
        role = create_execution_role(url, "history-role")
        arns = {}
        for short in ("flaky", "hand_over", "boom"):
            arns[short] = lam.create_function(
                FunctionName=f"{prefix}{short.replace('_', '-')}",
                Runtime="python3.12",
                Handler=f"handler.{short}",
                Role=role,
                Code={"ZipFile": _zip(HANDLER)},
            )["FunctionArn"]
        definition = {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {
                    "Type": "Pass",
                    "Result": {"question": "does it work?"},
                    "ResultPath": "$.prepared",
                    "Next": "Flaky",
                },
                "Flaky": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": arns["flaky"], "Payload.$": "$"},
                    "ResultSelector": {"calls.$": "$.Payload.calls", "text.$": "$.Payload.text"},
                    "ResultPath": "$.flaky",
                    "Retry": [{"ErrorEquals": ["FlakyError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                    "Next": "Route",
                },
                "Route": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.fail", "IsPresent": True, "Next": "Boom"}],
                    "Default": "WaitForJob",
                },
                "WaitForJob": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": arns["hand_over"], "Payload": {"token.$": "$$.Task.Token"}},
                    "ResultPath": "$.job",
                    "End": True,
                },
                "Boom": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": arns["boom"], "Payload.$": "$"},
                    "End": True,
                },
            },
        }
        machine = sfn.create_state_machine(name=f"{prefix}agent-sm", definition=json.dumps(definition), roleArn=role)[
            "stateMachineArn"
        ]
        yield {"url": url, "prefix": prefix, "sfn": sfn, "machine": machine}


def _wait(sfn: Any, arn: str, until: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"{arn} did not get there in {timeout} s"
        time.sleep(0.1)


def _run_to_callback_and_release(stack: dict[str, Any], name: str, hold_seconds: float) -> str:
    sfn = stack["sfn"]
    arn = sfn.start_execution(stateMachineArn=stack["machine"], name=name, input='{"user": "u1"}')["executionArn"]
    _wait(sfn, arn, lambda: any(e["type"] == "TaskSubmitted" for e in read_history(sfn, arn)))
    scheduled = [e for e in read_history(sfn, arn) if e["type"] == "TaskScheduled"][-1]
    token = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
    time.sleep(hold_seconds)
    sfn.send_task_success(taskToken=token, output='{"estimate": 1794}')
    _wait(sfn, arn, lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    return arn


def test_each_state_is_folded_with_its_attempts_retries_request_ids_and_time(stack) -> None:
    sfn = stack["sfn"]
    arn = _run_to_callback_and_release(stack, "sess1-aaaaaaaaaaaa", hold_seconds=0.4)
    path = fold(read_history(sfn, arn), sfn.describe_execution(executionArn=arn)["status"])

    assert [step["name"] for step in path["steps"]] == ["Prepare", "Flaky", "Route", "WaitForJob"]
    prepare, flaky, route, wait = path["steps"]
    assert json.loads(prepare["input"]) == {"user": "u1"}
    assert json.loads(prepare["output"])["prepared"] == {"question": "does it work?"}
    assert flaky["retries"] == 1 and [a["status"] for a in flaky["attempts"]] == ["failed", "succeeded"]
    assert flaky["attempts"][0]["error"] == "FlakyError" and flaky["status"] == "succeeded"
    assert all(UUID.match(attempt["requestId"] or "") for attempt in flaky["attempts"])
    assert flaky["attempts"][0]["requestId"] != flaky["attempts"][1]["requestId"]
    assert flaky["attempts"][1]["function"].endswith(f"function:{stack['prefix']}flaky")
    assert json.loads(flaky["output"])["flaky"]["calls"] % 2 == 0
    assert route["type"] == "Choice" and route["attempts"] == []
    handed = wait["attempts"][0]
    assert handed["submittedAt"] is not None and handed["endedAt"] - handed["submittedAt"] >= 400
    assert UUID.match(handed["requestId"] or "")
    assert json.loads(wait["output"])["job"] == {"estimate": 1794}

    summary = path["summary"]
    assert summary["waitingForCallbacksMs"] >= 400
    assert summary["waitingBetweenRetriesMs"] >= 900, "the retrier waited IntervalSeconds=1"
    parts = ("inTasksMs", "waitingForCallbacksMs", "waitingBetweenRetriesMs", "waitingForRedriveMs", "betweenStatesMs")
    assert sum(summary[part] for part in parts) == summary["totalMs"]
    for step in path["steps"]:
        assert step["enteredAt"] <= step["exitedAt"] and step["durationMs"] == step["exitedAt"] - step["enteredAt"]


def test_a_request_id_leads_to_that_invocations_log_lines(stack) -> None:
    sfn = stack["sfn"]
    arn = sfn.start_execution(stateMachineArn=stack["machine"], name="sess2-bbbbbbbbbbbb", input='{"fail": 1}')[
        "executionArn"
    ]
    _wait(sfn, arn, lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    path = fold(read_history(sfn, arn), "FAILED")
    boom = path["steps"][-1]
    assert boom["name"] == "Boom" and boom["status"] == "failed" and boom["error"] == "ValueError"
    assert "no column 'dose'" in boom["cause"] and path["failedStates"] == ["Boom"]
    clients = AwsClients(DashboardSettings(AWS_ENDPOINT_URL=stack["url"], RESOURCE_PREFIX=stack["prefix"]))
    attempt = boom["attempts"][0]
    logs = invocation_logs(clients, f"{stack['prefix']}boom", attempt["requestId"])
    assert any("about to fail" in line["message"] for line in logs["lines"])
    assert logs["invocation"]["requestId"] == attempt["requestId"]
    # The other invocation of the same function has lines of its own, not these.
    other = invocation_logs(clients, f"{stack['prefix']}boom", str(uuid.uuid4()))
    assert other["lines"] == [] and other["invocation"] is None


def test_the_cli_prints_states_payloads_errors_attempts_and_request_ids(stack) -> None:
    sfn = stack["sfn"]
    arn = sfn.start_execution(stateMachineArn=stack["machine"], name="sess3-cccccccccccc", input='{"fail": 1}')[
        "executionArn"
    ]
    _wait(sfn, arn, lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    config = DeployConfig(endpoint_url=stack["url"], resource_prefix=stack["prefix"], target="embedded")
    request_id = fold(read_history(sfn, arn), "FAILED")["steps"][-1]["attempts"][0]["requestId"]

    text = run(config, execution="sess3-cccccccccccc")
    assert text.splitlines()[0].startswith("execution sess3-cccccccccccc  FAILED")
    for expected in ("Prepare", "Flaky", "retries 1", "FlakyError", "Boom", f"request {request_id}", "ValueError"):
        assert expected in text
    assert '"fail": 1' in text, "inputs are pretty-printed"
    assert "more lines (--full shows all)" in text or "…" in text, "the 2000-character output is cut"
    assert "x" * 2000 in run(config, execution=arn, full=True)

    by_session = run(config, session="sess3")
    assert "sess3-cccccccccccc" in by_session and "sess2-" not in by_session
    listing = run(config)
    assert "sess3-cccccccccccc" in listing and "FAILED" in listing
    assert json.loads(run(config, execution=arn, as_json=True))["path"]["failedStates"] == ["Boom"]
