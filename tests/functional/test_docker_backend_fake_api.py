"""The ECS runner's Docker backend against a fake Docker Engine API (no Docker here)."""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Iterator

import docker
import pytest
from docker.errors import DockerException
from fake_docker_api import FakeDockerApi
from support import free_port

from causal_common.errors import CausalStackError, ConfigurationError
from causal_ecs_runner.backends.base import ContainerSpec, TaskBackend
from causal_ecs_runner.backends.docker import (
    FAMILY_LABEL,
    MISSING_CONTAINER_EXIT_CODE,
    TASK_ARN_LABEL,
    DockerBackend,
    DockerBackendSettings,
    container_name,
)
from causal_ecs_runner.backends.subprocess import SubprocessBackend

TASK_IMAGE = "causal-analysis-stack/task:local"
NETWORK = "causal-analysis"
TASK_ARN = "arn:aws:ecs:eu-central-1:000000000000:task/causal-analysis-dev-cluster/0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[FakeDockerApi]:
    with FakeDockerApi(images=(TASK_IMAGE,), networks=(NETWORK,)) as api:
        yield api


def make_backend(fake: FakeDockerApi, **options) -> DockerBackend:
    options.setdefault("network", NETWORK)
    options.setdefault("task_image", TASK_IMAGE)
    return DockerBackend(lambda: docker.DockerClient(base_url=fake.base_url, version="1.43"), **options)


def spec(**overrides) -> ContainerSpec:
    values = dict(
        task_arn=TASK_ARN,
        family="causal-analysis-dev-eda",
        container_name="task",
        image="123456789012.dkr.ecr.eu-central-1.amazonaws.com/causal-analysis-stack/task:1",
        command=["python", "-m", "causal_tasks", "eda"],
        environment={"JOB_ID": "job-1", "AWS_ENDPOINT_URL": "http://localstack:4566"},
        cpu=1024,
        memory_mib=2048,
    )
    values.update(overrides)
    return ContainerSpec(**values)


def _protocol_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(TaskBackend).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize("kind", ["docker", "subprocess"])
def test_satisfies_the_backend_contract(kind: str, fake: FakeDockerApi, tmp_path) -> None:
    """Driven only through ``TaskBackend``: what the ECS front relies on, the same for both backends."""
    if kind == "docker":
        backend: TaskBackend = make_backend(fake)
        task = spec()
    else:
        backend = SubprocessBackend(tmp_path)
        task = spec(command=[sys.executable, "-c", "import time; print('working', flush=True); time.sleep(60)"])
    assert backend.name == kind
    for name, signature in _protocol_methods().items():
        assert inspect.signature(getattr(backend, name)).parameters.keys() == (
            signature.parameters.keys() - {"self"}
        ), name

    ok, detail = backend.healthy()
    assert ok is True and isinstance(detail, str)
    handle = backend.start(task)
    assert isinstance(handle.id, str) and handle.id
    assert backend.exit_code(handle) is None  # running
    if kind == "docker":
        fake.write(handle.id, "working\n")
    deadline = time.monotonic() + 10
    while "working" not in backend.logs(handle) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.logs(handle, tail=1).strip() == "working"
    backend.stop(handle, timeout_seconds=2)
    stopped = backend.exit_code(handle)
    assert stopped is not None and stopped != 0  # a stopped task is not a success
    backend.stop(handle, timeout_seconds=2)  # idempotent
    assert backend.exit_code(handle) == stopped


