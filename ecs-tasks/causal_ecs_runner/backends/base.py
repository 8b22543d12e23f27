"""The contract between the ECS API front and a backend that runs containers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ContainerSpec:
    """One container of a task, after task-definition defaults and RunTask overrides are merged."""

    task_arn: str
    family: str
    container_name: str
    image: str
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    cpu: int | None = None
    memory_mib: int | None = None


class RunningContainer(Protocol):
    """A handle on a started container."""

    @property
    def id(self) -> str: ...


class TaskBackend(Protocol):
    name: str

    def start(self, spec: ContainerSpec) -> RunningContainer:
        """Start the container; raise ``causal_common.errors.CausalStackError`` if it cannot start."""

    def exit_code(self, container: RunningContainer) -> int | None:
        """The exit code once the container has stopped, ``None`` while it runs."""

    def stop(self, container: RunningContainer, timeout_seconds: float = 10.0) -> None:
        """Stop it (SIGTERM, then SIGKILL after ``timeout_seconds``); idempotent."""

    def logs(self, container: RunningContainer, tail: int = 200) -> str:
        """Its most recent output, for the dashboard and failure reasons."""

    def healthy(self) -> tuple[bool, str]:
        """Whether the backend can run containers now, and why not."""
