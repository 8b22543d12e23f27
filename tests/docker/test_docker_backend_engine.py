"""The ECS runner's Docker backend against a real engine: start, logs, exit
code, stop, resource limits and cleanup (the fake Engine API covers the rest)."""

from __future__ import annotations

import time
import uuid

import docker
import pytest

from causal_ecs_runner.backends.base import ContainerSpec
from causal_ecs_runner.backends.docker import TASK_ARN_LABEL, DockerBackend

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1500)]


@pytest.fixture
def backend(engine):
    backend = DockerBackend(docker.from_env)
    yield backend
    backend.close()


def spec(image: str, command: list[str], **extra) -> ContainerSpec:
    arn = f"arn:aws:ecs:eu-central-1:000000000000:task/engine-test/{uuid.uuid4().hex}"
    return ContainerSpec(
        task_arn=arn, family="engine-test", container_name="task", image=image, command=command, **extra
    )


def wait_for_exit(backend, container, limit_seconds: float = 120) -> int:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        code = backend.exit_code(container)
        if code is not None:
            return code
        time.sleep(0.2)
    raise AssertionError(f"container {container.name} still running after {limit_seconds} s")


@pytest.fixture
def client(engine):
    client = docker.from_env()
    yield client
    client.close()


def containers_of(client, task_arn: str) -> list:
    return client.containers.list(all=True, filters={"label": f"{TASK_ARN_LABEL}={task_arn}"})


def test_healthy_names_the_engine(backend):
    healthy, detail = backend.healthy()
    assert healthy and detail.startswith("Docker "), detail


def test_a_task_runs_its_output_and_exit_code_are_kept_and_its_container_removed(backend, client, base_image):
    task = spec(
        base_image,
        ["python3", "-c", "import os, sys; print('hello from', os.environ['GREETING']); sys.exit(3)"],
        environment={"GREETING": "the task"},
        memory_mib=256,
    )

    container = backend.start(task)
    code = wait_for_exit(backend, container)

    assert code == 3
    assert "hello from the task" in backend.logs(container)
    assert containers_of(client, task.task_arn) == []


def test_a_stopped_task_reports_a_signal_exit_and_leaves_nothing(backend, client, base_image):
    task = spec(
        base_image, ["python3", "-c", "import time; print('working', flush=True); time.sleep(600)"], memory_mib=128
    )
    container = backend.start(task)
    deadline = time.monotonic() + 60
    while "working" not in backend.logs(container) and time.monotonic() < deadline:
        time.sleep(0.2)
    limits = client.api.inspect_container(container.id)["HostConfig"]
    assert limits["Memory"] == 128 * 2**20

    backend.stop(container, timeout_seconds=2)

    assert backend.exit_code(container) in (137, 143)  # SIGKILL or SIGTERM
    assert "working" in backend.logs(container)
    assert containers_of(client, task.task_arn) == []
    backend.stop(container)  # idempotent


def test_a_container_removed_behind_the_runners_back_is_reported_gone(backend, client, base_image):
    task = spec(base_image, ["python3", "-c", "import time; time.sleep(600)"])
    container = backend.start(task)
    client.api.remove_container(container.id, force=True)

    assert backend.exit_code(container) == 255
