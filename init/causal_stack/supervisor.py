"""Keeps the services of `causal-stack up` running: restart with back-off, as supervisord/systemd do.

A service that exits is started again after a back-off that doubles on each
quick failure (1 s, 2 s, 4 s … 30 s; a service that ran for
``STABLE_SECONDS`` starts over at 1 s). After ``START_LIMIT`` quick failures
in a row the stack stops with the service's last log lines (systemd's start
limit). What each restart costs:

- **aws** (the emulator): every AWS resource and all data lived in its
  memory. The stack is deployed into the new one (the deploy is idempotent)
  and the gateway restarted (it read keys from Secrets Manager, which the
  deploy made anew) before the service counts as serving; sessions,
  conversations, jobs and uploaded datasets are gone, and the logs and
  ``doctor`` say so.
- **ecs-runner**: the tasks it ran died with it. Jobs still pending or
  running are failed with the reason (the client gets an ``error`` frame).
  Its registrations are kept in its state file; if they are gone the stack
  is deployed again, which registers the cluster and task definitions anew.
- **gateway**: WebSocket clients reconnect (``resume`` replays missed
  frames from the outbox); nothing is lost.

A service can also have a health check that looks past "the process answers":
the emulator's asks whether the deployed resources are still there. When one
reports a problem (``POST /moto-api/reset`` wiped the emulator) the service is
recovered as if it had died, at once (a wipe is not a crash loop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.restart_backoff import BACKOFF_SECONDS, RestartBackoff
from causal_stack.supervisor_state import write_state

logger = logging.getLogger(__name__)

START_LIMIT = 5
POLL_SECONDS = 0.25
HEALTH_CHECK_SECONDS = 2.0


@dataclass
class ServiceRecord:
    status: str = "serving"
    restarts: int = 0
    started_at: float = field(default_factory=time.monotonic)
    last_exit: str = ""
    last_exit_at: float | None = None
    note: str = ""
    log: str = ""
    last_recovery_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "restarts": self.restarts,
            "lastExit": self.last_exit,
            "lastExitAt": self.last_exit_at,
            "note": self.note,
            "log": self.log,
            "lastRecoverySeconds": self.last_recovery_seconds,
        }


class StartLimitHit(Exception):
    """A service kept dying right after each start."""


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        import signal

        return f"killed by signal {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


class Supervisor:
    """Watches services (objects with ``name``, ``process``, ``start()``) and restarts them.

    ``recover`` maps a service name to what to do once it died: it gets the
    exit description and must start the service again (and whatever else its
    loss requires); it returns a note for the logs and ``doctor``.
    """

    def __init__(
        self,
        services: list[Any],
        recover: dict[str, Callable[[str], str]],
        state_file: Path,
        *,
        pid: int,
        ports: dict[str, int],
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
        say: Callable[[str], None] = print,
        health_checks: dict[str, Callable[[], str | None]] | None = None,
    ) -> None:
        self._services = services
        self._recover = recover
        self._health_checks = health_checks or {}
        self._state_file = state_file
        self._backoffs = {service.name: RestartBackoff(START_LIMIT, backoff) for service in services}
        self._say = say
        self._pid, self._ports = pid, ports
        self.records = {service.name: ServiceRecord(log=str(getattr(service, "log_path", ""))) for service in services}
        self._write()

    def _write(self) -> None:
        write_state(
            self._state_file,
            {
                "pid": self._pid,
                "ports": self._ports,
                "services": {name: record.to_json() for name, record in self.records.items()},
            },
        )

    def watch(self, stopping: threading.Event) -> None:
        """Until ``stopping`` is set; raises :class:`StartLimitHit` when a service cannot stay up."""
        next_health_check = time.monotonic() + HEALTH_CHECK_SECONDS
        while not stopping.wait(POLL_SECONDS):
            for service in self._services:
                if service.process is not None and service.process.poll() is not None and not stopping.is_set():
                    self._restart(service, stopping)
            if time.monotonic() >= next_health_check:
                self._check_health(stopping)
                next_health_check = time.monotonic() + HEALTH_CHECK_SECONDS

    def _check_health(self, stopping: threading.Event) -> None:
        for service in self._services:
            check = self._health_checks.get(service.name)
            if check is None or service.process is None or service.process.poll() is not None:
                continue
            problem = check()
            if problem is not None and not stopping.is_set():
                self._recover_unhealthy(service, problem)

    def _recover_unhealthy(self, service: Any, problem: str) -> None:
        record = self.records[service.name]
        noticed = time.monotonic()
        record.last_exit, record.last_exit_at, record.status = problem, time.time(), "restarting"
        self._write()
        self._say(f"{service.name} is running but {problem}; recovering it now")
        try:
            record.note = self._recover[service.name](problem)
        except Exception as exc:  # noqa: BLE001 - the next check finds the problem again and retries
            logger.warning("recovering %s failed: %s", service.name, exc)
            self._say(f"{service.name} could not be recovered: {exc}")
            record.note = f"the last recovery failed: {exc}"
            self._write()
            return
        record.restarts += 1
        record.status = "serving"
        record.started_at = time.monotonic()
        record.last_recovery_seconds = round(record.started_at - noticed, 2)
        record.log = str(getattr(service, "log_path", record.log))
        self._write()
        self._say(
            f"{service.name} is serving again ({record.last_recovery_seconds:.1f} s after it was noticed)"
            + (f"; {record.note}" if record.note else "")
        )

    def _restart(self, service: Any, stopping: threading.Event) -> None:
        record = self.records[service.name]
        died_at = time.monotonic()
        record.last_exit = describe_exit(service.process.returncode)
        record.last_exit_at = time.time()
        backoff = self._backoffs[service.name]
        delay = backoff.failed(died_at - record.started_at)
        if delay is None:
            record.status = "failed"
            self._write()
            raise StartLimitHit(
                f"{service.name} died {backoff.quick_failures} times in a row soon after starting "
                f"(last: {record.last_exit}); giving up. Last lines of its log:\n{service.tail()}"
            )
        record.status = "restarting"
        self._write()
        self._say(
            f"{service.name} stopped ({record.last_exit}); restarting in {delay:.0f} s (restart {record.restarts + 1})"
        )
        if stopping.wait(delay):
            return
        try:
            record.note = self._recover[service.name](record.last_exit)
        except Exception as exc:  # noqa: BLE001 - a failed recovery is retried like a crash
            logger.warning("recovering %s failed: %s", service.name, exc)
            self._say(f"{service.name} could not be recovered: {exc}")
            record.note = f"the last recovery failed: {exc}"
            record.started_at = time.monotonic()
            record.restarts += 1
            self._write()
            service.stop()  # so the next round starts it again, within the start limit
            return
        record.restarts += 1
        record.status = "serving"
        record.started_at = time.monotonic()
        record.last_recovery_seconds = round(record.started_at - died_at - delay, 2)
        record.log = str(getattr(service, "log_path", record.log))
        self._write()
        self._say(
            f"{service.name} is serving again ({record.last_recovery_seconds:.1f} s after the back-off)"
            + (f"; {record.note}" if record.note else "")
        )
