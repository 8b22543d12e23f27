"""DynamoDB tables and items, S3 buckets and objects, Secrets Manager secrets, CloudWatch Logs streams: out of
moto's backends into a :class:`~causal_embedded.state_snapshot.Snapshot` and back.

Records are taken in the shapes of the AWS APIs (an item in DynamoDB's JSON, a table
by its key schema and indexes, a secret by its current value), so a snapshot does
not depend on how a moto release lays out its objects; they are put back through
the backends' own create/put methods, which validate them as a request would.
Kept: what the stack stores. Not kept: S3 object versions other than the latest,
secrets' earlier versions and those scheduled for deletion, DynamoDB streams' records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from causal_common.names import DEPLOYED_TAG
from causal_embedded.state_snapshot import Snapshot


def _each(service: str) -> Iterator[tuple[str, str, Any]]:
    from moto.backends import get_backend

    for account_id, regions in list(get_backend(service).items()):  # type: ignore[call-overload]
        for region, backend in list(regions.items()):
            yield account_id, region, backend


# -- DynamoDB ---------------------------------------------------------------------------------------------------


def capture_dynamodb(snapshot: Snapshot) -> int:
    tables = []
    count = 0
    for account_id, region, backend in _each("dynamodb"):
        for table in list(backend.tables.values()):
            if not hasattr(table, "all_items"):
                continue
            entry = f"dynamodb/{account_id}/{region}/{table.name}"
            tables.append(
                {
                    "account": account_id,
                    "region": region,
                    "name": table.name,
                    "keySchema": table.schema,
                    "attributeDefinitions": table.attr,
                    "billingMode": table.billing_mode,
                    "throughput": {
                        key: value for key, value in table.throughput.items() if key != "NumberOfDecreasesToday"
                    },
                    "globalIndexes": [_index(index, throughput=True) for index in table.global_indexes],
                    "localIndexes": [_index(index, throughput=False) for index in table.indexes],
                    "streams": table.stream_specification
                    if (table.stream_specification or {}).get("StreamEnabled")
                    else None,
                    "tags": table.tags,
                    "ttl": table.ttl,
                    "deletionProtection": table.deletion_protection_enabled,
                    "items": entry,
                }
            )
            items = [item.to_json()["Attributes"] for item in table.all_items()]
            snapshot.lines[entry] = items
            count += len(items)
    snapshot.documents["dynamodb/tables"] = tables
    return count


def _index(index: Any, *, throughput: bool) -> dict[str, Any]:
    described = {"IndexName": index.name, "KeySchema": index.schema, "Projection": index.projection}
    if throughput and getattr(index, "throughput", None):
        described["ProvisionedThroughput"] = {
            key: value for key, value in index.throughput.items() if key in ("ReadCapacityUnits", "WriteCapacityUnits")
        }
    return described


def restore_dynamodb(snapshot: Snapshot) -> int:
    from moto.dynamodb.models import dynamodb_backends

    count = 0
    for described in snapshot.documents.get("dynamodb/tables", []):
        backend = dynamodb_backends[described["account"]][described["region"]]
        throughput = described["throughput"] if described["billingMode"] != "PAY_PER_REQUEST" else None
        table = backend.create_table(
            described["name"],
            schema=described["keySchema"],
            throughput=throughput if throughput and any(throughput.values()) else None,
            attr=described["attributeDefinitions"],
            global_indexes=described["globalIndexes"],
            indexes=described["localIndexes"],
            streams=described["streams"],
            billing_mode=described["billingMode"],
            sse_specification=None,
            tags=described["tags"],
            deletion_protection_enabled=described["deletionProtection"],
            warm_throughput=None,
        )
        table.ttl = described["ttl"]
        for attributes in snapshot.lines.get(described["items"], []):
            table.put_item(attributes, overwrite=True)
            count += 1
    return count


# -- S3 -----------------------------------------------------------------------------------------------------------


def capture_s3(snapshot: Snapshot) -> int:
    buckets = []
    objects = []
    for account_id, partition, backend in _each("s3"):
        for bucket in list(backend.buckets.values()):
            buckets.append(
                {"account": account_id, "partition": partition, "name": bucket.name, "region": bucket.region_name}
            )
            for key in list(bucket.keys.values()):
                if getattr(key, "deleted", False) or not hasattr(key, "value"):
                    continue  # a delete marker
                body = key.value
                blob = "s3/" + hashlib.sha256(f"{bucket.name}\0{key.name}".encode()).hexdigest()
                snapshot.blobs[blob] = body
                objects.append(
                    {
                        "bucket": bucket.name,
                        "key": key.name,
                        "metadata": dict(key.metadata),
                        "storageClass": key.storage_class,
                        "lastModified": key.last_modified,
                        "tags": backend.tagger.list_tags_for_resource(key.arn).get("Tags", []),
                        "blob": blob,
                    }
                )
    snapshot.documents["s3/buckets"] = buckets
    snapshot.lines["s3/objects"] = objects
    return len(objects)


def restore_s3(snapshot: Snapshot) -> int:
    from moto.s3.models import s3_backends

    backends = {}
    for bucket in snapshot.documents.get("s3/buckets", []):
        backend = s3_backends[bucket["account"]][bucket["partition"]]
        backend.create_bucket(bucket["name"], bucket["region"])
        backends[bucket["name"]] = backend
    for stored in snapshot.lines.get("s3/objects", []):
        backend = backends[stored["bucket"]]
        key = backend.put_object(
            stored["bucket"],
            stored["key"],
            snapshot.blobs[stored["blob"]],
            storage=stored["storageClass"],
            disable_notification=True,
        )
        key.set_metadata(stored["metadata"], replace=True)
        key.last_modified = stored["lastModified"]
        if stored["tags"]:
            backend.tagger.tag_resource(key.arn, stored["tags"])
    return len(snapshot.lines.get("s3/objects", []))


# -- Secrets Manager ----------------------------------------------------------------------------------------------


def capture_secrets(snapshot: Snapshot) -> int:
    secrets = []
    for account_id, region, backend in _each("secretsmanager"):
        for secret in list(backend.secrets.values()):
            if getattr(secret, "deleted_date", None) or not hasattr(secret, "versions"):
                continue  # scheduled for deletion, or a replica of a secret kept elsewhere
            current: tuple[str | None, dict[str, Any]] = next(
                (
                    (version_id, version)
                    for version_id, version in secret.versions.items()
                    if "AWSCURRENT" in version.get("version_stages", [])
                ),
                (None, {}),
            )
            secrets.append(
                {
                    "account": account_id,
                    "region": region,
                    "name": secret.name,
                    "description": secret.description,
                    "tags": secret.tags,
                    "kmsKeyId": secret.kms_key_id,
                    "versionId": current[0],
                    "secretString": current[1].get("secret_string"),
                    "secretBinary": current[1].get("secret_binary"),
                }
            )
    snapshot.documents["secretsmanager/secrets"] = secrets
    return len(secrets)


def restore_secrets(snapshot: Snapshot) -> int:
    from moto.secretsmanager.models import secretsmanager_backends

    secrets = snapshot.documents.get("secretsmanager/secrets", [])
    for secret in secrets:
        # The deploy's mark says "this emulator holds a deployed stack": true again only once the deploy
        # that follows a restore has run (functions are not kept), so the gateway waits for it.
        tags = [tag for tag in secret["tags"] or [] if tag.get("Key") != DEPLOYED_TAG] or None
        secretsmanager_backends[secret["account"]][secret["region"]].create_secret(
            name=secret["name"],
            secret_string=secret["secretString"],
            secret_binary=secret["secretBinary"],
            description=secret["description"],
            tags=tags,
            kms_key_id=secret["kmsKeyId"],
            client_request_token=secret["versionId"],
            replica_regions=[],
            force_overwrite=False,
        )
    return len(secrets)


# -- CloudWatch Logs (the Lambda functions' log lines, which execution histories link to) ----------------------


def capture_logs(snapshot: Snapshot) -> int:
    streams = []
    count = 0
    for account_id, region, backend in _each("logs"):
        for group in list(backend.groups.values()):
            for stream in list(group.streams.values()):
                events = [{"timestamp": event.timestamp, "message": event.message} for event in list(stream.events)]
                streams.append(
                    {
                        "account": account_id,
                        "region": region,
                        "group": group.name,
                        "retentionInDays": group.retention_in_days,
                        "stream": stream.log_stream_name,
                        "events": events,
                    }
                )
                count += len(events)
    snapshot.lines["logs/streams"] = streams
    return count


def restore_logs(snapshot: Snapshot) -> int:
    from moto.logs.models import logs_backends

    count = 0
    for stored in snapshot.lines.get("logs/streams", []):
        backend = logs_backends[stored["account"]][stored["region"]]
        backend.ensure_log_group(stored["group"])
        group = backend.groups[stored["group"]]
        group.retention_in_days = stored["retentionInDays"]
        if stored["stream"] not in group.streams:
            backend.create_log_stream(stored["group"], stored["stream"])
        if stored["events"]:
            # The stream's own put: AWS's 14-day limit on a request's events does not apply to kept ones.
            group.streams[stored["stream"]].put_log_events(stored["events"])
        count += len(stored["events"])
    return count
