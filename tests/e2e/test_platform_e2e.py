"""The platform as an operator meets it: `causal-stack up`, the old stack's
`awslocal` commands, doctor/status, and a clean stop."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import boto3
import psutil
import pytest
from stack_support import CLI, start_stack, stop_stack
from support import ROOT

from causal_common.names import FUNCTIONS, ResourceNames

pytestmark = pytest.mark.slow
NAMES = ResourceNames()
AWSLOCAL = ROOT / ".venv" / "bin" / "awslocal"


def awslocal(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AWSLOCAL), "--region", "eu-central-1", *args], env=stack.env(), capture_output=True, text=True, timeout=60
    )


def test_every_function_is_active_as_the_old_operator_command_shows(stack):
    for function in FUNCTIONS:
        result = awslocal(
            stack,
            "lambda",
            "get-function",
            "--function-name",
            NAMES.function(function),
            "--query",
            "Configuration.[State,StateReason]",
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)[0] == "Active", (function, result.stdout)


# What each function does with an empty event. The state machine's own steps refuse it in Lambda's
# error shape; data-query answers every call with a tool outcome (errors included); the two ending
# steps are where failures end up, so they always succeed, closing the session as failed/timed out;
# task-stopped takes only EventBridge's ECS Task State Change event.
EMPTY_EVENT_ANSWERS = {
    "websocket-handler": "refused",
    "parse-initial-query": "refused",
    "invoke-llm": "refused",
    "dispatch-tool": "refused",
    "send-prompt": "refused",
    "append-tool-output": "refused",
    "handle-finish": "refused",
    "data-query": "tool error",
    "handle-error": "failed",
    "handle-timeout": "timed_out",
    "task-stopped": "refused",  # not an ECS Task State Change event
}


def test_every_function_answers_an_invoke(stack):
    assert set(EMPTY_EVENT_ANSWERS) == set(FUNCTIONS)
    lam = boto3.client("lambda", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    for function, expected in EMPTY_EVENT_ANSWERS.items():
        response = lam.invoke(FunctionName=NAMES.function(function), Payload=b"{}")
        payload = json.loads(response["Payload"].read())
        if expected == "refused":
            # Refused with the function's own error, never by a crash of the runtime.
            assert response.get("FunctionError"), (function, payload)
            assert not payload["errorType"].startswith("Runtime."), (function, payload)
            assert payload["errorMessage"], (function, payload)
        elif expected == "tool error":
            assert "FunctionError" not in response, (function, payload)
            assert payload["ok"] is False and "dataset" in payload["error"], (function, payload)
        else:
            assert "FunctionError" not in response, (function, payload)
            assert payload["status"] == expected and payload["errorId"], (function, payload)


def test_old_start_execution_command_without_a_name_runs(stack):
    result = awslocal(
        stack,
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        NAMES.state_machine_arn,
        "--input",
        json.dumps(
            {
                "sessionId": "test",
                "query": {"text": "test"},
                "networkConfig": {"subnets": ["subnet-local"], "securityGroups": ["sg-local"]},
            }
        ),
    )
    assert result.returncode == 0, result.stderr
    execution_arn = json.loads(result.stdout)["executionArn"]
    assert not execution_arn.endswith(":None")
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    deadline = time.monotonic() + 60
    frames = []
    while time.monotonic() < deadline and not frames:
        frames = dynamodb.query(
            TableName=NAMES.pending_messages_table,
            KeyConditionExpression="sessionId = :s",
            ExpressionAttributeValues={":s": {"S": "test"}},
        )["Items"]
        time.sleep(0.2)
    assert frames, "the execution's frames land in pending-messages"
    session = dynamodb.get_item(TableName=NAMES.sessions_table, Key={"sessionId": {"S": "test"}}).get("Item")
    assert session is not None


def test_doctor_and_status_report_a_healthy_stack(stack):
    doctor = subprocess.run([str(CLI), "doctor"], env=stack.env(), capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    status = subprocess.run([str(CLI), "status"], env=stack.env(), capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    assert NAMES.function("invoke-llm") in status.stdout


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_second_stack_runs_beside_the_first_and_stops_without_leftovers(stack):
    second = start_stack()
    children = psutil.Process(second.process.pid).children(recursive=True)
    assert children, "up runs its services as child processes"
    assert _listening(second.gateway_port) and _listening(stack.gateway_port)
    stop_stack(second)
    assert second.process.returncode == 0, "".join(second.output[-20:])
    time.sleep(0.5)
    assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    for port in (second.aws_port, second.gateway_port, second.ecs_port):
        assert not _listening(port)


def test_ctrl_c_while_starting_stops_everything(tmp_path):
    from support import free_port

    ports = [free_port() for _ in range(3)]
    process = subprocess.Popen(
        [
            str(CLI),
            "up",
            "--aws-port",
            str(ports[0]),
            "--gateway-port",
            str(ports[1]),
            "--ecs-port",
            str(ports[2]),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first = process.stdout.readline()
    assert "starting" in first
    time.sleep(0.5)
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(2)  # SIGINT, as Ctrl-C sends
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert "ready" not in output
    time.sleep(0.5)
    assert not [child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE]
    for port in ports:
        assert not _listening(port)
