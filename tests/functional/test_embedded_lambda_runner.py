"""The local Lambda runner behind the embedded emulator, driven through boto3."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from support import ROOT, running_emulator

HANDLERS = """
import json, os, sys, time, logging
logger = logging.getLogger()
STATE = {"calls": 0}

def echo(event, context):
    STATE["calls"] += 1
    print("printed line")
    logger.info("logged line for %s", event.get("who"))
    return {"event": event, "calls": STATE["calls"], "pid": os.getpid(),
            "requestId": context.aws_request_id, "remaining": context.get_remaining_time_in_millis(),
            "env": os.environ.get("GREETING"), "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
            "version": VERSION}

class CustomError(Exception):
    pass

def fail(event, context):
    raise CustomError("it went wrong")

def sleepy(event, context):
    time.sleep(event.get("seconds", 5))
    return "woke"

def crash(event, context):
    os._exit(3)

def not_json(event, context):
    return {1, 2}

def uses_boto3(event, context):
    import boto3
    return boto3.client("s3").list_buckets()["Buckets"] is not None

def uses_site_package(event, context):
    import fastapi  # not in the zip: must not leak in from the host
    return "leaked"

VERSION = "v1"
"""


def make_zip(source: str = HANDLERS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running_emulator() as url:
        yield url


@pytest.fixture(scope="module")
def lambda_client(emulator):
    iam = boto3.client("iam", endpoint_url=emulator, region_name="eu-central-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            }
        ],
    }
    for role in ("lambda", "sfn"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    return boto3.client(
        "lambda",
        endpoint_url=emulator,
        region_name="eu-central-1",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


def create(
    lambda_client, name: str, handler: str, timeout: int = 3, env: dict | None = None, code: bytes | None = None
):
    lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/lambda",
        Handler=handler,
        Code={"ZipFile": code or make_zip()},
        Timeout=timeout,
        Environment={"Variables": env or {}},
    )


def invoke(lambda_client, name: str, event: dict | None = None):
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_handler_runs_warm_with_env_context_and_endpoint(lambda_client, emulator):
    create(lambda_client, "echo", "handler.echo", env={"GREETING": "hello"})
    assert lambda_client.get_function(FunctionName="echo")["Configuration"]["State"] == "Active"
    error, first = invoke(lambda_client, "echo", {"who": "alice"})
    assert error is None
    assert first["event"] == {"who": "alice"}
    assert first["env"] == "hello"
    assert first["endpoint"] == emulator
    assert 0 < first["remaining"] <= 3000
    _, second = invoke(lambda_client, "echo", {"who": "bob"})
    assert second["pid"] == first["pid"], "the second invoke reuses the warm worker"
    assert second["calls"] == 2
    assert second["requestId"] != first["requestId"]


def test_logs_go_to_cloudwatch(lambda_client, emulator):
    create(lambda_client, "logged", "handler.echo")
    invoke(lambda_client, "logged", {"who": "carol"})
    logs = boto3.client("logs", endpoint_url=emulator, region_name="eu-central-1")
    deadline = time.monotonic() + 5
    messages: list[str] = []
    while time.monotonic() < deadline and not any("REPORT" in m for m in messages):
        events = logs.filter_log_events(logGroupName="/aws/lambda/logged")["events"]
        messages = [event["message"] for event in events]
    assert any(m.startswith("START RequestId:") for m in messages)
    assert "printed line" in messages
    assert any("logged line for carol" in m for m in messages)
    assert any(m.startswith("REPORT RequestId:") and "Duration:" in m for m in messages)


def test_exception_comes_back_in_lambda_error_shape(lambda_client):
    create(lambda_client, "fail", "handler.fail")
    error, payload = invoke(lambda_client, "fail")
    assert error
    assert payload["errorType"] == "CustomError"
    assert payload["errorMessage"] == "it went wrong"
    assert any("raise CustomError" in frame for frame in payload["stackTrace"])
    # The worker survives a handled exception.
    assert invoke(lambda_client, "fail")[1]["errorType"] == "CustomError"


def test_timeout_kills_the_worker_and_the_next_invoke_works(lambda_client):
    create(lambda_client, "sleepy", "handler.sleepy", timeout=1)
    started = time.monotonic()
    error, payload = invoke(lambda_client, "sleepy", {"seconds": 30})
    assert time.monotonic() - started < 15
    assert error
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert invoke(lambda_client, "sleepy", {"seconds": 0}) == (None, "woke")


def test_crashing_worker_reports_exit_and_is_replaced(lambda_client):
    create(lambda_client, "crash", "handler.crash")
    error, payload = invoke(lambda_client, "crash")
    assert error
    assert payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in payload["errorMessage"]
    error, payload = invoke(lambda_client, "crash")
    assert payload["errorType"] == "Runtime.ExitError", "a fresh worker ran the next invoke"


def test_missing_module_and_handler_are_init_errors(lambda_client):
    create(lambda_client, "nomodule", "missing.handler")
    error, payload = invoke(lambda_client, "nomodule")
    assert error and payload["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'missing'" in payload["errorMessage"]
    create(lambda_client, "nohandler", "handler.absent")
    error, payload = invoke(lambda_client, "nohandler")
    assert error and payload["errorType"] == "Runtime.HandlerNotFound"


def test_unserialisable_result_is_a_marshal_error(lambda_client):
    create(lambda_client, "notjson", "handler.not_json")
    error, payload = invoke(lambda_client, "notjson")
    assert error and payload["errorType"] == "Runtime.MarshalError"


def test_runtime_has_boto3_but_not_host_site_packages(lambda_client):
    create(lambda_client, "boto", "handler.uses_boto3")
    assert invoke(lambda_client, "boto") == (None, True)
    create(lambda_client, "leak", "handler.uses_site_package")
    error, payload = invoke(lambda_client, "leak")
    assert error and payload["errorType"] == "ModuleNotFoundError"


def test_code_and_configuration_updates_replace_the_worker(lambda_client):
    create(lambda_client, "updated", "handler.echo", env={"GREETING": "one"})
    _, before = invoke(lambda_client, "updated")
    lambda_client.update_function_code(FunctionName="updated", ZipFile=make_zip(HANDLERS.replace('"v1"', '"v2"')))
    _, after_code = invoke(lambda_client, "updated")
    assert after_code["version"] == "v2"
    assert after_code["pid"] != before["pid"]
    lambda_client.update_function_configuration(FunctionName="updated", Environment={"Variables": {"GREETING": "two"}})
    _, after_config = invoke(lambda_client, "updated")
    assert after_config["env"] == "two"
    assert after_config["pid"] != after_code["pid"]


def test_bad_zip_is_a_clear_error(lambda_client):
    create(lambda_client, "badzip", "handler.echo", code=b"PK-not-really-a-zip")
    error, payload = invoke(lambda_client, "badzip")
    assert error and payload["errorType"] == "Runtime.InvalidZip"


def test_stack_keeps_serving_after_failures(lambda_client):
    assert invoke(lambda_client, "echo", {"who": "dave"})[0] is None


def test_state_machine_runs_lambda_tasks_and_unnamed_executions_get_uuids(lambda_client, emulator):
    create(lambda_client, "sm-echo", "handler.echo")
    create(lambda_client, "sm-fail", "handler.fail")
    arn = "arn:aws:lambda:eu-central-1:000000000000:function:"
    definition = {
        "StartAt": "Echo",
        "States": {
            "Echo": {"Type": "Task", "Resource": arn + "sm-echo", "ResultPath": "$.echo", "Next": "Fail"},
            "Fail": {
                "Type": "Task",
                "Resource": arn + "sm-fail",
                "Catch": [{"ErrorEquals": ["CustomError"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    sfn = boto3.client("stepfunctions", endpoint_url=emulator, region_name="eu-central-1")
    machine = sfn.create_state_machine(
        name="runner-test", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/sfn"
    )["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=machine, input='{"who": "eve"}')["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, input='{"who": "eve"}')["executionArn"]
    assert first != second and not first.endswith(":None")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=first)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["echo"]["event"]["who"] == "eve"
    assert output["error"]["Error"] == "CustomError"


def test_json_logs_are_written_once_and_memory_is_the_workers_own(lambda_client, emulator):
    source = (
        "import logging\nfrom causal_common import log\n"
        "def handler(event, context):\n"
        "    log.configure('INFO')\n"
        "    logging.getLogger('probe').info('exactly once %s', 42)\n"
        "    return 'ok'\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
        for path in (ROOT / "lambdas" / "causal_common").rglob("*.py"):
            archive.write(path, str(path.relative_to(ROOT / "lambdas")))
    # causal_common needs pydantic only in modules this handler does not import.
    create(lambda_client, "jsonlogs", "handler.handler", code=buffer.getvalue())
    assert invoke(lambda_client, "jsonlogs") == (None, "ok")
    logs = boto3.client("logs", endpoint_url=emulator, region_name="eu-central-1")
    deadline = time.monotonic() + 5
    messages: list[str] = []
    while time.monotonic() < deadline and not any(m.startswith("REPORT") for m in messages):
        messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/jsonlogs")["events"]]
    lines = [m for m in messages if "exactly once 42" in m]
    assert len(lines) == 1, lines
    assert json.loads(lines[0])["logger"] == "probe"
    report = next(m for m in messages if m.startswith("REPORT"))
    used = int(report.split("Max Memory Used: ")[1].split()[0])
    assert used < 200, "the worker's own peak, not the emulator's"
