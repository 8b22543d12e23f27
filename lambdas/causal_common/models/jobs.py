"""A job: one run of an ECS tool task, as its item in the ``jobs`` table.

dispatch-tool creates it (PENDING), the task marks it RUNNING, heartbeats and
finishes it; the local ECS runner and the launcher fail it when its task was
lost; the dashboard lists it. They all read and write it through
:class:`causal_common.jobs.JobRepository`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field


class JobStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"


IN_FLIGHT_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)
FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED)


class JobRecord(BaseModel):
    """The job item; attribute names as stored (camelCase), times in epoch milliseconds."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    job_id: str = Field(alias="jobId")
    status: JobStatus = JobStatus.PENDING
    session_id: str | None = Field(default=None, alias="sessionId")
    tool: str | None = None
    task_family: str | None = Field(default=None, alias="taskFamily")
    dataset_id: str | None = Field(default=None, alias="datasetId")
    call_id: str | None = Field(default=None, alias="callId")
    # The tool call's arguments as JSON text.
    arguments: str | None = None
    # The Step Functions task token: a credential for the workflow, never shown.
    task_token: str | None = Field(default=None, alias="taskToken")
    task_arn: str | None = Field(default=None, alias="taskArn")
    reason: str | None = None
    result_key: str | None = Field(default=None, alias="resultKey")
    created_at: int | None = Field(default=None, alias="createdAt")
    started_at: int | None = Field(default=None, alias="startedAt")
    heartbeat_at: int | None = Field(default=None, alias="heartbeatAt")
    finished_at: int | None = Field(default=None, alias="finishedAt")

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_item(cls, item: dict[str, dict[str, str]]) -> Self:
        """From a DynamoDB item (``{"jobId": {"S": …}, "createdAt": {"N": …}}``)."""
        return cls.model_validate({key: next(iter(value.values())) for key, value in item.items()})

    def to_item(self) -> dict[str, dict[str, str]]:
        """The DynamoDB item; unset attributes are left out."""
        return {key: _attribute(value) for key, value in self.model_dump(by_alias=True, exclude_none=True).items()}

    def shown(self) -> dict[str, Any]:
        """The attributes set, as stored, without the task token (for the dashboard)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"task_token"})


def listed_attributes() -> tuple[str, ...]:
    """The attribute names a job listing reads (not the call's id and arguments, nor the task token)."""
    hidden = {"call_id", "arguments", "task_token"}
    return tuple(field.alias or name for name, field in JobRecord.model_fields.items() if name not in hidden)


def _attribute(value: object) -> dict[str, str]:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"N": str(value)}
    return {"S": str(value)}
