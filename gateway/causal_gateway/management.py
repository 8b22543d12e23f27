"""The management API's operations on connections (``/@connections/{id}``)."""

from __future__ import annotations

import time
from typing import Any

from causal_gateway import stack_watch
from causal_gateway.gateway import Gateway


def iso8601(epoch_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms / 1000)) + f".{epoch_ms % 1000:03d}Z"


def _gone(gateway: Gateway, connection_id: str, operation: str) -> None:
    gateway.metrics.gone += 1
    gateway.record("gone", connection_id, operation=operation)


async def post(gateway: Gateway, connection_id: str, body: bytes) -> bool:
    """Push ``body`` to the client (text frame if UTF-8, else binary); False if gone."""
    connection = gateway.registry.get(connection_id)
    if connection is not None and connection.is_open:
        try:
            data: str | bytes = body.decode("utf-8")
        except UnicodeDecodeError:
            data = body
        if await connection.send(data):
            stack_watch.observe_push(connection, body)
            gateway.metrics.pushes += 1
            gateway.metrics.push_bytes += len(body)
            gateway.record("push", connection_id, bytes=len(body))
            return True
    _gone(gateway, connection_id, "post")
    return False


def info(gateway: Gateway, connection_id: str) -> dict[str, Any] | None:
    connection = gateway.registry.get(connection_id)
    if connection is None or not connection.is_open:
        _gone(gateway, connection_id, "get")
        return None
    return {
        "connectedAt": iso8601(connection.connected_at_ms),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "lastActiveAt": iso8601(connection.last_active_ms),
    }


async def delete(gateway: Gateway, connection_id: str) -> bool:
    connection = gateway.registry.get(connection_id)
    if connection is None or not connection.is_open:
        _gone(gateway, connection_id, "delete")
        return False
    gateway.record("delete", connection_id)
    await connection.close(1000, "Connection closed by the management API")
    return True
