"""Run each ECS task's container in Docker (the compose route).

The runner talks to the Docker Engine API through the Docker SDK, so the same
code works with Docker Desktop, Colima, Podman's Docker-compatible socket and
rootless Docker: only ``DOCKER_HOST`` (or the mounted socket) changes.

Task containers join ``ECS_RUNNER_DOCKER_NETWORK`` (the compose network), so
they reach LocalStack and the gateway by service name, and get the runner's
own AWS settings (endpoint, region, credentials, resource prefix, callback
URLs) unless the task definition or the RunTask overrides set them.

An exited container's output is kept in memory and the container is removed,
so finished tasks do not pile up in ``docker ps -a``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from causal_common.errors import CausalStackError, ConfigurationError, TransientError
from causal_common.settings import AwsSettings

from .base import ContainerSpec

logger = logging.getLogger(__name__)

LABEL_PREFIX = "com.causal-analysis"
TASK_ARN_LABEL = f"{LABEL_PREFIX}.task-arn"
FAMILY_LABEL = f"{LABEL_PREFIX}.family"
CONTAINER_LABEL = f"{LABEL_PREFIX}.container"
# Reported when a task's container vanished (removed by hand, engine restarted):
# the task died without a real exit code.
MISSING_CONTAINER_EXIT_CODE = 255
_EXITED_STATES = frozenset({"exited", "dead"})
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")
# The SDK lets connection failures through as requests' own errors.
_UNREACHABLE = (DockerException, requests.exceptions.RequestException)

DOCKER_UNAVAILABLE_HINT = (
    "Docker not available: start Docker (Docker Desktop, Colima or Podman) and make its socket "
    "reachable — in compose set DOCKER_SOCKET in .env to the host's socket (Colima: "
    "~/.colima/default/docker.sock, Podman: $XDG_RUNTIME_DIR/podman/podman.sock, rootless Docker: "
    "$XDG_RUNTIME_DIR/docker.sock); outside compose set DOCKER_HOST=unix:///path/to/docker.sock."
)


class DockerBackendSettings(AwsSettings):
    """Settings of the Docker backend, read from the runner's environment."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    network: str | None = Field(default=None, validation_alias="ECS_RUNNER_DOCKER_NETWORK")
    # Set on the compose route: every task runs in the locally built task image,
    # whatever image URI the task definition names.
    task_image: str | None = Field(default=None, validation_alias="ECS_RUNNER_TASK_IMAGE")
    keep_containers: bool = Field(default=False, validation_alias="ECS_RUNNER_KEEP_CONTAINERS")

    # Forwarded to task containers (the task definition's values win).
    aws_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: str | None = Field(default=None, validation_alias="AWS_SECRET_ACCESS_KEY")
    websocket_callback_url: str | None = Field(default=None, validation_alias="WEBSOCKET_CALLBACK_URL")
    artifacts_base_url: str | None = Field(default=None, validation_alias="ARTIFACTS_BASE_URL")
    log_level: str | None = Field(default=None, validation_alias="LOG_LEVEL")

    def task_environment(self) -> dict[str, str]:
        values = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": self.endpoint_url_apigatewaymanagementapi,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "RESOURCE_PREFIX": self.resource_prefix,
            "WEBSOCKET_CALLBACK_URL": self.websocket_callback_url,
            "ARTIFACTS_BASE_URL": self.artifacts_base_url,
            "LOG_LEVEL": self.log_level,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class DockerContainer:
    """A started task container."""

    id: str
    name: str
    task_arn: str