def test_task_runs_in_the_task_image_on_the_compose_network_with_its_environment(fake: FakeDockerApi) -> None:
    backend = make_backend(
        fake, base_environment={"AWS_ENDPOINT_URL": "http://runner-default", "RESOURCE_PREFIX": "p-"}
    )

    handle = backend.start(spec())

    container = fake.only(container_name(spec()))
    assert handle.id == container.id
    assert container.status == "running"
    assert container.image == TASK_IMAGE  # the local image replaces the registry URI
    assert container.command == ["python", "-m", "causal_tasks", "eda"]
    assert container.networks == [NETWORK]
    # The task definition's values win over the runner's defaults.
    assert container.environment == {
        "AWS_ENDPOINT_URL": "http://localstack:4566",
        "RESOURCE_PREFIX": "p-",
        "JOB_ID": "job-1",
    }
    assert container.labels[TASK_ARN_LABEL] == TASK_ARN
    assert container.labels[FAMILY_LABEL] == "causal-analysis-dev-eda"
    assert container.host_config["NanoCpus"] == 1_000_000_000
    assert container.host_config["Memory"] == 2048 * 1024 * 1024


def test_cpu_request_is_capped_at_what_the_engine_has(fake: FakeDockerApi) -> None:
    fake.cpus = 2
    backend = make_backend(fake)

    backend.start(spec(cpu=4096))

    assert fake.only(container_name(spec())).host_config["NanoCpus"] == 2_000_000_000


def test_the_runner_builds_it_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECS_RUNNER_DOCKER_NETWORK", NETWORK)
    monkeypatch.setenv("ECS_RUNNER_TASK_IMAGE", TASK_IMAGE)

    backend = DockerBackend.from_environment()

    assert backend.name == "docker"
    assert backend._network == NETWORK and backend._task_image == TASK_IMAGE
    backend.close()


def test_without_an_override_the_task_definition_image_is_used(fake: FakeDockerApi) -> None:
    fake.images.add("example/own-image:2")
    backend = make_backend(fake, task_image=None, network=None)

    backend.start(spec(image="example/own-image:2", cpu=None, memory_mib=None))

    container = fake.only(container_name(spec()))
    assert container.image == "example/own-image:2"
    assert container.networks == []
    assert "NanoCpus" not in container.host_config


def test_running_task_has_no_exit_code_and_live_logs(fake: FakeDockerApi) -> None:
    backend = make_backend(fake)
    handle = backend.start(spec())
    fake.write(handle.id, "loading dataset\nrows: 445\n")

    assert backend.exit_code(handle) is None
    assert backend.logs(handle) == "loading dataset\nrows: 445\n"
    assert backend.logs(handle, tail=1) == "rows: 445\n"


def test_exited_task_reports_its_code_keeps_its_output_and_is_removed(fake: FakeDockerApi) -> None:
    backend = make_backend(fake)
    handle = backend.start(spec())
    fake.finish(handle.id, 3, stdout="estimating\n", stderr="Traceback: ValueError: no treatment column\n")

    assert backend.exit_code(handle) == 3
    assert handle.id not in fake.containers  # no pile-up of finished containers
    assert backend.exit_code(handle) == 3  # stable after removal
    assert "no treatment column" in backend.logs(handle)
    assert backend.logs(handle, tail=1) == "Traceback: ValueError: no treatment column\n"
    backend.stop(handle)  # stopping a finished task is a no-op


def test_keep_containers_leaves_exited_containers_for_inspection(fake: FakeDockerApi) -> None:
    backend = make_backend(fake, keep_containers=True)
    handle = backend.start(spec())
    fake.finish(handle.id, 0)

    assert backend.exit_code(handle) == 0
    assert fake.containers[handle.id].status == "exited"


def test_stop_terminates_removes_and_is_idempotent(fake: FakeDockerApi) -> None:
    backend = make_backend(fake)
    handle = backend.start(spec())
    fake.write(handle.id, "working\n")

    backend.stop(handle, timeout_seconds=2)

    assert handle.id not in fake.containers
    assert backend.exit_code(handle) == 143
    assert backend.logs(handle) == "working\n"
    backend.stop(handle)
    assert ("POST", f"/containers/{handle.id}/stop") in fake.requests


