"""The seam to the dashboard and the uvicorn protocol choice."""

from __future__ import annotations

import sys
import types

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from causal_gateway.app import mount_dashboard
from causal_gateway.protocol import GatewayWebSocketProtocol, protocol_class
from causal_gateway.server import RedactTokens, uvicorn_config
from causal_gateway.settings import GatewaySettings


def test_dashboard_router_is_mounted_with_the_gateway_object(monkeypatch: pytest.MonkeyPatch) -> None:
    received = {}

    def build_router(settings: GatewaySettings, gateway: object) -> APIRouter:
        received.update(settings=settings, gateway=gateway)
        router = APIRouter()
        router.add_api_route("/probe", lambda: {"ok": True})
        return router

    monkeypatch.setitem(sys.modules, "causal_dashboard", types.SimpleNamespace(build_router=build_router))
    app = FastAPI()
    settings = GatewaySettings()
    gateway = object()
    assert mount_dashboard(app, settings, gateway) is True  # type: ignore[arg-type]
    assert received == {"settings": settings, "gateway": gateway}
    assert TestClient(app).get("/probe").json() == {"ok": True}


def test_gateway_runs_without_a_dashboard_router(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "causal_dashboard", types.SimpleNamespace())
    assert mount_dashboard(FastAPI(), GatewaySettings(), object()) is False  # type: ignore[arg-type]


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
