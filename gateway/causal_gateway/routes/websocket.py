"""``ws://host/<stage>``: the WebSocket API."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from causal_gateway.gateway import Gateway

logger = logging.getLogger(__name__)

# API Gateway's bodies for a refused $connect (throttled: 429; a reason of ours beside the message).
_DENIAL_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable"}


async def websocket_endpoint(websocket: WebSocket) -> None:
    gateway: Gateway = websocket.app.state.gateway
    source_ip = websocket.client.host if websocket.client else ""
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in websocket.scope["headers"]]
    headers += [("X-Forwarded-For", source_ip), ("X-Forwarded-Proto", websocket.url.scheme.replace("ws", "http"))]
    query = parse_qsl(websocket.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    connection = gateway.new_connection(
        websocket.headers.get("host", ""), source_ip, websocket.headers.get("user-agent", "")
    )
    outcome = await gateway.connect(connection, headers, query)
    if not outcome.accepted:
        message = {"message": _DENIAL_MESSAGES.get(outcome.status, outcome.message or "Forbidden")}
        if outcome.status in _DENIAL_MESSAGES and outcome.message:
            message["reason"] = outcome.message
        await websocket.send_denial_response(JSONResponse(message, status_code=outcome.status))
        return
    await gateway.serve(connection, websocket, outcome.subprotocol)


def build_router(stage: str) -> APIRouter:
    router = APIRouter()
    router.add_api_websocket_route(f"/{stage}", websocket_endpoint)
    router.add_api_websocket_route(f"/{stage}/", websocket_endpoint)
    return router
