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
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from causal_ecs_runner.backends.warm_worker import WarmWorker

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
START_LIMIT = 5
STABLE_SECONDS = 60.0
CHECK_SECONDS = 0.2
KILLED_EXIT_CODE = 128 + signal.SIGKILL


class WarmWorkerSupervisor:
    def __init__(self, modules: str, log_dir: Path, *, backoff: tuple[float, ...] = BACKOFF_SECONDS) -> None:
        self._modules, self._log_dir, self._backoff = modules, log_dir, backoff
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.restarts = 0
        self.deaths = 0
        self.last_reason = ""
        self.last_death_at: float | None = None  # epoch seconds
        self.gave_up = False
        self._quick_failures = 0
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
        return {"state": state, "pid": worker.pid, "restarts": self.restarts, "deaths": self.deaths,
                "lastReason": self.last_reason, "lastDeathAt": self.last_death_at,
                "importSeconds": worker.import_seconds, "log": str(self._log_dir / "warm-worker.log")}

    def close(self) -> None:
        self._closed.set()
        self.worker.close()

    def _supervise(self) -> None:
        while not self._closed.wait(CHECK_SECONDS):
            worker = self.worker
            if worker.alive() or self.gave_up:
                continue
            self._died(worker)
            if self.gave_up:
                continue
            delay = self._backoff[min(self._quick_failures, len(self._backoff)) - 1]
            logger.warning("restarting the warm worker in %.0f s (%s)", delay, self.last_reason)
            if self._closed.wait(delay):
                return
            with self._lock:
                self._worker = WarmWorker(self._modules, self._log_dir)
                self._started_at = time.monotonic()
                self.restarts += 1

    def _died(self, worker: WarmWorker) -> None:
        reason = worker.exit_description()
        quick = not worker.ready.is_set() or time.monotonic() - self._started_at < STABLE_SECONDS
        self._quick_failures = self._quick_failures + 1 if quick else 1
        self.deaths += 1
        self.last_reason, self.last_death_at = reason, time.time()
        lost = worker.running_containers()
        for container in lost:
            try:
                os.killpg(container.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.report_exit(container, KILLED_EXIT_CODE,
                               f"the warm worker that started this task died ({reason}); the task was stopped")
        logger.warning("the warm worker died (%s); %s running task(s) stopped", reason, len(lost))
        if self._quick_failures >= START_LIMIT:
            self.gave_up = True
            logger.error("the warm worker died %s times in a row soon after starting; not restarting it "
                         "(tasks start as plain subprocesses); see %s", self._quick_failures,
                         self._log_dir / "warm-worker.log")
