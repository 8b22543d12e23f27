"""Integration events shaped exactly as API Gateway builds them for WebSocket APIs."""

from __future__ import annotations

import base64
import binascii
import functools
import os
import random
import time
from typing import Any

from causal_gateway.registry import Connection

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def new_id(length_bytes: int = 11) -> str:
    """A connection id shaped like API Gateway's (``Vg4bIeBkliACFlw=``), unguessable, safe in a URL path."""
    return base64.urlsafe_b64encode(os.urandom(length_bytes)).decode()


def new_request_id() -> str:
    """A request or message id: unique, not secret (cheaper than ``os.urandom`` per message)."""
    return binascii.b2a_base64(random.getrandbits(88).to_bytes(11, "big"), newline=False).decode()


@functools.lru_cache(maxsize=4)
def _request_time_of_second(epoch_second: int) -> str:
    moment = time.gmtime(epoch_second)
    return f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:" + time.strftime(
        "%H:%M:%S +0000", moment
    )


def request_time(epoch_ms: int) -> str:
    """``09/Feb/2024:10:00:00 +0000``."""
    return _request_time_of_second(epoch_ms // 1000)


def _request_context(connection: Connection, route_key: str, event_type: str, request_id: str) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": connection.identity,
        "requestId": request_id,
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": connection.api_id,
    }
    if connection.authorizer is not None:
        # Shared between a connection's events: integrations treat events as read-only.
        context["authorizer"] = connection.authorizer
    return context


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # the last value wins, as on API Gateway
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_event(
    connection: Connection, headers: list[tuple[str, str]], query: list[tuple[str, str]], request_id: str
) -> dict[str, Any]:
    header_map, multi_headers = _multi(headers)
    event: dict[str, Any] = {
        "headers": header_map,
        "multiValueHeaders": multi_headers,
        "requestContext": _request_context(connection, "$connect", "CONNECT", request_id),
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"], event["multiValueQueryStringParameters"] = _multi(query)
    return event


def authorizer_event(
    connection: Connection, headers: list[tuple[str, str]], query: list[tuple[str, str]], request_id: str, region: str
) -> dict[str, Any]:
    """The event of a Lambda REQUEST authorizer on ``$connect``."""
    event = connect_event(connection, headers, query, request_id)
    event.pop("isBase64Encoded")
    event["type"] = "REQUEST"
    event["methodArn"] = f"arn:aws:execute-api:{region}:000000000000:{connection.api_id}/{connection.stage}/$connect"
    event["requestContext"].pop("authorizer", None)
    event.setdefault("queryStringParameters", {})
    return event


def message_event(connection: Connection, route_key: str, body: str | bytes, request_id: str) -> dict[str, Any]:
    context = _request_context(connection, route_key, "MESSAGE", request_id)
    context["messageId"] = new_request_id()
    if isinstance(body, bytes):
        return {"requestContext": context, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(connection: Connection, status_code: int, reason: str, request_id: str) -> dict[str, Any]:
    context = _request_context(connection, "$disconnect", "DISCONNECT", request_id)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {"requestContext": context, "isBase64Encoded": False}
