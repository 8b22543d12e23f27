"""DynamoDB tables and S3 buckets: create when missing, converge what can change."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from causal_deploy import tagging
from causal_deploy.manifest import BucketSpec, TableSpec
from causal_deploy.report import Action, DeployReport

logger = logging.getLogger(__name__)

_WAIT = {"Delay": 1, "MaxAttempts": 120}


def ensure_table(dynamodb: Any, spec: TableSpec, report: DeployReport, tags: tagging.Tags | None = None) -> None:
    try:
        table = dynamodb.describe_table(TableName=spec.name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        if not report.plan:
            dynamodb.create_table(**_create_arguments(spec), **({"Tags": tagging.pairs(tags)} if tags else {}))
            dynamodb.get_waiter("table_exists").wait(TableName=spec.name, WaiterConfig=_WAIT)
            _ensure_ttl(dynamodb, spec, plan=False)
        report.add("table", spec.name, Action.CREATED)
        return

    if _key_schema(table.get("KeySchema", [])) != _key_schema(_spec_key_schema(spec)):
        report.add("table", spec.name, Action.FAILED, "key schema differs")
        report.problem(
            f"table {spec.name}",
            f"its keys are {_key_schema(table['KeySchema'])}, the manifest wants {_key_schema(_spec_key_schema(spec))}",
            "keys cannot change in place: delete the table (its data is lost) and deploy again",
        )
        return
    changes: list[str] = []
    existing_indexes = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index in spec.indexes:
        if index.name not in existing_indexes and report.plan:
            changes.append(f"index {index.name}")
        elif index.name not in existing_indexes:
            dynamodb.update_table(
                TableName=spec.name,
                AttributeDefinitions=_attribute_definitions(spec),
                GlobalSecondaryIndexUpdates=[{"Create": _index_definition(index)}],
            )
            dynamodb.get_waiter("table_exists").wait(TableName=spec.name, WaiterConfig=_WAIT)
            changes.append(f"index {index.name}")
    if _ensure_ttl(dynamodb, spec, plan=report.plan):
        changes.append(f"TTL on {spec.ttl_attribute}")
    if tags and tagging.ensure("table", dynamodb, table["TableArn"], tags, plan=report.plan):
        changes.append("tags")
    report.add("table", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))


def _ensure_ttl(dynamodb: Any, spec: TableSpec, *, plan: bool) -> bool:
    if spec.ttl_attribute is None:
        return False
    current = dynamodb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
    if (
        current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and current.get("AttributeName") == spec.ttl_attribute
    ):
        return False
    if plan:
        return True
    dynamodb.update_time_to_live(
        TableName=spec.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
    )
    return True


def _spec_key_schema(spec: TableSpec) -> list[dict[str, str]]:
    schema = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
    if spec.sort_key:
        schema.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
    return schema


def _key_schema(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]


def _attribute_definitions(spec: TableSpec) -> list[dict[str, str]]:
    keys = [spec.partition_key, *([spec.sort_key] if spec.sort_key else []), *(i.partition_key for i in spec.indexes)]
    unique = {key.name: key.type for key in keys}
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in unique.items()]


def _index_definition(index: Any) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }


def _create_arguments(spec: TableSpec) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "TableName": spec.name,
        "KeySchema": _spec_key_schema(spec),
        "AttributeDefinitions": _attribute_definitions(spec),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        arguments["GlobalSecondaryIndexes"] = [_index_definition(index) for index in spec.indexes]
    return arguments


def ensure_bucket(
    s3: Any, spec: BucketSpec, region: str, report: DeployReport, tags: tagging.Tags | None = None
) -> None:
    try:
        s3.head_bucket(Bucket=spec.name)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403:
            report.add("bucket", spec.name, Action.FAILED, "access denied")
            report.problem(
                f"bucket {spec.name}",
                "the bucket exists but belongs to another account (S3 names are global)",
                "deploy with another --prefix",
            )
            return
        if status != 404:
            raise
        arguments: dict[str, Any] = {"Bucket": spec.name}
        if region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if not report.plan:
            s3.create_bucket(**arguments)
            tagging.ensure("bucket", s3, spec.name, tags or {}, plan=False)
        report.add("bucket", spec.name, Action.CREATED)
        return
    if tags and tagging.ensure("bucket", s3, spec.name, tags, plan=report.plan):
        report.add("bucket", spec.name, Action.UPDATED, "tags")
        return
    report.add("bucket", spec.name, Action.UNCHANGED)
