"""websocket-handler: $connect, $disconnect and the client's actions (query, reply, cancel, resume)."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.websocket import WebSocketEvent, WebSocketService

_service: WebSocketService | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _service
    if _service is None:
        _service = WebSocketService(runtime.clients())
    return _service.handle(WebSocketEvent.model_validate(event))
