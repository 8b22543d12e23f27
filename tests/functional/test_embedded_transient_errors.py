"""What moto's ASL interpreter sees when the embedded Lambda service fails, and that the agent's Retry runs."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from support import ROOT, create_execution_role, running_emulator

ASL = json.loads((ROOT / "lambdas" / "state-machine.asl.json").read_text())
# The agent's own retrier for AWS's transient Lambda errors.
RETRIER = next(r for r in ASL["States"]["ParseInitialQuery"]["Retry"] if "Lambda.ServiceException" in r["ErrorEquals"])

FLAKY = """
STATE = {"calls": 0}

def flaky(event, context):
    STATE["calls"] += 1
    if STATE["calls"] == 1:
        raise type("Lambda.TooManyRequestsException", (Exception,), {})("throttled once")
    return {"calls": STATE["calls"]}
"""


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def aws() -> Iterator[dict]:
    with running_emulator() as url:

        def client(service):
            return boto3.client(
                service, endpoint_url=url, region_name="eu-central-1", config=Config(retries={"max_attempts": 1})
            )

        create_execution_role(url, "role")
        yield {"lambda": client("lambda"), "sfn": client("stepfunctions")}


def _machine(aws, name: str, function_arn: str) -> str:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "Retry": [RETRIER],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    return aws["sfn"].create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/role"
    )["stateMachineArn"]


def _run(aws, machine_arn: str) -> tuple[dict, list[dict]]:
    execution = aws["sfn"].start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = aws["sfn"].describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described, aws["sfn"].get_execution_history(executionArn=execution)["events"]
        time.sleep(0.2)
    raise AssertionError("the execution did not end within 60 s")


def test_a_failing_lambda_service_is_lambda_service_exception_and_is_retried(aws):
    # A file name no file system accepts: the runner cannot unpack the code (an OSError in the service).
    code = _zip({"handler.py": "def h(e, c):\n    return 1\n", "x" * 300: ""})
    function = aws["lambda"].create_function(
        FunctionName="unpackable",
        Runtime="python3.12",
        Handler="handler.h",
        Role="arn:aws:iam::000000000000:role/role",
        Code={"ZipFile": code},
    )
    with pytest.raises(aws["lambda"].exceptions.ServiceException):
        aws["lambda"].invoke(FunctionName="unpackable", Payload=b"{}")

    described, events = _run(aws, _machine(aws, "service-failure", function["FunctionArn"]))

    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failures == ["Lambda.ServiceException"] * RETRIER["MaxAttempts"] + ["Lambda.ServiceException"]
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["error"]["Error"] == "Lambda.ServiceException", "then the Catch ran"


def test_a_throttled_call_is_retried_and_succeeds(aws):
    function = aws["lambda"].create_function(
        FunctionName="flaky",
        Runtime="python3.12",
        Handler="handler.flaky",
        Role="arn:aws:iam::000000000000:role/role",
        Code={"ZipFile": _zip({"handler.py": FLAKY})},
    )

    described, events = _run(aws, _machine(aws, "throttled-once", function["FunctionArn"]))

    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failures == ["Lambda.TooManyRequestsException"]
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"calls": 2}
