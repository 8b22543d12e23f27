"""The warm workers of every function: at most ``MAX_WORKERS_PER_FUNCTION`` each, reused while the code is the same.

An idle worker is handed out warm; otherwise a slot for a new (cold) one. A
worker of older code is retired, one idle too long is stopped (as Lambda
reclaims idle execution environments), and one that died while idle is noticed
and replaced before any invoke is sent to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from causal_embedded.lambda_function import FunctionSnapshot
from causal_embedded.lambda_worker import Worker
from causal_embedded.worker_deaths import WorkerDeaths

logger = logging.getLogger(__name__)

INIT_LIMIT_SECONDS = 10.0
MAX_WORKERS_PER_FUNCTION = 16
# Like Lambda reclaiming idle execution environments: a worker idle this long is stopped.
IDLE_WORKER_SECONDS = 600.0
# How often idle workers are checked for having died on their own.
LIVENESS_CHECK_SECONDS = 1.0

StartWorker = Callable[[FunctionSnapshot, Path], Worker]


class WorkerPool:
    """``start_worker`` starts a worker for a function's unpacked code; ``rewarm`` is asked to start one
    again for a function whose only worker died while idle."""

    def __init__(
        self,
        start_worker: StartWorker,
        rewarm: Callable[[FunctionSnapshot], None],
        *,
        idle_worker_seconds: float = IDLE_WORKER_SECONDS,
    ) -> None:
        self._start_worker, self._rewarm = start_worker, rewarm
        self._lock = threading.Lock()
        self._idle: dict[str, list[Worker]] = {}
        self._busy: dict[str, int] = {}
        self._all: set[Worker] = set()
        self._capacity = threading.Condition(self._lock)
        self._prewarming: dict[str, str] = {}  # function ARN -> key of the worker starting for it
        self._idle_worker_seconds = idle_worker_seconds
        self.deaths = WorkerDeaths()
        self._stopped = threading.Event()
        threading.Thread(target=self._reap_idle_workers, name="lambda-reaper", daemon=True).start()

    def acquire(self, snapshot: FunctionSnapshot, code_dir: Path, *, prewarming: bool = False) -> tuple[Worker, bool]:
        """An idle worker (warm) or a new one (cold). An invoke waits for a worker being
        prewarmed for the same code instead of starting a second one."""
        prewarm_deadline = time.monotonic() + INIT_LIMIT_SECONDS
        worker: Worker | None
        with self._capacity:
            idle = self._idle.setdefault(snapshot.arn, [])
            stale = [worker for worker in idle if worker.snapshot.key != snapshot.key]
            for worker in stale:
                idle.remove(worker)
                self._all.discard(worker)
            dead: list[Worker] = []
            while True:
                if idle:
                    worker = idle.pop()
                    if not worker.alive():
                        self._all.discard(worker)
                        dead.append(worker)
                        continue
                    self._busy[snapshot.arn] = self._busy.get(snapshot.arn, 0) + 1
                    cold = False
                    break
                if self._prewarming.get(snapshot.arn) == snapshot.key and time.monotonic() < prewarm_deadline:
                    self._capacity.wait(timeout=0.5)
                    continue
                if self._busy.get(snapshot.arn, 0) < MAX_WORKERS_PER_FUNCTION:
                    self._busy[snapshot.arn] = self._busy.get(snapshot.arn, 0) + 1
                    if prewarming:
                        self._prewarming[snapshot.arn] = snapshot.key
                    worker = None
                    cold = True
                    break
                self._capacity.wait(timeout=1.0)
        for old in stale:
            old.kill()
        for gone in dead:
            self.died_idle(gone)
            gone.kill()
        if worker is None:
            try:
                worker = self._start_worker(snapshot, code_dir)
            except OSError:
                with self._capacity:
                    self._busy[snapshot.arn] -= 1
                    self._capacity.notify()
                raise
            with self._lock:
                self._all.add(worker)
        return worker, cold

    def prewarmed(self, snapshot: FunctionSnapshot) -> None:
        """The worker prewarming started for the function is ready (or failed): invokes stop waiting for it."""
        with self._capacity:
            self._prewarming.pop(snapshot.arn, None)
            self._capacity.notify_all()

    def release(self, worker: Worker) -> None:
        """Back to idle, for the next invoke."""
        worker.idle_since = time.monotonic()
        with self._capacity:
            arn = worker.snapshot.arn
            self._busy[arn] -= 1
            if worker in self._all:
                self._idle.setdefault(arn, []).append(worker)
            self._capacity.notify()

    def discard(self, worker: Worker) -> None:
        """Never to be used again (it crashed, timed out, or failed its init)."""
        with self._capacity:
            self._busy[worker.snapshot.arn] -= 1
            self._all.discard(worker)
            self._capacity.notify()
        worker.kill()

    def died_idle(self, worker: Worker) -> None:
        reason = worker.exit_description()
        self.deaths.died(worker.snapshot.name, reason, during_invoke=False)
        logger.warning("an idle worker of %s died (%s); a new one replaces it", worker.snapshot.name, reason)

    def workers(self, function_arn: str) -> int:
        with self._lock:
            return len(self._idle.get(function_arn, [])) + self._busy.get(function_arn, 0)

    def busy(self, function_arn: str) -> int:
        with self._lock:
            return self._busy.get(function_arn, 0)

    def counts(self) -> dict[str, dict[str, int]]:
        """Idle and busy workers per function name."""
        functions: dict[str, dict[str, int]] = {}
        with self._lock:
            idle = {id(worker) for workers in self._idle.values() for worker in workers}
            for worker in self._all:
                entry = functions.setdefault(worker.snapshot.name, {"idle": 0, "busy": 0})
                entry["idle" if id(worker) in idle else "busy"] += 1
        return functions

    def shutdown(self) -> None:
        self._stopped.set()
        with self._lock:
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
        for worker in workers:
            worker.kill()

    def _reap_idle_workers(self) -> None:
        """Stop workers idle too long; replace idle workers that died on their own."""
        interval = min(LIVENESS_CHECK_SECONDS, max(0.05, self._idle_worker_seconds / 2))
        while not self._stopped.wait(interval):
            cutoff = time.monotonic() - self._idle_worker_seconds
            with self._lock:
                idle = [w for workers in self._idle.values() for w in workers]
                expired = [w for w in idle if w.idle_since < cutoff]
                dead = [w for w in idle if w not in expired and not w.alive()]
                for worker in expired + dead:
                    self._idle[worker.snapshot.arn].remove(worker)
                    self._all.discard(worker)
            for worker in expired:
                worker.kill()
            for worker in dead:
                self.died_idle(worker)
                worker.kill()
                with self._lock:
                    others = len(self._idle.get(worker.snapshot.arn, [])) + self._busy.get(worker.snapshot.arn, 0)
                if not others and not self._stopped.is_set():
                    self._rewarm(worker.snapshot)  # keep the function warm, as it was
