"""The local ECS runner answers only the stack: the same Host, Origin and SigV4 checks as the emulator.

Before, a plain ``POST /`` with ``X-Amz-Target: …RunTask`` and a command override, from any
local user and with any ``Host`` (DNS rebinding), ran the command as the stack's user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from security.conftest import curl_as_other_user, needs_other_user, signed_headers
from support import ROOT, free_port

pytestmark = pytest.mark.slow

REGION = "eu-central-1"


@dataclass(frozen=True)
class Pair:
    access_key_id: str
    secret_access_key: str


STACK = Pair("AKIARUNNERSTACKTEST1", "the-stack-secret-only-its-owner-can-read")
WELL_KNOWN = Pair("test", "test")
TARGET = "AmazonEC2ContainerServiceV20141113."
FAMILY = "security-probe"


def ecs(endpoint: str, credentials: Pair = STACK) -> object:
    return boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def runner(moto_endpoint, tmp_path_factory) -> Iterator[str]:
    """``python -m causal_ecs_runner`` as `causal-stack up` starts it, with a cluster and a task definition."""
    port = free_port()
    logs = tmp_path_factory.mktemp("runner-logs")
    process = subprocess.Popen(
        [sys.executable, "-m", "causal_ecs_runner", "--port", str(port), "--backend", "subprocess"],
        cwd=ROOT,
        env={
            **os.environ,
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": STACK.access_key_id,
            "AWS_SECRET_ACCESS_KEY": STACK.secret_access_key,
            "ECS_RUNNER_WARM_WORKER": "0",
            "ECS_RUNNER_LOG_DIR": str(logs),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{endpoint}/health", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    client = ecs(endpoint)
    client.create_cluster(clusterName="default")
    client.register_task_definition(
        family=FAMILY,
        containerDefinitions=[{"name": "main", "image": "local", "command": ["true"]}],
    )
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def _run_task_body(marker: Path) -> bytes:
    command = ["sh", "-c", f"id > {marker}"]
    return json.dumps(
        {
            "cluster": "default",
            "taskDefinition": FAMILY,
            "overrides": {"containerOverrides": [{"name": "main", "command": command}]},
        }
    ).encode()


def _ran(marker: Path) -> bool:
    time.sleep(1.5)  # a task that was started writes within this time
    return marker.exists()


def _signed(endpoint: str, body: bytes, credentials: Pair) -> dict[str, str]:
    headers = signed_headers(
        "POST", f"{endpoint}/", credentials.access_key_id, credentials.secret_access_key, service="ecs", body=body
    )
    return {
        **headers,
        "X-Amz-Target": TARGET + "RunTask",
        "Content-Type": "application/x-amz-json-1.1",
    }


@needs_other_user
def test_an_unsigned_run_task_from_another_user_runs_nothing(runner, tmp_path) -> None:
    marker = tmp_path / "unsigned"
    body = _run_task_body(marker)
    status, text = curl_as_other_user(
        "POST",
        f"{runner}/",
        {"X-Amz-Target": TARGET + "RunTask", "Content-Type": "application/x-amz-json-1.1"},
        body,
    )
    assert status in (400, 403), text
    assert "MissingAuthenticationToken" in text
    assert not _ran(marker)


@needs_other_user
def test_the_well_known_pair_from_another_user_runs_nothing(runner, tmp_path) -> None:
    marker = tmp_path / "well-known"
    body = _run_task_body(marker)
    status, text = curl_as_other_user("POST", f"{runner}/", _signed(runner, body, WELL_KNOWN), body)
    assert status == 400 and "UnrecognizedClient" in text, text
    assert not _ran(marker)


def test_a_rebinding_host_or_a_web_page_is_refused(runner, tmp_path) -> None:
    marker = tmp_path / "rebinding"
    body = _run_task_body(marker)
    signed = _signed(runner, body, STACK)
    for extra in ({"Host": "attacker.example:4599"}, {"Origin": "http://localhost:3000"}):
        request = urllib.request.Request(f"{runner}/", data=body, headers={**signed, **extra}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
        assert b"AccessDenied" in refused.value.read()
    assert not _ran(marker)
    health = urllib.request.Request(f"{runner}/health", headers={"Host": "attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(health, timeout=10)
    assert refused.value.code == 403


def test_other_keys_get_ecs_errors_and_the_stacks_pair_runs_tasks(runner, tmp_path) -> None:
    with pytest.raises(ClientError) as unknown:
        ecs(runner, Pair("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG")).list_clusters()
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as mismatch:
        ecs(runner, Pair(STACK.access_key_id, "not-the-secret")).list_clusters()
    assert mismatch.value.response["Error"]["Code"] == "InvalidSignatureException"
    marker = tmp_path / "stack"
    ecs(runner).run_task(
        cluster="default",
        taskDefinition=FAMILY,
        overrides={"containerOverrides": [{"name": "main", "command": ["sh", "-c", f"id > {marker}"]}]},
    )
    assert _ran(marker)
    # The owner's old scripts sign with the well-known pair: still theirs.
    assert "default" in ecs(runner, WELL_KNOWN).list_clusters()["clusterArns"][0]
