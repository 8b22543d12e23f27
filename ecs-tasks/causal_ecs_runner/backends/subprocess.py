"""Run a task's container as a local process.

``python -m <module> …`` commands go to a warm worker (``causal_ecs_runner.zygote``)
that has already imported pandas and DoWhy and forks a child per task, saving
the ~3 s import on every task. A dead warm worker is restarted with back-off
(``warm_supervisor``); anything else, or a task started while the warm worker
is down, runs as a plain subprocess.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from causal_common.errors import CausalStackError
from causal_ecs_runner.backends.base import ContainerSpec
from causal_ecs_runner.backends.warm_supervisor import BACKOFF_SECONDS, WarmWorkerSupervisor
from causal_ecs_runner.backends.warm_worker import ProcessContainer, WarmWorkerGone

logger = logging.getLogger(__name__)

_PYTHONS = {"python", "python3", sys.executable}


class SubprocessBackend:
    name = "subprocess"

    def __init__(
        self,
        log_dir: Path,
        warm_modules: str | None = None,
        warm_restart_backoff: tuple[float, ...] = BACKOFF_SECONDS,
        *,
        code_packages: tuple[str, ...] = (),
    ) -> None:
        """``code_packages``: the project's packages whose changed files make the next task start with the
        new code (the warm worker, which imported the old, is replaced)."""
        self._log_dir = Path(log_dir)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._warm = (
            WarmWorkerSupervisor(warm_modules, self._log_dir, backoff=warm_restart_backoff, code_packages=code_packages)
            if warm_modules
            else None
        )

    @property
    def warm_import_seconds(self) -> float | None:
        return self._warm.worker.import_seconds if self._warm else None

    def wait_warm(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while self._warm is not None and time.monotonic() < deadline:
            if self._warm.ready_worker() is not None:
                return True
            if self._warm.status()["state"] == "failed":
                return False
            time.sleep(0.05)
        return False

    def start(self, spec: ContainerSpec) -> ProcessContainer:
        if not spec.command:
            raise CausalStackError(f"task {spec.family} has no command to run")
        env = {**os.environ, **spec.environment}
        log_path = self._log_dir / f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}.log"
        command = list(spec.command)
        if self._warm is not None:
            # Changed task code: this task runs it as a plain subprocess while a new warm worker imports it.
            self._warm.refresh_if_code_changed()
        warm = self._warm.ready_worker() if self._warm is not None else None
        if warm is not None and len(command) >= 3 and command[0] in _PYTHONS and command[1] == "-m":
            try:
                return warm.start(spec, command[2], command[3:], env, log_path)
            except WarmWorkerGone as exc:
                logger.warning("%s; starting task %s as a plain subprocess", exc.message, spec.task_arn)
        if command[0] in ("python", "python3"):
            command[0] = sys.executable
        try:
            with open(log_path, "ab") as log:
                popen = subprocess.Popen(
                    command,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError as exc:
            raise CausalStackError(f"cannot start {command[0]!r}: {exc.strerror}") from exc
        return ProcessContainer(
            id=f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}",
            pid=popen.pid,
            log_path=log_path,
            popen=popen,
        )

    def exit_code(self, container: ProcessContainer) -> int | None:
        if container.popen is not None:
            code = container.popen.poll()
            if code is None:
                return None
            return 128 - code if code < 0 else code
        return container.exit

    def stop(self, container: ProcessContainer, timeout_seconds: float = 10.0) -> None:
        if self.exit_code(container) is not None:
            return
        self._signal(container, signal.SIGTERM)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.exit_code(container) is not None:
                return
            time.sleep(0.05)
        self._signal(container, signal.SIGKILL)

    def _signal(self, container: ProcessContainer, signum: int) -> None:
        try:
            os.killpg(container.pid, signum)
        except ProcessLookupError:
            logger.info("process group %s already gone", container.pid)

    def logs(self, container: ProcessContainer, tail: int = 200) -> str:
        try:
            lines = container.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-tail:])

    def exit_reason(self, container: ProcessContainer) -> str | None:
        return container.exit_reason

    def healthy(self) -> tuple[bool, str]:
        if self._warm is None:
            return True, "ok (no warm worker configured)"
        status = self._warm.status()
        if status["state"] == "up":
            restarted = (
                f"; restarted {status['restarts']} time(s), last death: {status['lastReason']}"
                if status["deaths"]
                else ""
            )
            return True, "ok" + restarted
        if status["state"] == "starting":
            return True, "warm worker starting; tasks start as plain subprocesses until it is ready"
        return True, (
            f"warm worker down ({status['state']}, last death: {status['lastReason']}); "
            "tasks start as plain subprocesses"
        )

    def status(self) -> dict[str, object]:
        return {"warmWorker": self._warm.status() if self._warm else None}

    def close(self) -> None:
        if self._warm:
            self._warm.close()
