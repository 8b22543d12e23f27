"""ECS's "Task State Change" event, as EventBridge delivers it (source ``aws.ecs``).

On AWS, ECS sends it; locally the ECS runner sends the same shape with PutEvents. The
``task-stopped`` function reads it to fail the job whose task stopped. Only the parts read or
written here are modelled; the rest of AWS's fields pass through unread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from causal_common.lambda_handler import LambdaEvent

ECS_SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
STOPPED = "STOPPED"
# The environment variable of a task's container that names its job (dispatch-tool sets it in the overrides).
JOB_ID_VARIABLE = "JOB_ID"


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ContainerState(_Part):
    name: str = ""
    container_arn: str | None = Field(default=None, alias="containerArn")
    last_status: str | None = Field(default=None, alias="lastStatus")
    exit_code: int | None = Field(default=None, alias="exitCode")
    reason: str | None = None


class EnvironmentVariable(_Part):
    name: str
    value: str = ""


class ContainerOverride(_Part):
    name: str | None = None
    environment: list[EnvironmentVariable] = Field(default_factory=list)


class TaskOverrides(_Part):
    container_overrides: list[ContainerOverride] = Field(default_factory=list, alias="containerOverrides")


class TaskStateChangeDetail(_Part):
    task_arn: str = Field(alias="taskArn")
    cluster_arn: str = Field(alias="clusterArn")
    task_definition_arn: str | None = Field(default=None, alias="taskDefinitionArn")
    last_status: str = Field(alias="lastStatus")
    desired_status: str | None = Field(default=None, alias="desiredStatus")
    stop_code: str | None = Field(default=None, alias="stopCode")
    stopped_reason: str | None = Field(default=None, alias="stoppedReason")
    containers: list[ContainerState] = Field(default_factory=list)
    overrides: TaskOverrides = Field(default_factory=TaskOverrides)
    launch_type: str | None = Field(default=None, alias="launchType")
    group: str | None = None
    cpu: str | None = None
    memory: str | None = None
    started_by: str | None = Field(default=None, alias="startedBy")
    created_at: str | None = Field(default=None, alias="createdAt")
    started_at: str | None = Field(default=None, alias="startedAt")
    stopped_at: str | None = Field(default=None, alias="stoppedAt")

    def environment_value(self, name: str) -> str | None:
        """The last override of ``name`` in any container (the task definition's own values are not in the event)."""
        found = None
        for override in self.overrides.container_overrides:
            for variable in override.environment:
                if variable.name == name:
                    found = variable.value
        return found

    @property
    def job_id(self) -> str | None:
        return self.environment_value(JOB_ID_VARIABLE)

    @property
    def exit_code(self) -> int | None:
        """The essential (first) container's exit code; ``None`` when it never ran or was not seen to exit."""
        return self.containers[0].exit_code if self.containers else None

    @property
    def container_reason(self) -> str | None:
        return next((container.reason for container in self.containers if container.reason), None)


class TaskStateChangeEvent(LambdaEvent):
    """The EventBridge envelope around :class:`TaskStateChangeDetail`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = None
    source: str = ECS_SOURCE
    detail_type: str = Field(default=TASK_STATE_CHANGE, alias="detail-type")
    account: str | None = None
    region: str | None = None
    time: str | None = None
    resources: list[str] = Field(default_factory=list)
    detail: TaskStateChangeDetail

    def log_ids(self) -> dict[str, str | None]:
        return {"task_arn": self.detail.task_arn, "job_id": self.detail.job_id}


def event_time(epoch_seconds: float | None) -> str | None:
    """ECS's timestamp format in events: ISO 8601 UTC with milliseconds (``2024-01-02T03:04:05.678Z``)."""
    if epoch_seconds is None:
        return None
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def put_events_entry(detail: TaskStateChangeDetail, event_bus: str = "default") -> dict[str, Any]:
    """The PutEvents entry ECS's own event would be: source, detail type, the task as its resource."""
    return {
        "Source": ECS_SOURCE,
        "DetailType": TASK_STATE_CHANGE,
        "Resources": [detail.task_arn],
        "Detail": detail.model_dump_json(by_alias=True, exclude_none=True),
        "EventBusName": event_bus,
    }
