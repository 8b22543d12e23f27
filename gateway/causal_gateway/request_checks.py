"""Host allow-list and Origin check on every HTTP request and WebSocket handshake.

A pure ASGI middleware (streaming responses and WebSockets pass through
untouched). ``Host`` must be a loopback name or a configured one (no DNS
rebinding); a request that carries ``Origin`` (a browser's) must come from
the gateway's own origin or a configured one, so no other web page can call
the API, open a WebSocket with a user's token, or post a form.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from causal_guard.request_origin import HostAllowList, OriginAllowList, same_origin

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


class RequestOriginCheck:
    def __init__(self, app: Any, *, allowed_hosts: list[str], allowed_origins: list[str]) -> None:
        self.app = app
        self.hosts = HostAllowList.of(allowed_hosts)
        self.origins = OriginAllowList.of(allowed_origins)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        problem = self.problem(scope, headers)
        if problem is None:
            await self.app(scope, receive, send)
            return
        logger.warning("refused %s %s: %s", scope["type"], scope.get("path"), problem)
        if scope["type"] == "http":
            await _deny_http(send, problem)
        else:
            await _deny_websocket(scope, receive, send, problem)

    def problem(self, scope: Scope, headers: dict[str, str]) -> str | None:
        host = headers.get("host", "")
        if not self.hosts.allows(host):
            return (
                f"Host {host!r} is not served here: the gateway answers loopback names; "
                "add others with GATEWAY_ALLOWED_HOSTS"
            )
        origin = headers.get("origin")
        if origin is None:
            return None
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        if same_origin(origin, host, scheme) or self.origins.allows(origin):
            return None
        return (
            f"requests from other web pages are refused (Origin {origin!r}); "
            f"allowed: this gateway's own pages and {self.origins.describe()} (GATEWAY_ALLOWED_ORIGINS)"
        )


async def _deny_http(send: Any, message: str) -> None:
    body = json.dumps({"message": "Forbidden", "reason": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _deny_websocket(scope: Scope, receive: Any, send: Any, message: str) -> None:
    await receive()  # websocket.connect
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})  # the server answers the handshake with 403
        return
    body = json.dumps({"message": "Forbidden", "reason": message}).encode()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})
