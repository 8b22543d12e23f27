"""The seam to the dashboard and the uvicorn protocol choice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from causal_common.errors import NotFoundError
from causal_gateway.app import mount_dashboard
from causal_gateway.protocol import GatewayWebSocketProtocol, protocol_class
from causal_gateway.server import RedactTokens, uvicorn_config
from causal_gateway.settings import GatewaySettings


class FakeGatewayView:
    """What the dashboard reads from the gateway (causal_dashboard.GatewayView)."""

    def connections_json(self) -> list[dict[str, Any]]:
        return [{"connectionId": "c-1", "userId": "alice"}]

    def metrics_json(self) -> dict[str, Any]:
        return {"routes": {}}

    async def events_json(self) -> AsyncIterator[dict[str, Any]]:
        yield {"type": "connect", "connectionId": "c-1"}


def test_the_dashboard_is_mounted_with_the_gateway_view() -> None:
    app = FastAPI()
    view = FakeGatewayView()
    dashboard = mount_dashboard(app, GatewaySettings(), view)
    assert dashboard.context.view is view
    client = TestClient(app)
    assert client.get("/").status_code == 200
    assert client.get("/api/ping").status_code == 401  # the dashboard's operator login guards its API
    client.get("/login", params={"code": dashboard.operator_login.login_code()})
    assert client.get("/api/config").json()["liveConnections"] is True


def test_the_projects_errors_become_statuses_on_the_app() -> None:
    app = FastAPI()
    mount_dashboard(app, GatewaySettings(), FakeGatewayView())

    @app.get("/missing")
    def missing() -> None:
        raise NotFoundError("no such thing")

    assert TestClient(app).get("/missing").json() == {"detail": "no such thing"}
    assert TestClient(app).get("/missing").status_code == 404


def test_uvicorn_uses_the_sansio_protocol_with_the_configured_limits() -> None:
    settings = GatewaySettings(frame_limit_bytes=1000, message_limit_bytes=5000)
    config = uvicorn_config(FastAPI(), settings)
    assert issubclass(config.ws, GatewayWebSocketProtocol)
    assert config.ws.frame_limit == 1000 and config.ws_max_size == 5000
    assert protocol_class(7).frame_limit == 7 and GatewayWebSocketProtocol.frame_limit == 32 * 1024


def test_tokens_are_redacted_from_uvicorn_log_lines() -> None:
    import logging

    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        "",
        0,
        '%s - "WebSocket %s" [accepted]',
        ("1.2.3.4", "/dev?token=abc.def&x=1"),
        None,
    )
    RedactTokens().filter(record)
    assert "abc.def" not in record.getMessage() and "token=***&x=1" in record.getMessage()
