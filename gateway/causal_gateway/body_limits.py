"""Size and nesting limits on every JSON request body, before any route parses it.

A pure ASGI middleware. Python's JSON parser recurses once per level, so a body
of 200,000 nested brackets would end in ``RecursionError`` (a 500) inside the
route; here it is a 400 that says what is accepted. Multipart and form bodies
(uploads, the login form) have limits of their own and pass through; so does the
management API, whose SigV4-signed frames are bounded by the message limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from causal_common.json_limits import MAX_JSON_DEPTH, nesting_exceeds

logger = logging.getLogger(__name__)

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class JsonBodyLimits:
    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS or "/@connections/" in scope["path"]:
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        if headers.get("content-type", "").split(";")[0].strip().lower() in _FORM_TYPES:
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, 413, self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, 413, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if body.lstrip()[:1] in (b"{", b"[") and nesting_exceeds(body.decode("utf-8", errors="replace")):
            logger.warning(
                "refused %s %s: JSON nested more than %s levels", scope["method"], scope["path"], MAX_JSON_DEPTH
            )
            await _refuse(
                send,
                400,
                f"the JSON body nests more than {MAX_JSON_DEPTH} levels deep; send a flat JSON object",
            )
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes, the most accepted (GATEWAY_MAX_JSON_BODY)"


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
