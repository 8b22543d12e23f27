"""Watches running tasks: records their exits as ECS does, and stops a task whose job fell silent.

A task's exit (a crash, StopTask, an out-of-memory kill, the process that ran it lost) is
recorded as ECS records it (stop code, reason, exit code) and reported as ECS reports it: a
"Task State Change" event to EventBridge (:mod:`causal_ecs_runner.task_events`). What that means
for the job and its execution is decided by the ``task-stopped`` function behind the EventBridge
rule, as on AWS; the watcher itself fails nothing.

A job that stops heartbeating while its task keeps running (a hung analysis) gets its task
stopped (``ServiceSchedulerInitiated``, "missed heartbeat"), so the same event follows: on one
machine a hung task holds a core and a warm worker's slot until somebody stops it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.jobs import JobRepository
from causal_common.models.ecs_events import JOB_ID_VARIABLE
from causal_common.models.jobs import JobRecord
from causal_common.names import ResourceNames
from causal_ecs_runner.service import EcsService
from causal_ecs_runner.store import Task

logger = logging.getLogger(__name__)

HEARTBEAT_CHECK_SECONDS = 2.0
# The most of a crashed task's last output line its container's reason carries.
LAST_OUTPUT_CHARS = 300


class Watcher:
    def __init__(
        self,
        service: EcsService,
        dynamodb: Any,
        names: ResourceNames,
        *,
        poll_seconds: float,
        heartbeat_timeout_seconds: float,
    ) -> None:
        self._service = service
        self._jobs = JobRepository(dynamodb, names)
        self._poll, self._heartbeat_timeout = poll_seconds, heartbeat_timeout_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecs-watcher", daemon=True)
        self._last_heartbeat_check = 0.0

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.check()
            except ClientError as exc:
                logger.warning("watcher could not reach AWS: %s", error_code(exc))

    def check(self) -> None:
        store = self._service.store
        with store.lock:
            running = [
                task for task in store.tasks.values() if task.container is not None and task.last_status != "STOPPED"
            ]
        for task in running:
            code = self._service.backend.exit_code(task.container)
            if code is not None:
                self._finished(task, code)
        if self._heartbeat_timeout and time.monotonic() - self._last_heartbeat_check >= HEARTBEAT_CHECK_SECONDS:
            self._last_heartbeat_check = time.monotonic()
            for task in running:
                if task.last_status == "RUNNING" and task.desired_status == "RUNNING":
                    self._check_heartbeat(task)

    def _finished(self, task: Task, code: int) -> None:
        """Record the exit as ECS would: who stopped it (kept from StopTask), why, and what the container said."""
        backend = self._service.backend
        # Set when the task was lost with the process that ran it (e.g. the warm worker), not by its own doing:
        # ECS's nearest is a task stopped because its host went away.
        lost = getattr(backend, "exit_reason", lambda _container: None)(task.container)
        if lost:
            stop_code, reason = "TerminationNotice", f"Task stopped because the process that ran it was lost: {lost}"
        else:
            stop_code, reason = "EssentialContainerExited", "Essential container in task exited"
        container_reason = None
        if code != 0 and task.stop_code is not None:
            container_reason = "stopped"
        elif code != 0:
            last = backend.logs(task.container, tail=1).strip()
            container_reason = f"last output: {last[:LAST_OUTPUT_CHARS]}" if last else None
        self._service.mark_stopped(task, stop_code, reason, code, container_reason)
        logger.info("task %s stopped with exit code %s (%s: %s)", task.arn, code, task.stop_code, task.stopped_reason)

    def _job(self, task: Task) -> JobRecord | None:
        job_id = task.environment.get(JOB_ID_VARIABLE)
        return self._jobs.get(job_id) if job_id else None

    def _check_heartbeat(self, task: Task) -> None:
        job = self._job(task)
        if job is None or job.finished:
            return
        last_ms = float(job.heartbeat_at or 0) or (task.started_at or time.time()) * 1000
        silent = time.time() - last_ms / 1000
        if silent > self._heartbeat_timeout:
            logger.warning("task %s missed its heartbeat (%.0f s silent); stopping it", task.arn, silent)
            self._service.stop(task, "ServiceSchedulerInitiated", f"missed heartbeat: no heartbeat for {silent:.0f} s")
