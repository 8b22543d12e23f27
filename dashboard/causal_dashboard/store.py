"""Sessions, their frames and jobs, read from DynamoDB with bounded scans."""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from causal_common.errors import NotFoundError
from causal_common.jobs import JobRepository
from causal_common.models.jobs import JobRecord
from causal_dashboard.clients import AwsClients

logger = logging.getLogger(__name__)

_deserializer = TypeDeserializer()
SESSION_FIELDS = (
    "sessionId",
    "userId",
    "datasetId",
    "status",
    "executionArn",
    "lastSeq",
    "createdAt",
    "updatedAt",
    "connectionId",
)
JOB_FIELDS = JobRepository.listed_attributes()
MAX_FRAMES = 500


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain JSON values (numbers become int or float)."""
    result: dict[str, Any] = {}
    for key, value in item.items():
        result[key] = _number(_deserializer.deserialize(value))
    return result


def _number(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_number(v) for v in value)
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    return value


def _json(text: Any, default: Any) -> Any:
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


class TableScanCache:
    """Whole-table scans of a few attributes, reused for ``ttl`` seconds.

    Sorting by time needs every item (DynamoDB has no order across partitions);
    with projection a thousand items is one or two pages.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def scan(self, dynamodb: Any, table: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(table)
            if cached and now - cached[0] < self._ttl:
                return cached[1]
        names = {f"#a{i}": name for i, name in enumerate(fields)}
        kwargs: dict[str, Any] = {
            "TableName": table,
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
        }
        items: list[dict[str, Any]] = []
        try:
            while True:
                page = dynamodb.scan(**kwargs)
                items.extend(plain(item) for item in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except dynamodb.exceptions.ResourceNotFoundException:
            items = []
        with self._lock:
            self._entries[table] = (time.monotonic(), items)
        return items


def _page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    limit = min(max(limit, 1), 500)
    offset = max(offset, 0)
    return {
        "total": len(items),
        "offset": offset,
        "limit": limit,
        "items": items[offset : offset + limit],
        "nextOffset": offset + limit if offset + limit < len(items) else None,
    }


def list_sessions(
    clients: AwsClients,
    cache: TableScanCache,
    *,
    limit: int = 50,
    offset: int = 0,
    user_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    items = cache.scan(clients.dynamodb, clients.names.sessions_table, SESSION_FIELDS)
    if user_id:
        items = [item for item in items if item.get("userId") == user_id]
    if status:
        items = [item for item in items if item.get("status") == status]
    items = sorted(items, key=lambda item: item.get("updatedAt") or item.get("createdAt") or 0, reverse=True)
    return _page(items, limit, offset)


def session_detail(clients: AwsClients, session_id: str) -> dict[str, Any]:
    names = clients.names
    dynamodb = clients.dynamodb
    found = dynamodb.get_item(TableName=names.sessions_table, Key={"sessionId": {"S": session_id}}, ConsistentRead=True)
    if "Item" not in found:
        raise NotFoundError(f"no session {session_id!r}")
    session = plain(found["Item"])
    session["conversation"] = _json(session.get("conversation"), [])
    session["result"] = _json(session.get("result"), None)
    with ThreadPoolExecutor(max_workers=3) as pool:
        frames = pool.submit(session_frames, clients, session_id)
        jobs = pool.submit(session_jobs, clients, session_id)
        connections = pool.submit(session_connections, clients, session_id)
        return {
            "session": session,
            "frames": frames.result(),
            "jobs": jobs.result(),
            "connections": connections.result(),
        }


def session_frames(clients: AwsClients, session_id: str, *, after_seq: int = 0) -> list[dict[str, Any]]:
    """The session's frames in ``seq`` order, with their delivery status."""
    page = clients.dynamodb.query(
        TableName=clients.names.pending_messages_table,
        KeyConditionExpression="sessionId = :s AND seq > :after",
        ExpressionAttributeValues={":s": {"S": session_id}, ":after": {"N": str(after_seq)}},
        Limit=MAX_FRAMES,
    )
    frames = []
    for raw in page.get("Items", []):
        item = plain(raw)
        frames.append(
            {
                "seq": item.get("seq"),
                "type": item.get("frameType"),
                "status": item.get("status"),
                "createdAt": item.get("createdAt"),
                "frame": _json(item.get("frame"), item.get("frame")),
            }
        )
    return frames


def session_jobs(clients: AwsClients, session_id: str) -> list[dict[str, Any]]:
    try:
        jobs = JobRepository(clients.dynamodb, clients.names).list(session_id=session_id)
    except clients.dynamodb.exceptions.ResourceNotFoundException:
        return []
    shown = []
    for job in sorted(jobs, key=lambda job: job.created_at or 0):
        item = with_timings(job.shown())  # without the task token, a credential for the workflow
        item["arguments"] = _json(job.arguments, job.arguments)
        shown.append(item)
    return shown


def session_connections(clients: AwsClients, session_id: str) -> list[dict[str, Any]]:
    try:
        page = clients.dynamodb.query(
            TableName=clients.names.connections_table,
            IndexName=clients.names.connections_session_index,
            KeyConditionExpression="sessionId = :s",
            ExpressionAttributeValues={":s": {"S": session_id}},
        )
    except clients.dynamodb.exceptions.ResourceNotFoundException:
        return []
    return [plain(item) for item in page.get("Items", [])]


def with_timings(job: dict[str, Any]) -> dict[str, Any]:
    """Add ``queuedMs`` (created → started) and ``runMs`` (started → finished or now)."""
    created, started, finished = job.get("createdAt"), job.get("startedAt"), job.get("finishedAt")
    job["queuedMs"] = started - created if created and started else None
    if started:
        job["runMs"] = (finished or int(time.time() * 1000)) - started
    else:
        job["runMs"] = None
    return job


def list_jobs(
    clients: AwsClients, cache: TableScanCache, *, limit: int = 50, offset: int = 0, session_id: str | None = None
) -> dict[str, Any]:
    scanned = cache.scan(clients.dynamodb, clients.names.jobs_table, JOB_FIELDS)
    items = [JobRecord.model_validate(item).shown() for item in scanned]
    if session_id:
        items = [item for item in items if item.get("sessionId") == session_id]
    items.sort(key=lambda item: item.get("createdAt") or 0, reverse=True)
    result = _page(items, limit, offset)
    result["items"] = [with_timings(item) for item in result["items"]]
    return result


class RecentSessions:
    """The newest sessions for the live view, kept fresh without scanning every second.

    A full scan (slow on emulators: ~1 s per 1,000 items on moto) runs when the
    table's item count changes or every ``full_every`` seconds; in between the
    shown sessions are re-read with one BatchGetItem.
    """

    def __init__(self, clients: AwsClients, *, limit: int = 50, full_every: float = 10.0) -> None:
        self._clients = clients
        self._limit = limit
        self._full_every = full_every
        self._items: dict[str, dict[str, Any]] | None = None
        self._count: int | None = None
        self._full_at = 0.0
        self._lock = threading.Lock()

    def _item_count(self) -> int | None:
        try:
            return self._clients.dynamodb.describe_table(TableName=self._clients.names.sessions_table)["Table"].get(
                "ItemCount"
            )
        except self._clients.dynamodb.exceptions.ResourceNotFoundException:
            return None

    def refresh(self) -> None:
        with self._lock:
            count = self._item_count()
            stale = time.monotonic() - self._full_at > self._full_every
            if self._items is None or count != self._count or stale:
                items = TableScanCache(ttl=0).scan(
                    self._clients.dynamodb, self._clients.names.sessions_table, SESSION_FIELDS
                )
                self._items = {item["sessionId"]: item for item in items}
                self._count = count
                self._full_at = time.monotonic()
                return
            shown = [item["sessionId"] for item in self.newest()]
            if not shown:
                return
            names = {f"#a{i}": name for i, name in enumerate(SESSION_FIELDS)}
            table = self._clients.names.sessions_table
            found = self._clients.dynamodb.batch_get_item(
                RequestItems={
                    table: {
                        "Keys": [{"sessionId": {"S": session_id}} for session_id in shown],
                        "ProjectionExpression": ", ".join(names),
                        "ExpressionAttributeNames": names,
                    }
                }
            )
            for raw in found.get("Responses", {}).get(table, []):
                item = plain(raw)
                self._items[item["sessionId"]] = item

    def newest(self) -> list[dict[str, Any]]:
        items = list((self._items or {}).values())
        items.sort(key=lambda item: item.get("updatedAt") or item.get("createdAt") or 0, reverse=True)
        return items[: self._limit]

    @property
    def total(self) -> int:
        return len(self._items or {})
