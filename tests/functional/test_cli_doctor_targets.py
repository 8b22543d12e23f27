"""`causal-stack doctor --target …` run as a user runs it: the target picks the checks.

The compose route's checks (Docker, LocalStack health, …) run for ``--target localstack``
only; the Docker engine is a fake Docker Engine API reached through ``DOCKER_HOST``, the
AWS endpoint a plain moto server with nothing deployed (so the doctor must fail, with fixes).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from fake_docker_api import FakeDockerApi
from stack_support import CLI
from support import ROOT, free_port

from causal_common.names import FUNCTIONS

COMPOSE_ONLY = {"Docker", "LocalStack health"}


@pytest.fixture
def docker_api():
    with FakeDockerApi(images=("causal-analysis-stack/task:local",), networks=("causal-analysis",)) as api:
        yield api


def doctor(target: str, moto_endpoint: str, docker_api: FakeDockerApi) -> tuple[int, dict[str, dict]]:
    env = {
        **os.environ,
        "DOCKER_HOST": docker_api.base_url.replace("http://", "tcp://"),
        "RESOURCE_PREFIX": "doctor-test-",
    }
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "LOCALSTACK_URL", "GATEWAY_URL", "ECS_RUNNER_URL"):
        env.pop(variable, None)
    dead = f"http://127.0.0.1:{free_port()}"
    run = subprocess.run(
        [str(CLI), "doctor", "--target", target, "--endpoint-url", moto_endpoint, "--ecs-endpoint-url", dead, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(run.stdout)
    assert report["ok"] is (run.returncode == 0)
    return run.returncode, {check["name"]: check for check in report["checks"]}


def test_target_localstack_adds_the_compose_checks(moto_endpoint, docker_api):
    code, checks = doctor("localstack", moto_endpoint, docker_api)
    assert code == 1
    assert set(checks) >= COMPOSE_ONLY, sorted(checks)
    assert checks["Docker"]["ok"] is True and "answers" in checks["Docker"]["detail"]  # DOCKER_HOST was used
    # moto is not LocalStack: the health check fails and says which image to run.
    assert checks["LocalStack health"]["ok"] is False
    assert "localstack/localstack:4.14.0" in checks["LocalStack health"]["hint"]
    # Nothing is deployed under this prefix: every function is missing, with the deploy fix.
    missing = [c for name, c in checks.items() if name.startswith("function doctor-test-")]
    assert len(missing) == len(FUNCTIONS) and all(not c["ok"] and "deploy" in c["hint"] for c in missing)
    assert checks["ECS endpoint"]["ok"] is False
    assert not [name for name in checks if name.startswith("service ")]  # the embedded supervisor is not asked


def test_target_embedded_leaves_the_compose_checks_out(moto_endpoint, docker_api):
    code, checks = doctor("embedded", moto_endpoint, docker_api)
    assert code == 1
    assert not COMPOSE_ONLY & set(checks), sorted(checks)
    assert checks["AWS endpoint"]["ok"] is True
    assert docker_api.requests == []  # Docker is never consulted
