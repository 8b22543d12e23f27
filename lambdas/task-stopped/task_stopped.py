"""A stopped ECS task fails its job and the execution waiting on it, with the stop reason and exit code.

ECS's "Task State Change" event (``lastStatus`` STOPPED) reaches this function through an
EventBridge rule, on AWS and locally alike. A task that reported its own result first (the job is
SUCCEEDED or FAILED) is left alone, so a repeated event changes nothing.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from pydantic import Field

from causal_common import aws, log
from causal_common.errors import LOST_TASK_ERROR
from causal_common.jobs import JobRepository, fail_job
from causal_common.models.ecs_events import STOPPED, TaskStateChangeEvent
from causal_common.names import ResourceNames
from causal_common.settings import AwsSettings

logger = logging.getLogger(__name__)

# The workflow's error for each of ECS's stop codes; a task lost with its host is not the task's doing.
_ERRORS = {
    "EssentialContainerExited": "TaskExited",
    "UserInitiated": "TaskStopped",
    "ServiceSchedulerInitiated": "TaskStopped",
    "TaskFailedToStart": "TaskFailedToStart",
    "SpotInterruption": LOST_TASK_ERROR,
    "TerminationNotice": LOST_TASK_ERROR,
}


class TaskStoppedSettings(AwsSettings):
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


class TaskStoppedClients:
    def __init__(self, settings: TaskStoppedSettings) -> None:
        self.settings = settings
        self.names = ResourceNames.from_settings(settings)

    @cached_property
    def dynamodb(self) -> Any:
        return aws.client("dynamodb", self.settings)

    @cached_property
    def stepfunctions(self) -> Any:
        return aws.client("stepfunctions", self.settings)


def failure_of(event: TaskStateChangeEvent) -> tuple[str, str]:
    """The workflow's (error, cause) for a stopped task: what stopped it, why, and its exit code."""
    detail = event.detail
    code = detail.exit_code
    parts = [f"task stopped ({detail.stop_code or 'unknown stop code'}): {detail.stopped_reason or 'no reason given'}"]
    parts.append(f"exit code {code}" if code is not None else "no exit code (the container did not run to an exit)")
    if detail.container_reason:
        parts.append(detail.container_reason)
    return _ERRORS.get(detail.stop_code or "", "TaskStopped"), "; ".join(parts)


def fail_stopped_task_job(event: TaskStateChangeEvent, jobs: JobRepository, stepfunctions: Any) -> dict[str, Any]:
    """Fail the job of the stopped task unless it has finished; what was done, for the invocation's result."""
    detail = event.detail
    if detail.last_status != STOPPED:
        return {"taskArn": detail.task_arn, "action": "ignored", "why": f"lastStatus {detail.last_status}"}
    job_id = detail.job_id
    job = jobs.get(job_id) if job_id else None
    if job is None:
        logger.warning("stopped task %s names no known job (%s); nothing to fail", detail.task_arn, job_id)
        return {"taskArn": detail.task_arn, "action": "ignored", "why": "no job"}
    with log.bound(session_id=job.session_id):
        if job.finished:
            logger.info("task %s stopped after its job %s finished (%s)", detail.task_arn, job.job_id, job.status)
            return {"taskArn": detail.task_arn, "jobId": job.job_id, "action": "none", "why": str(job.status)}
        error, cause = failure_of(event)
        failed = fail_job(jobs, stepfunctions, job, cause, error)
        return {"taskArn": detail.task_arn, "jobId": job.job_id, "action": "failed" if failed else "none"}
