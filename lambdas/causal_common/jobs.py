"""The one repository of the ``jobs`` table, and "fail a job" written once.

Every reader and writer of a job (dispatch-tool, the ECS task, the local ECS
runner, the launcher, the dashboard) goes through :class:`JobRepository`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.aws import error_code
from causal_common.models.jobs import FINAL_STATUSES, JobRecord, JobStatus, listed_attributes
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

# Step Functions accepts a failure cause of at most 32,768 characters.
MAX_FAILURE_CAUSE = 32768


def now_ms() -> int:
    return int(time.time() * 1000)


class JobRepository:
    """Jobs in DynamoDB. ``dynamodb`` is a boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, names: ResourceNames) -> None:
        self._dynamodb, self.table = dynamodb, names.jobs_table

    def create(self, job: JobRecord) -> None:
        self._dynamodb.put_item(TableName=self.table, Item=job.to_item())

    def get(self, job_id: str) -> JobRecord | None:
        """The job as last written (a consistent read); ``None`` if there is none."""
        item = self._dynamodb.get_item(TableName=self.table, Key=_key(job_id), ConsistentRead=True).get("Item")
        return JobRecord.from_item(item) if item else None

    def set_task_arn(self, job_id: str, task_arn: str) -> None:
        self._set(job_id, taskArn=task_arn)

    def mark_running(self, job_id: str) -> None:
        at = now_ms()
        self._set(job_id, status=JobStatus.RUNNING, startedAt=at, heartbeatAt=at)

    def heartbeat(self, job_id: str) -> None:
        self._set(job_id, heartbeatAt=now_ms())

    def finish(self, job_id: str, *, error: str | None = None, result_key: str | None = None) -> None:
        """SUCCEEDED with the result's key, or FAILED with ``error`` as the reason."""
        if error is None:
            self._set(job_id, status=JobStatus.SUCCEEDED, finishedAt=now_ms(), resultKey=result_key or "")
        else:
            self._set(job_id, status=JobStatus.FAILED, reason=error, finishedAt=now_ms())

    def fail_if_unfinished(self, job_id: str, reason: str) -> bool:
        """FAILED with ``reason`` unless the job has finished meanwhile; whether it was failed here."""
        finals = {f":final{index}": {"S": str(status)} for index, status in enumerate(FINAL_STATUSES)}
        try:
            self._dynamodb.update_item(
                TableName=self.table,
                Key=_key(job_id),
                UpdateExpression="SET #status = :failed, #reason = :reason, finishedAt = :now",
                ConditionExpression=f"attribute_not_exists(#status) OR NOT #status IN ({', '.join(finals)})",
                ExpressionAttributeNames={"#status": "status", "#reason": "reason"},
                ExpressionAttributeValues={
                    ":failed": {"S": JobStatus.FAILED.value},
                    ":reason": {"S": reason},
                    ":now": {"N": str(now_ms())},
                    **finals,
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def in_flight(self) -> Iterator[JobRecord]:
        """Every pending or running job."""
        yield from self._scan(
            FilterExpression="#status IN (:pending, :running)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":pending": {"S": JobStatus.PENDING.value},
                ":running": {"S": JobStatus.RUNNING.value},
            },
        )

    def list(self, *, session_id: str | None = None) -> list[JobRecord]:
        """Every job, or a session's; unordered."""
        if session_id is None:
            return list(self._scan())
        return list(self._scan(FilterExpression="sessionId = :s", ExpressionAttributeValues={":s": {"S": session_id}}))

    @staticmethod
    def listed_attributes() -> tuple[str, ...]:
        return listed_attributes()

    def _scan(self, **filters: Any) -> Iterator[JobRecord]:
        for page in self._dynamodb.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True, **filters):
            for item in page.get("Items", []):
                yield JobRecord.from_item(item)

    def _set(self, job_id: str, **attributes: str | int) -> None:
        self._dynamodb.update_item(
            TableName=self.table,
            Key=_key(job_id),
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in attributes),
            ExpressionAttributeNames={f"#{key}": key for key in attributes},
            ExpressionAttributeValues={f":{key}": _value(value) for key, value in attributes.items()},
        )


def fail_job(jobs: JobRepository, stepfunctions: Any, job: JobRecord, reason: str, error: str) -> bool:
    """Fail ``job`` unless it has finished, and tell its workflow (SendTaskFailure), so nothing waits for it.

    Whether it was failed here. A workflow that refuses the failure (it timed out or was stopped) is logged.
    """
    if not jobs.fail_if_unfinished(job.job_id, reason):
        return False
    if job.task_token:
        try:
            stepfunctions.send_task_failure(taskToken=job.task_token, error=error, cause=reason[:MAX_FAILURE_CAUSE])
        except ClientError as exc:
            logger.warning("SendTaskFailure for job %s refused: %s", job.job_id, error_code(exc))
        except BotoCoreError as exc:
            logger.warning("SendTaskFailure for job %s not sent: %s", job.job_id, exc)
    logger.info("job %s failed: %s", job.job_id, reason)
    return True


def _key(job_id: str) -> dict[str, dict[str, str]]:
    return {"jobId": {"S": job_id}}


def _value(value: str | int) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
