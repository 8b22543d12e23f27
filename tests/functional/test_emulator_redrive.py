"""RedriveExecution on the embedded emulator through boto3, as AWS defines it: same ARN, resumes at the state
that failed with the input it had, succeeded states are not run again, redriveCount/redriveStatus reported."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support import create_execution_role, running_emulator

from causal_dashboard.execution_history import fold, read_history

HANDLER = """
import os
import time
CALLS = {"record": 0}

def record(event, context):
    CALLS["record"] += 1
    return {**event, "recorded": CALLS["record"]}

def flaky(event, context):
    if os.path.exists(event["failWhile"]):
        raise RuntimeError("the upstream service is down")
    return {**event, "flaky": "ok"}

def slow(event, context):
    if os.path.exists(event["slowWhile"]):
        time.sleep(2)
    return {**event, "slow": "done"}
"""


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    with running_emulator() as url:
        config = Config(retries={"max_attempts": 1})
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="eu-central-1", config=config)
        lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1", config=config)
        role = create_execution_role(url, "redrive-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        arns = {
            name: lam.create_function(
                FunctionName=name.replace("_", "-"),
                Runtime="python3.12",
                Handler=f"handler.{name}",
                Role=role,
                Code={"ZipFile": buffer.getvalue()},
            )["FunctionArn"]
            for name in ("record", "flaky", "slow")
        }

        def task(function: str, next_state: str | None) -> dict[str, Any]:
            state: dict[str, Any] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arns[function], "Payload.$": "$"},
                "OutputPath": "$.Payload",
            }
            return {**state, "Next": next_state} if next_state else {**state, "End": True}

        failing = {
            "StartAt": "Record",
            "States": {"Record": task("record", "Flaky"), "Flaky": task("flaky", "Done"), "Done": {"Type": "Succeed"}},
        }
        slow = {"StartAt": "Record", "States": {"Record": task("record", "Slow"), "Slow": task("slow", None)}}
        machines = {
            name: sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)[
                "stateMachineArn"
            ]
            for name, definition in (("failing", failing), ("slow", slow))
        }
        yield {"sfn": sfn, **machines}


def _settled(sfn: Any, arn: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)
    return described


def test_a_failed_execution_resumes_at_the_failed_state_under_the_same_arn(aws, tmp_path: Path) -> None:
    sfn = aws["sfn"]
    flag = tmp_path / "down"
    flag.touch()
    arn = sfn.start_execution(stateMachineArn=aws["failing"], input=json.dumps({"failWhile": str(flag)}))[
        "executionArn"
    ]
    failed = _settled(sfn, arn)
    assert failed["status"] == "FAILED" and failed["error"] == "RuntimeError"
    assert failed["redriveCount"] == 0 and failed["redriveStatus"] == "REDRIVABLE"
    assert "redriveStatusReason" not in failed
    first_events = read_history(sfn, arn)

    flag.unlink()
    redriven = sfn.redrive_execution(executionArn=arn)
    assert redriven["redriveDate"] >= failed["stopDate"]
    done = _settled(sfn, arn)
    assert done["executionArn"] == arn and done["status"] == "SUCCEEDED"
    assert done["redriveCount"] == 1 and done["redriveDate"] == redriven["redriveDate"]
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven."
    assert "error" not in done
    output = json.loads(done["output"])
    assert output["flaky"] == "ok" and output["recorded"] >= 1

    events = read_history(sfn, arn)
    assert events[: len(first_events)] == first_events, "the first attempt's history is kept"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    redrive_event = events[len(first_events)]
    assert redrive_event["type"] == "ExecutionRedriven"
    assert redrive_event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    entered = [e["stateEnteredEventDetails"] for e in events if e["type"].endswith("StateEntered")]
    assert [state["name"] for state in entered] == ["Record", "Flaky", "Flaky", "Done"], "Record is not run again"
    assert entered[1]["input"] == entered[2]["input"], "the failed state gets the input it had"

    path = fold(events, "SUCCEEDED")
    assert [entry["redriveCount"] for entry in path["redrives"]] == [1]
    assert [(step["name"], step["attempt"], step["status"]) for step in path["steps"]] == [
        ("Record", 0, "succeeded"),
        ("Flaky", 0, "failed"),
        ("Flaky", 1, "succeeded"),
        ("Done", 1, "succeeded"),
    ]
    assert path["error"] is None and path["summary"]["waitingForRedriveMs"] >= 0

    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable) as refused:
        sfn.redrive_execution(executionArn=arn)
    assert "SUCCEEDED" in refused.value.response["Error"]["Message"]
    listed = sfn.list_executions(stateMachineArn=aws["failing"], redriveFilter="REDRIVEN")["executions"]
    assert [(item["executionArn"], item["redriveCount"]) for item in listed] == [(arn, 1)]
    never = sfn.list_executions(stateMachineArn=aws["failing"], redriveFilter="NOT_REDRIVEN")["executions"]
    assert arn not in [item["executionArn"] for item in never]


def test_a_running_execution_is_refused_and_an_aborted_one_resumes_at_the_state_it_was_in(aws, tmp_path) -> None:
    sfn = aws["sfn"]
    flag = tmp_path / "slow"
    flag.touch()
    arn = sfn.start_execution(stateMachineArn=aws["slow"], input=json.dumps({"slowWhile": str(flag)}))["executionArn"]
    deadline = time.monotonic() + 30
    while not any(e.get("stateEnteredEventDetails", {}).get("name") == "Slow" for e in read_history(sfn, arn)):
        assert time.monotonic() < deadline, "the slow state never started"
        time.sleep(0.05)
    running = sfn.describe_execution(executionArn=arn)
    assert running["status"] == "RUNNING" and running["redriveStatus"] == "NOT_REDRIVABLE"
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven."
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=arn)

    # moto's interpreter ends a stopped execution when its running task returns.
    sfn.stop_execution(executionArn=arn)
    aborted = _settled(sfn, arn)
    assert aborted["status"] == "ABORTED" and aborted["redriveStatus"] == "REDRIVABLE"
    flag.unlink()
    sfn.redrive_execution(executionArn=arn)
    done = _settled(sfn, arn)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["slow"] == "done"
    entered = [e["stateEnteredEventDetails"]["name"] for e in read_history(sfn, arn) if e["type"].endswith("Entered")]
    assert entered == ["Record", "Slow", "Slow"]


def test_an_unknown_execution_is_execution_does_not_exist(aws) -> None:
    sfn = aws["sfn"]
    missing = aws["failing"].replace(":stateMachine:", ":execution:") + ":never-started"
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.redrive_execution(executionArn=missing)