def test_container_removed_behind_the_runners_back_counts_as_a_failed_task(fake: FakeDockerApi) -> None:
    backend = make_backend(fake)
    handle = backend.start(spec())
    del fake.containers[handle.id]

    assert backend.exit_code(handle) == MISSING_CONTAINER_EXIT_CODE
    assert backend.logs(handle) == ""
    backend.stop(handle)


def test_missing_image_is_pulled_once_then_started(fake: FakeDockerApi) -> None:
    fake.pullable.add("example/published:1")
    backend = make_backend(fake, task_image=None)

    backend.start(spec(image="example/published:1"))

    assert "example/published:1" in fake.images
    assert fake.only(container_name(spec())).status == "running"


def test_image_neither_built_nor_pullable_says_how_to_build_it(fake: FakeDockerApi) -> None:
    backend = make_backend(fake, task_image="causal-analysis-stack/task:missing")

    with pytest.raises(ConfigurationError) as raised:
        backend.start(spec())

    assert "docker compose build" in raised.value.message
    assert fake.containers == {}


def test_two_tasks_with_the_same_arn_cannot_collide_silently(fake: FakeDockerApi) -> None:
    backend = make_backend(fake)
    backend.start(spec())

    with pytest.raises(CausalStackError) as raised:
        backend.start(spec())

    assert raised.value.code == "ContainerStartFailed"
    assert "already in use" in raised.value.message


def test_unknown_network_is_reported_with_its_name(fake: FakeDockerApi) -> None:
    backend = make_backend(fake, network="no-such-network")

    with pytest.raises(CausalStackError) as raised:
        backend.start(spec())

    assert "no-such-network" in raised.value.message


def test_healthy_when_docker_answers_and_the_task_image_is_built(fake: FakeDockerApi) -> None:
    ok, detail = make_backend(fake).healthy()

    assert ok, detail
    assert "27.0.0-fake" in detail and NETWORK in detail


def test_unhealthy_when_the_task_image_is_not_built(fake: FakeDockerApi) -> None:
    ok, detail = make_backend(fake, task_image="causal-analysis-stack/task:other").healthy()

    assert not ok
    assert "docker compose build" in detail


def test_docker_not_available_is_explained_with_the_socket_fix() -> None:
    dead_url = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    backend = DockerBackend(lambda: docker.DockerClient(base_url=dead_url, version="1.43", timeout=2))

    ok, detail = backend.healthy()

    assert not ok
    assert "Docker not available" in detail and "DOCKER_SOCKET" in detail


def test_client_that_cannot_even_be_built_fails_start_with_the_fix() -> None:
    def no_docker() -> docker.DockerClient:
        raise DockerException("Error while fetching server API version: socket not found")

    backend = DockerBackend(no_docker)

    with pytest.raises(ConfigurationError) as raised:
        backend.start(spec())
    assert "Docker not available" in raised.value.message
    assert backend.healthy()[0] is False


def test_settings_give_task_containers_the_runners_aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ENDPOINT_URL": "http://localstack:4566",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "WEBSOCKET_CALLBACK_URL": "http://gateway:8080/dev",
        "ECS_RUNNER_DOCKER_NETWORK": NETWORK,
        "ECS_RUNNER_TASK_IMAGE": TASK_IMAGE,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ARTIFACTS_BASE_URL", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)

    settings = DockerBackendSettings()
    environment = settings.task_environment()

    assert settings.network == NETWORK and settings.task_image == TASK_IMAGE
    assert environment["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert environment["WEBSOCKET_CALLBACK_URL"] == "http://gateway:8080/dev"
    assert environment["AWS_REGION"] == "eu-central-1"
    assert "ARTIFACTS_BASE_URL" not in environment  # unset values are not forwarded as empty strings


def test_container_names_are_valid_and_recognisable() -> None:
    name = container_name(spec(family="causal analysis/dev", task_arn="arn:aws:ecs:r:1:task/c/ab:cd"))

    assert name == "causal-analysis-dev-ab-cd"
