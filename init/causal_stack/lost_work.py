"""Jobs whose ECS runner died: failed with the reason, so the workflow ends with an ``error`` frame.

The tasks a local ECS runner started die with it (its warm worker stops them),
and nothing else would ever report them: without this, their executions wait
for the heartbeat timeout. The error name is matched by no tool-error Catch,
so the execution goes to HandleError, which tells the client what happened.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.errors import LOST_TASK_ERROR
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

IN_FLIGHT = ("PENDING", "RUNNING")


def fail_in_flight_jobs(dynamodb: Any, stepfunctions: Any, names: ResourceNames, reason: str) -> list[str]:
    """Fail every pending or running job; returns their ids."""
    failed: list[str] = []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=names.jobs_table, ConsistentRead=True,
        FilterExpression="#status IN (:pending, :running)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":pending": {"S": IN_FLIGHT[0]}, ":running": {"S": IN_FLIGHT[1]}},
    )
    for page in pages:
        for item in page.get("Items", []):
            job_id = item["jobId"]["S"]
            try:
                dynamodb.update_item(
                    TableName=names.jobs_table, Key={"jobId": {"S": job_id}},
                    UpdateExpression="SET #status = :failed, #reason = :reason, finishedAt = :now",
                    ConditionExpression="#status IN (:pending, :running)",
                    ExpressionAttributeNames={"#status": "status", "#reason": "reason"},
                    ExpressionAttributeValues={":failed": {"S": "FAILED"}, ":reason": {"S": reason},
                                               ":pending": {"S": IN_FLIGHT[0]}, ":running": {"S": IN_FLIGHT[1]},
                                               ":now": {"N": str(int(time.time() * 1000))}},
                )
            except dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # it finished meanwhile
            token = item.get("taskToken", {}).get("S")
            if token:
                try:
                    stepfunctions.send_task_failure(taskToken=token, error=LOST_TASK_ERROR, cause=reason[:32768])
                except (ClientError, BotoCoreError) as exc:
                    logger.warning("SendTaskFailure for lost job %s refused: %s", job_id, exc)
            failed.append(job_id)
    return failed
