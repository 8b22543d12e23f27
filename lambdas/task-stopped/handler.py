"""task-stopped: an ECS task stopped (EventBridge "ECS Task State Change"): fail its unfinished job and execution."""

from __future__ import annotations

from typing import Any

from task_stopped import TaskStoppedClients, TaskStoppedSettings, fail_stopped_task_job

from causal_common import log
from causal_common.jobs import JobRepository
from causal_common.lambda_handler import lambda_handler
from causal_common.models.ecs_events import TaskStateChangeEvent


def _clients() -> TaskStoppedClients:
    settings = TaskStoppedSettings()
    log.configure(settings.log_level)
    return TaskStoppedClients(settings)


@lambda_handler(TaskStateChangeEvent, _clients)
def handler(event: TaskStateChangeEvent, clients: TaskStoppedClients) -> dict[str, Any]:
    return fail_stopped_task_job(event, JobRepository(clients.dynamodb, clients.names), clients.stepfunctions)
