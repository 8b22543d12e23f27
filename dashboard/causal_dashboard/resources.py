"""Every resource of the stack at a glance (``GET /api/resources``). Secret values are never read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.aws import error_code, error_message, is_not_found
from causal_dashboard.clients import AwsClients
from causal_dashboard.executions import epoch_ms
from causal_dashboard.functions import list_functions

logger = logging.getLogger(__name__)

MAX_COUNTED_OBJECTS = 10_000


def tables(clients: AwsClients) -> list[dict[str, Any]]:
    names = clients.names
    rows: list[dict[str, Any]] = []
    for table in (names.sessions_table, names.connections_table, names.jobs_table, names.pending_messages_table):
        try:
            described = clients.dynamodb.describe_table(TableName=table)["Table"]
        except clients.dynamodb.exceptions.ResourceNotFoundException:
            rows.append({"name": table, "status": "MISSING", "itemCount": None})
            continue
        rows.append(
            {
                "name": table,
                "status": described.get("TableStatus"),
                "itemCount": described.get("ItemCount"),
                "sizeBytes": described.get("TableSizeBytes"),
                "keys": [key["AttributeName"] for key in described.get("KeySchema", [])],
                "indexes": [index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])],
            }
        )
    return rows


def buckets(clients: AwsClients) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for bucket in (clients.names.datasets_bucket, clients.names.artifacts_bucket):
        count, size, truncated = 0, 0, False
        kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": 1000}
        try:
            while True:
                page = clients.s3.list_objects_v2(**kwargs)
                count += page.get("KeyCount", 0)
                size += sum(obj.get("Size", 0) for obj in page.get("Contents", []))
                if not page.get("IsTruncated"):
                    break
                if count >= MAX_COUNTED_OBJECTS:
                    truncated = True
                    break
                kwargs["ContinuationToken"] = page["NextContinuationToken"]
        except ClientError as exc:
            if is_not_found(exc):
                rows.append({"name": bucket, "status": "MISSING", "objectCount": None})
                continue
            raise
        rows.append(
            {"name": bucket, "status": "OK", "objectCount": count, "sizeBytes": size, "countTruncated": truncated}
        )
    return rows


def secrets(clients: AwsClients) -> list[dict[str, Any]]:
    """Names and dates only: list_secrets never returns values, and we never call get_secret_value."""
    rows: list[dict[str, Any]] = []
    paginator = clients.secretsmanager.get_paginator("list_secrets")
    for page in paginator.paginate():
        for secret in page.get("SecretList", []):
            if secret["Name"].startswith(clients.names.prefix):
                rows.append(
                    {
                        "name": secret["Name"],
                        "createdAt": epoch_ms(secret.get("CreatedDate")),
                        "lastChangedAt": epoch_ms(secret.get("LastChangedDate")),
                    }
                )
    return sorted(rows, key=lambda row: row["name"])


def state_machines(clients: AwsClients) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    paginator = clients.stepfunctions.get_paginator("list_state_machines")
    for page in paginator.paginate():
        for machine in page.get("stateMachines", []):
            if machine["name"].startswith(clients.names.prefix):
                rows.append(
                    {
                        "name": machine["name"],
                        "arn": machine["stateMachineArn"],
                        "type": machine.get("type"),
                        "createdAt": epoch_ms(machine.get("creationDate")),
                    }
                )
    return rows


def ecs(clients: AwsClients) -> dict[str, Any]:
    names = clients.names
    cluster: dict[str, Any] = {"name": names.cluster, "status": "MISSING"}
    described = clients.ecs.describe_clusters(clusters=[names.cluster]).get("clusters", [])
    if described:
        found = described[0]
        cluster = {
            "name": found.get("clusterName", names.cluster),
            "status": found.get("status"),
            "runningTasks": found.get("runningTasksCount"),
            "pendingTasks": found.get("pendingTasksCount"),
        }
    definitions = []
    for family in ("eda", "causal-analysis"):
        full = names.task_family(family)
        try:
            definition = clients.ecs.describe_task_definition(taskDefinition=full)["taskDefinition"]
        except ClientError:
            definitions.append({"family": full, "status": "MISSING"})
            continue
        container = (definition.get("containerDefinitions") or [{}])[0]
        definitions.append(
            {
                "family": full,
                "status": definition.get("status"),
                "revision": definition.get("revision"),
                "image": container.get("image"),
                "command": container.get("command"),
            }
        )
    return {"cluster": cluster, "taskDefinitions": definitions}


def functions(clients: AwsClients) -> list[dict[str, Any]]:
    return [
        {
            key: row[key]
            for key in ("name", "state", "stateReason", "stateReasonCode", "fixHint", "runtime", "lastModified")
        }
        for row in list_functions(clients)
    ]


SECTIONS: dict[str, Callable[[AwsClients], Any]] = {
    "tables": tables,
    "buckets": buckets,
    "secrets": secrets,
    "stateMachines": state_machines,
    "functions": functions,
    "ecs": ecs,
}


def all_resources(clients: AwsClients) -> dict[str, Any]:
    """Every section; a section whose service fails carries ``{"error": …}`` instead of failing the rest."""

    def one(name: str) -> tuple[str, Any]:
        try:
            return name, SECTIONS[name](clients)
        except (ClientError, BotoCoreError) as exc:
            logger.warning("resources section %s failed: %s", name, exc)
            return name, {"error": _describe(exc)}

    with ThreadPoolExecutor(max_workers=len(SECTIONS)) as pool:
        return dict(pool.map(one, SECTIONS))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return f"{error_code(exc)}: {error_message(exc)}"
    return str(exc)
