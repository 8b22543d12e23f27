"""SFN_MOCK_CONFIG on the embedded emulator through boto3: ``<stateMachineArn>#<test case>`` mocks the
test case's Task states (Return, Throw, retries, waitForTaskToken), the others run for real."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from support import ROOT, create_execution_role, free_port, running_emulator

pytestmark = pytest.mark.slow

HANDLER = """
def echo(event, context):
    return {**event, "real": True}
"""

MOCK_CONFIG = {
    "StateMachines": {
        "mocked-sm": {
            "TestCases": {
                "HappyPath": {"First": "FirstReturns", "Wait": "CallbackReturns"},
                "RetryPath": {"First": "FirstFailsTwiceThenReturns", "Wait": "CallbackReturns"},
                "CatchPath": {"First": "FirstFails"},
                "ExhaustedPath": {"First": "FirstFailsOnce"},
            }
        },
        "mocked-redrive-sm": {"TestCases": {"FailsThenWorks": {"First": "FirstFailsThenReturns"}}},
    },
    "MockedResponses": {
        "FirstFailsThenReturns": {
            "0": {"Throw": {"Error": "BadThing", "Cause": "first run"}},
            "1": {"Return": {"StatusCode": 200, "Payload": {"mocked": "on redrive"}}},
        },
        "FirstReturns": {"0": {"Return": {"StatusCode": 200, "Payload": {"mocked": "first"}}}},
        "FirstFailsTwiceThenReturns": {
            "0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "down"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"mocked": "after retries"}}},
        },
        "FirstFailsOnce": {"0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "down"}}},
        "FirstFails": {"0": {"Throw": {"Error": "BadThing", "Cause": "mocked failure"}}},
        "CallbackReturns": {"0": {"Return": {"fromCallback": "mocked"}}},
    },
}


def definition(echo_arn: str) -> str:
    retry = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1.0}]
    return json.dumps(
        {
            "StartAt": "First",
            "States": {
                "First": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": echo_arn, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "Retry": retry,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
                    "Next": "Second",
                },
                "Second": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": echo_arn, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "Next": "Wait",
                },
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": echo_arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 5,
                    "ResultPath": "$.callback",
                    "End": True,
                },
                "Handled": {"Type": "Pass", "End": True},
            },
        }
    )


@pytest.fixture(scope="module")
def aws(tmp_path_factory) -> Iterator[dict[str, Any]]:
    path = tmp_path_factory.mktemp("mock") / "mock.json"
    path.write_text(json.dumps(MOCK_CONFIG))
    with running_emulator(env={"SFN_MOCK_CONFIG": str(path)}) as url:
        config = Config(retries={"max_attempts": 1})
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="eu-central-1", config=config)
        lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1", config=config)
        role = create_execution_role(url, "mock-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        echo = lam.create_function(
            FunctionName="echo",
            Runtime="python3.12",
            Handler="handler.echo",
            Role=role,
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
        arn = sfn.create_state_machine(name="mocked-sm", definition=definition(echo), roleArn=role)["stateMachineArn"]
        single = json.loads(definition(echo))
        single["States"] = {"First": {**single["States"]["First"], "End": True}}
        for key in ("Next", "Catch", "Retry"):
            single["States"]["First"].pop(key)
        redrive_arn = sfn.create_state_machine(name="mocked-redrive-sm", definition=json.dumps(single), roleArn=role)[
            "stateMachineArn"
        ]
        yield {"sfn": sfn, "arn": arn, "redrive_arn": redrive_arn}


def run(aws: dict[str, Any], case: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = aws["sfn"]
    execution = sfn.start_execution(stateMachineArn=f"{aws['arn']}#{case}", input=json.dumps({"n": 1}))["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.1)
    return described, sfn.get_execution_history(executionArn=execution)["events"]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def test_mocked_states_return_and_the_others_run(aws):
    described, events = run(aws, "HappyPath")
    assert described["status"] == "SUCCEEDED", described
    # First is mocked; Second (not in the test case) ran the real function on the mocked output;
    # Wait (waitForTaskToken) completed with its mocked Return without invoking anything.
    assert json.loads(described["output"]) == {"mocked": "first", "real": True, "callback": {"fromCallback": "mocked"}}
    assert [types(events).count(kind) for kind in ("TaskScheduled", "TaskStarted", "TaskSucceeded")] == [3, 3, 3]
    assert "#" not in described["executionArn"] and described["stateMachineArn"] == aws["arn"]
    assert "TaskSubmitted" in types(events)


def test_retries_take_the_responses_in_order(aws):
    described, events = run(aws, "RetryPath")
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["mocked"] == "after retries"
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["Lambda.ServiceException", "Lambda.ServiceException"]


def test_a_mocked_error_takes_the_catch(aws):
    described, events = run(aws, "CatchPath")
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["error"] == {"Error": "BadThing", "Cause": "mocked failure"}


def test_a_call_past_the_last_response_is_a_runtime_error_naming_the_state(aws):
    described, _events = run(aws, "ExhaustedPath")
    # The retry's call 1 has no response: States.Runtime, which this state's Catch (States.ALL) takes.
    error = json.loads(described["output"])["error"]
    assert error["Error"] == "States.Runtime"
    assert "state 'First' has no mocked response for call 1" in error["Cause"]


def test_a_redriven_test_case_keeps_its_mocks_and_takes_the_next_response(aws):
    sfn = aws["sfn"]
    execution = sfn.start_execution(stateMachineArn=f"{aws['redrive_arn']}#FailsThenWorks", input="{}")["executionArn"]
    assert wait(sfn, execution)["status"] == "FAILED"
    sfn.redrive_execution(executionArn=execution)
    described = wait(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"mocked": "on redrive"}


def wait(sfn: Any, execution: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.1)
    return described


def test_an_unknown_test_case_is_invalid_name(aws):
    with pytest.raises(ClientError) as raised:
        aws["sfn"].start_execution(stateMachineArn=f"{aws['arn']}#Nope", input="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidName"
    assert "'Nope'" in raised.value.response["Error"]["Message"]


def test_a_bad_file_stops_the_emulator_with_the_key_named(tmp_path: Path):
    path = tmp_path / "mock.json"
    path.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {"R": {"1": {"Return": {}}}}}))
    finished = subprocess.run(
        [sys.executable, "-m", "causal_embedded", "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, "SFN_MOCK_CONFIG": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "MockedResponses.R" in finished.stdout + finished.stderr
