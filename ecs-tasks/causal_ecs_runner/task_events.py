"""ECS's "Task State Change" events, sent to EventBridge as ECS sends them on AWS.

Whatever the stack does about a stopped task (the ``task-stopped`` function fails its job) hangs off
an EventBridge rule, as on AWS; the runner only reports what happened to the task.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.aws import error_code
from causal_common.models.ecs_events import TaskStateChangeDetail, event_time, put_events_entry
from causal_ecs_runner.store import Task

logger = logging.getLogger(__name__)

_TIMES = ("createdAt", "startedAt", "stoppedAt")


def detail_of(task: Task) -> TaskStateChangeDetail:
    """The event's detail: the task as DescribeTasks shows it, times as ECS's events write them."""
    described = task.to_api()
    for key in _TIMES:
        if key in described:
            described[key] = event_time(described[key])
    for key in ("cpu", "memory"):
        if key in described:
            described[key] = str(described[key])
    return TaskStateChangeDetail.model_validate(described)


class TaskEvents:
    """Sends task state changes to the default event bus (``events`` is a boto3 EventBridge client)."""

    def __init__(self, events: Any) -> None:
        self._events = events

    def send(self, task: Task) -> bool:
        """Whether EventBridge took the event; a refusal is logged (the task's state is kept either way)."""
        entry = put_events_entry(detail_of(task))
        try:
            response = self._events.put_events(Entries=[entry])
        except ClientError as exc:
            logger.warning("the state change of task %s was refused by EventBridge: %s", task.arn, error_code(exc))
            return False
        except BotoCoreError as exc:
            logger.warning("the state change of task %s did not reach EventBridge: %s", task.arn, exc)
            return False
        if response.get("FailedEntryCount"):
            failed = (response.get("Entries") or [{}])[0]
            logger.warning(
                "the state change of task %s was refused by EventBridge: %s %s",
                task.arn,
                failed.get("ErrorCode"),
                failed.get("ErrorMessage"),
            )
            return False
        logger.info("task %s: %s event sent", task.arn, task.last_status)
        return True
