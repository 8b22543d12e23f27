"""A Lambda worker that dies while idle costs no question; one that dies mid-invoke fails only that invoke."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator

import boto3
import psutil
import pytest
from botocore.config import Config
from functional.test_embedded_lambda_runner import make_zip
from security.conftest import signed_headers
from support import create_execution_role, running_emulator

HANDLER = """
import os, time

def pid(event, context):
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running_emulator() as url:
        yield url


@pytest.fixture(scope="module")
def lambda_client(emulator):
    role = create_execution_role(emulator, "lambda")
    client = boto3.client(
        "lambda",
        endpoint_url=emulator,
        region_name="eu-central-1",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )
    client.create_function(
        FunctionName="pid",
        Runtime="python3.12",
        Role=role,
        Handler="handler.pid",
        Code={"ZipFile": make_zip(HANDLER)},
        Timeout=10,
    )
    return client


def _invoke(client, event: dict | None = None) -> tuple[str | None, dict]:
    response = client.invoke(FunctionName="pid", Payload=json.dumps(event or {}).encode())
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def _kill_and_wait_gone(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.02)
    raise AssertionError(f"worker {pid} still runs 10 s after SIGKILL")


def _status(emulator: str) -> dict:
    url = f"{emulator}/moto-api/causal/lambda-workers"
    headers = signed_headers("GET", url, "test", "test", service="moto-api")
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return json.load(response)


def test_ten_killed_idle_workers_cost_no_question(lambda_client, emulator):
    error, first = _invoke(lambda_client)
    assert error is None, first
    pid = first["pid"]
    for _ in range(10):
        _kill_and_wait_gone(pid)
        error, payload = _invoke(lambda_client)
        assert error is None, f"the invoke after a killed idle worker failed: {payload}"
        assert payload["pid"] != pid, "a new worker answered"
        pid = payload["pid"]
    deaths = {entry["functionName"]: entry for entry in _status(emulator)["deaths"]}
    assert deaths["pid"]["diedIdle"] >= 10
    assert "kill" in deaths["pid"]["lastReason"]


def test_a_dead_idle_worker_is_replaced_before_anyone_asks(lambda_client, emulator):
    error, first = _invoke(lambda_client)
    assert error is None, first
    _kill_and_wait_gone(first["pid"])
    deadline = time.monotonic() + 20
    workers: dict = {}
    while time.monotonic() < deadline:
        workers = {entry["functionName"]: entry for entry in _status(emulator)["workers"]}
        if workers.get("pid", {}).get("idle"):
            break
        time.sleep(0.1)
    assert workers.get("pid", {}).get("idle") == 1, f"no warm replacement: {workers}"
    error, payload = _invoke(lambda_client)
    assert error is None and payload["pid"] != first["pid"]


def test_a_worker_killed_during_an_invoke_fails_that_invoke_as_lambda_does(lambda_client, emulator):
    error, warm = _invoke(lambda_client)
    assert error is None, warm
    outcome: dict = {}
    call = threading.Thread(target=lambda: outcome.update(result=_invoke(lambda_client, {"seconds": 5})))
    call.start()
    time.sleep(1.0)  # the invoke is running in the warm worker by now
    os.kill(warm["pid"], signal.SIGKILL)
    call.join(timeout=30)
    assert "result" in outcome, "the invoke did not return within 30 s"
    error, payload = outcome["result"]
    assert error and payload["errorType"] == "Runtime.ExitError"
    assert "signal: kill" in payload["errorMessage"]
    deaths = {entry["functionName"]: entry for entry in _status(emulator)["deaths"]}
    assert deaths["pid"]["diedDuringInvoke"] == 1
    assert _invoke(lambda_client)[0] is None, "the next invoke gets a fresh worker"