class DockerBackend:
    """``TaskBackend`` that runs each task's container through the Docker Engine API."""

    name = "docker"

    def __init__(
        self,
        client_factory: Callable[[], docker.DockerClient] = docker.from_env,
        *,
        network: str | None = None,
        task_image: str | None = None,
        base_environment: Mapping[str, str] | None = None,
        keep_containers: bool = False,
    ) -> None:
        self._client_factory = client_factory
        self._client: docker.DockerClient | None = None
        self._network = network
        self._task_image = task_image
        self._base_environment = dict(base_environment or {})
        self._keep_containers = keep_containers
        self._lock = threading.Lock()
        self._finished_logs: dict[str, str] = {}
        self._finished_codes: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: DockerBackendSettings | None = None) -> DockerBackend:
        settings = settings or DockerBackendSettings()
        return cls(
            network=settings.network,
            task_image=settings.task_image,
            base_environment=settings.task_environment(),
            keep_containers=settings.keep_containers,
        )

    @classmethod
    def from_environment(cls) -> DockerBackend:
        """The backend ``python -m causal_ecs_runner --backend docker`` uses."""
        return cls.from_settings(DockerBackendSettings())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- TaskBackend -----------------------------------------------------

    def start(self, spec: ContainerSpec) -> DockerContainer:
        client = self._docker()
        image = self._task_image or spec.image
        name = container_name(spec)
        options = self._create_options(spec, name, self._engine_cpus(client))
        try:
            container = self._create(client, image, options)
            container.start()
        except CausalStackError:
            raise
        except APIError as exc:
            raise CausalStackError(
                f"Docker could not start the container of task {spec.task_arn} ({image}): {_explain(exc)}",
                code="ContainerStartFailed",
            ) from exc
        except _UNREACHABLE as exc:
            raise TransientError(f"Docker not reachable while starting {spec.task_arn}: {exc}") from exc
        logger.info("started container %s (%s) for task %s", name, image, spec.task_arn)
        return DockerContainer(id=container.id, name=name, task_arn=spec.task_arn)

    def exit_code(self, container: DockerContainer) -> int | None:
        with self._lock:
            if container.id in self._finished_codes:
                return self._finished_codes[container.id]
        client = self._docker()
        try:
            state = client.api.inspect_container(container.id)["State"]
        except NotFound:
            logger.warning("container %s of task %s is gone", container.name, container.task_arn)
            self._remember(container, MISSING_CONTAINER_EXIT_CODE, "")
            return MISSING_CONTAINER_EXIT_CODE
        except _UNREACHABLE as exc:
            raise TransientError(f"Docker not reachable while inspecting {container.name}: {exc}") from exc
        if state.get("Status") not in _EXITED_STATES:
            return None
        code = int(state.get("ExitCode", MISSING_CONTAINER_EXIT_CODE))
        self._finish(container, code)
        return code

    def stop(self, container: DockerContainer, timeout_seconds: float = 10.0) -> None:
        with self._lock:
            if container.id in self._finished_codes:
                return
        client = self._docker()
        try:
            client.api.stop(container.id, timeout=max(0, int(timeout_seconds)))
        except NotFound:
            self._remember(container, MISSING_CONTAINER_EXIT_CODE, "")
            return
        except _UNREACHABLE as exc:
            raise TransientError(f"Docker could not stop {container.name}: {exc}") from exc
        try:
            code = int(client.api.inspect_container(container.id)["State"].get("ExitCode", 137))
        except NotFound:
            code = 137
        self._finish(container, code)

    def logs(self, container: DockerContainer, tail: int = 200) -> str:
        with self._lock:
            if container.id in self._finished_logs:
                return _tail(self._finished_logs[container.id], tail)
        try:
            return _decode(self._docker().api.logs(container.id, stdout=True, stderr=True, tail=tail))
        except NotFound:
            return ""
        except _UNREACHABLE as exc:
            raise TransientError(f"Docker could not read the logs of {container.name}: {exc}") from exc

    def healthy(self) -> tuple[bool, str]:
        try:
            client = self._docker()
            client.ping()
            version = client.version().get("Version", "unknown")
        except ConfigurationError as exc:
            return False, exc.message
        except _UNREACHABLE as exc:
            return False, f"{_short(exc)}. {DOCKER_UNAVAILABLE_HINT}"
        if self._task_image:
            try:
                client.images.get(self._task_image)
            except ImageNotFound:
                return False, (
                    f"task image {self._task_image} is not built: run `docker compose build` "
                    "(or `docker build -f ecs-tasks/Dockerfile -t "
                    f"{self._task_image} .`)"
                )
            except _UNREACHABLE as exc:
                return False, f"Docker could not look up {self._task_image}: {_short(exc)}"
        where = f", network {self._network}" if self._network else ""
        return True, f"Docker {version}{where}"

    # -- internals -------------------------------------------------------

    def _docker(self) -> docker.DockerClient:
        if self._client is None:
            try:
                self._client = self._client_factory()
            except _UNREACHABLE as exc:
                raise ConfigurationError(f"{_short(exc)}. {DOCKER_UNAVAILABLE_HINT}") from exc
        return self._client

    def _engine_cpus(self, client: docker.DockerClient) -> int | None:
        try:
            return int(client.info().get("NCPU") or 0) or None
        except _UNREACHABLE:
            return None

    def _create_options(self, spec: ContainerSpec, name: str, engine_cpus: int | None) -> dict[str, Any]:
        environment = {**self._base_environment, **spec.environment}
        options: dict[str, Any] = {
            "command": list(spec.command) or None,
            "name": name,
            "environment": environment,
            "labels": {TASK_ARN_LABEL: spec.task_arn, FAMILY_LABEL: spec.family, CONTAINER_LABEL: spec.container_name},
        }
        if self._network:
            options["network"] = self._network
        if spec.cpu:
            # ECS CPU units: 1024 = one vCPU. The engine refuses more CPUs than it
            # has (a 2-CPU Colima VM and a 4-vCPU task), so cap at what it has.
            cpus = spec.cpu / 1024
            if engine_cpus:
                cpus = min(cpus, engine_cpus)
            options["nano_cpus"] = int(cpus * 1_000_000_000)
        if spec.memory_mib:
            options["mem_limit"] = f"{spec.memory_mib}m"
        return options

    def _create(self, client: docker.DockerClient, image: str, options: dict[str, Any]) -> Any:
        try:
            return client.containers.create(image, **options)
        except ImageNotFound:
            logger.info("image %s not present, pulling it", image)
        try:
            client.images.pull(image)
        except (ImageNotFound, APIError) as exc:
            raise ConfigurationError(
                f"task image {image} is neither built nor pullable ({_explain(exc)}): run `docker compose build` "
                "or set ECS_RUNNER_TASK_IMAGE to an image that exists"
            ) from exc
        return client.containers.create(image, **options)

    def _finish(self, container: DockerContainer, code: int) -> None:
        client = self._docker()
        try:
            output = _decode(client.api.logs(container.id, stdout=True, stderr=True))
        except NotFound:
            output = ""
        self._remember(container, code, output)
        if self._keep_containers:
            return
        try:
            client.api.remove_container(container.id, force=True)
        except NotFound:
            pass  # already removed: the goal of this call
        except APIError as exc:
            logger.warning("could not remove container %s: %s", container.name, _explain(exc))
        logger.info("task %s exited with code %s", container.task_arn, code)

    def _remember(self, container: DockerContainer, code: int, output: str) -> None:
        with self._lock:
            self._finished_codes[container.id] = code
            self._finished_logs[container.id] = output


def container_name(spec: ContainerSpec) -> str:
    """``<family>-<task id>``: recognisable in ``docker ps`` and unique per task."""
    task_id = spec.task_arn.rsplit("/", 1)[-1]
    return _NAME_UNSAFE.sub("-", f"{spec.family}-{task_id}").strip("-.")[:120]


def _decode(output: bytes | str) -> str:
    return output.decode("utf-8", errors="replace") if isinstance(output, bytes) else output


def _tail(text: str, lines: int) -> str:
    if lines <= 0:
        return ""
    kept = text.splitlines(keepends=True)[-lines:]
    return "".join(kept)


def _explain(exc: DockerException) -> str:
    explanation = getattr(exc, "explanation", None)
    return _decode(explanation) if explanation else str(exc)


def _short(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return message.splitlines()[0] if message else type(exc).__name__
