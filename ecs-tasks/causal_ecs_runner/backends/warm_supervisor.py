"""Keeps the subprocess backend's warm worker (the zygote) running, as a supervisor would.

When the warm worker dies, the tasks it forked have lost the process that
reports their exit: they are stopped and reported as exited (137, killed)
with the reason, so their jobs fail with it instead of hanging. A new warm
worker is started after a back-off that doubles on each quick failure
(1 s, 2 s, 4 s … 30 s), like systemd's ``Restart=on-failure`` with
``RestartSteps``; after ``START_LIMIT`` deaths in a row that came less than
``STABLE_SECONDS`` after a start, it gives up (systemd's start limit) and
tasks start as plain subprocesses; ``/health`` and ``causal-stack doctor``
say so.

When a file of the project's own packages (``code_packages``) changes, the next task start replaces the
warm worker (:meth:`WarmWorkerSupervisor.refresh_if_code_changed`): the old one is retired once the tasks
it forked have ended, and tasks started meanwhile run as plain subprocesses, so they import the new code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from causal_common.restart_backoff import BACKOFF_SECONDS, RestartBackoff
from causal_ecs_runner.backends.warm_worker import WarmWorker

logger = logging.getLogger(__name__)

START_LIMIT = 5
CHECK_SECONDS = 0.2
KILLED_EXIT_CODE = 128 + signal.SIGKILL


class WarmWorkerSupervisor:
    def __init__(
        self,
        modules: str,
        log_dir: Path,
        *,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
        code_packages: tuple[str, ...] = (),
    ) -> None:
        self._modules, self._log_dir = modules, log_dir
        self._code_packages = code_packages
        self._code = code_fingerprint(code_packages)
        self.code_reloads = 0
        # The START_LIMIT-th quick death in a row is not followed by a restart.
        self._backoff = RestartBackoff(START_LIMIT - 1, backoff)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.restarts = 0
        self.deaths = 0
        self.last_reason = ""
        self.last_death_at: float | None = None  # epoch seconds
        self.gave_up = False
        self._worker = WarmWorker(modules, log_dir)
        self._started_at = time.monotonic()
        threading.Thread(target=self._supervise, name="warm-worker-supervisor", daemon=True).start()

    @property
    def worker(self) -> WarmWorker:
        with self._lock:
            return self._worker

    def ready_worker(self) -> WarmWorker | None:
        worker = self.worker
        return worker if worker.alive() and worker.ready.is_set() else None

    def status(self) -> dict[str, Any]:
        worker = self.worker
        if worker.alive():
            state = "up" if worker.ready.is_set() else "starting"
        else:
            state = "failed" if self.gave_up else "restarting"
        return {
            "state": state,
            "pid": worker.pid,
            "restarts": self.restarts,
            "deaths": self.deaths,
            "lastReason": self.last_reason,
            "lastDeathAt": self.last_death_at,
            "importSeconds": worker.import_seconds,
            "codeReloads": self.code_reloads,
            "log": str(self._log_dir / "warm-worker.log"),
        }

    def close(self) -> None:
        self._closed.set()
        self.worker.close()

    def refresh_if_code_changed(self) -> bool:
        """Replace the warm worker when the project's code changed since it was started; whether it was."""
        if not self._code_packages:
            return False
        current = code_fingerprint(self._code_packages)
        with self._lock:
            if current == self._code:
                return False
            self._code = current
            old, self._worker = self._worker, WarmWorker(self._modules, self._log_dir)
            self._started_at = time.monotonic()
            self.code_reloads += 1
        logger.info("the task code changed: a new warm worker imports it; the old one ends after its tasks")
        threading.Thread(target=self._retire, args=(old,), name="warm-worker-retire", daemon=True).start()
        return True

    def _retire(self, worker: WarmWorker) -> None:
        while worker.alive() and worker.running_containers() and not self._closed.is_set():
            time.sleep(CHECK_SECONDS)
        worker.close()

    def _supervise(self) -> None:
        while not self._closed.wait(CHECK_SECONDS):
            worker = self.worker
            if worker.alive() or self.gave_up:
                continue
            delay = self._died(worker)
            if delay is None:
                continue
            logger.warning("restarting the warm worker in %.0f s (%s)", delay, self.last_reason)
            if self._closed.wait(delay):
                return
            with self._lock:
                self._worker = WarmWorker(self._modules, self._log_dir)
                self._started_at = time.monotonic()
                self.restarts += 1

    def _died(self, worker: WarmWorker) -> float | None:
        """Stop the tasks it ran; the back-off before the next start, ``None`` when giving up."""
        reason = worker.exit_description()
        delay = self._backoff.failed(time.monotonic() - self._started_at, started=worker.ready.is_set())
        self.deaths += 1
        self.last_reason, self.last_death_at = reason, time.time()
        lost = worker.running_containers()
        for container in lost:
            try:
                os.killpg(container.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.report_exit(
                container,
                KILLED_EXIT_CODE,
                f"the warm worker that started this task died ({reason}); the task was stopped",
            )
        logger.warning("the warm worker died (%s); %s running task(s) stopped", reason, len(lost))
        if delay is None:
            self.gave_up = True
            logger.error(
                "the warm worker died %s times in a row soon after starting; not restarting it "
                "(tasks start as plain subprocesses); see %s",
                self._backoff.quick_failures,
                self._log_dir / "warm-worker.log",
            )
        return delay


def code_fingerprint(packages: tuple[str, ...]) -> str:
    """A digest of the path, size and modification time of every ``.py`` file of ``packages`` (found
    without importing them); a package that cannot be found counts as empty."""
    digest = hashlib.sha256()
    for name in packages:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        roots = [Path(location) for location in spec.submodule_search_locations or ()]
        files = [path for root in roots for path in root.rglob("*.py")] if roots else []
        if not roots and spec.origin:
            files = [Path(spec.origin)]
        for path in sorted(files):
            if "__pycache__" in path.parts:
                continue
            try:
                status = path.stat()
            except OSError:
                continue
            digest.update(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()
