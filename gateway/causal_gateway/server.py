"""Running the gateway under uvicorn: in the foreground, or in a thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from causal_gateway.protocol import protocol_class
from causal_gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)
_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """uvicorn logs request URLs; ``?token=`` is a credential and never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's ANSI-coloured copy of the message would be a second field in JSON logs.
        record.__dict__.pop("color_message", None)
        if record.args:
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"\1***", record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.error", "uvicorn.access"):
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactTokens) for existing in target.filters):
            target.addFilter(RedactTokens())


def uvicorn_config(app: FastAPI, settings: GatewaySettings, **overrides: Any) -> uvicorn.Config:
    install_log_redaction()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        # uvicorn's sans-I/O websockets protocol (what ws="auto" picks), plus the frame limit.
        "ws": protocol_class(settings.frame_limit_bytes),
        "ws_max_size": settings.message_limit_bytes,
        "ws_per_message_deflate": False,
        "lifespan": "on",
        "log_config": None,
        "timeout_graceful_shutdown": 5,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def run(app: FastAPI, settings: GatewaySettings) -> None:
    config = uvicorn_config(app, settings)
    if settings.extra_port is None:
        uvicorn.Server(config).run()
        return
    try:
        sockets = [listening_socket(settings.host, settings.port)]
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc.strerror or exc)
        raise SystemExit(1) from exc
    try:
        sockets.append(listening_socket(settings.host, settings.extra_port))
        logger.info("also serving on http://%s:%s", settings.host, settings.extra_port)
    except OSError as exc:
        # The second address is a convenience: the gateway runs without it.
        logger.warning(
            "port %s on %s is not available (%s): the dashboard and /api/resources are served on port %s only",
            settings.extra_port,
            settings.host,
            exc.strerror or exc,
            settings.port,
        )
    uvicorn.Server(config).run(sockets=sockets)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn (it listens on it), as uvicorn binds its own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class BackgroundServer:
    """uvicorn in a daemon thread; ``with BackgroundServer(app, settings) as server: server.url``."""

    def __init__(self, app: FastAPI, settings: GatewaySettings, **overrides: Any) -> None:
        overrides.setdefault("access_log", False)
        self._server = uvicorn.Server(uvicorn_config(app, settings, **overrides))
        self._settings = settings
        self._thread = threading.Thread(target=self._serve, name="gateway-server", daemon=True)

    def _serve(self) -> None:
        asyncio.run(self._server.serve())

    @property
    def url(self) -> str:
        return f"http://{self._settings.host}:{self._settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._settings.host}:{self._settings.port}/{self._settings.stage}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
