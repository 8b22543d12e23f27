"""websocket-handler: $connect, $disconnect and the client's actions (query, reply, cancel, resume)."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.websocket import WebSocketEvent, WebSocketService
from causal_common.lambda_handler import lambda_handler


@lambda_handler(WebSocketEvent, lambda: WebSocketService(runtime.clients()))
def handler(event: WebSocketEvent, service: WebSocketService) -> dict[str, Any]:
    return service.handle(event)
