"""Watches running tasks: records exits as ECS does, and fails jobs their task left unreported.

A task whose process ends without marking its job SUCCEEDED/FAILED (a crash,
StopTask, an out-of-memory kill) or whose job stops heartbeating gets its job
marked FAILED with the reason, and the state machine a SendTaskFailure with
the job's task token, so nothing waits forever.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.errors import LOST_TASK_ERROR
from causal_common.jobs import JobRepository, fail_job
from causal_common.models.jobs import JobRecord
from causal_common.names import ResourceNames
from causal_ecs_runner.service import EcsService
from causal_ecs_runner.store import Task

logger = logging.getLogger(__name__)

HEARTBEAT_CHECK_SECONDS = 2.0


class Watcher:
    def __init__(
        self,
        service: EcsService,
        dynamodb: Any,
        stepfunctions: Any,
        names: ResourceNames,
        *,
        poll_seconds: float,
        heartbeat_timeout_seconds: float,
    ) -> None:
        self._service, self._stepfunctions = service, stepfunctions
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

    def _job(self, task: Task) -> JobRecord | None:
        job_id = task.environment.get("JOB_ID")
        return self._jobs.get(job_id) if job_id else None

    def _finished(self, task: Task, code: int) -> None:
        user_stopped = task.stop_code is not None
        self._service._mark_stopped(task, "EssentialContainerExited", "Essential container in task exited", code)
        task.container_reason = None if code == 0 or not user_stopped else "stopped"
        logger.info("task %s stopped with exit code %s (%s)", task.arn, code, task.stopped_reason)
        job = self._job(task)
        if job is None or job.finished:
            return
        if user_stopped:
            reason = f"task stopped ({task.stop_code}): {task.stopped_reason}; exit code {code}"
            error = "TaskStopped" if task.stop_code == "UserInitiated" else "TaskHeartbeatMissed"
        else:
            # Set when the task was lost with the process that ran it (e.g. the warm worker), not by its own doing.
            lost = getattr(self._service.backend, "exit_reason", lambda _container: None)(task.container)
            last = self._service.backend.logs(task.container, tail=1).strip()
            reason = (
                f"task exited with code {code} without reporting a result"
                + (f": {lost}" if lost else "")
                + (f"; last output: {last[:300]}" if last else "")
            )
            error = LOST_TASK_ERROR if lost else "TaskExited"
        fail_job(self._jobs, self._stepfunctions, job, reason, error)

    def _check_heartbeat(self, task: Task) -> None:
        job = self._job(task)
        if job is None or job.finished:
            return
        last_ms = float(job.heartbeat_at or 0) or (task.started_at or time.time()) * 1000
        silent = time.time() - last_ms / 1000
        if silent > self._heartbeat_timeout:
            logger.warning("task %s missed its heartbeat (%.0f s silent); stopping it", task.arn, silent)
            self._service.stop(task, "ServiceSchedulerInitiated", f"missed heartbeat: no heartbeat for {silent:.0f} s")
