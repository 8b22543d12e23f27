"""The ECS JSON protocol over HTTP (``X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>``)."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from causal_ecs_runner.service import EcsService
from causal_ecs_runner.store import EcsError

logger = logging.getLogger(__name__)

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
CONTENT_TYPE = "application/x-amz-json-1.1"


def make_server(host: str, port: int, service: EcsService) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            logger.debug(format, *args)

        def _reply(self, status: int, body: dict[str, Any], content_type: str = CONTENT_TYPE) -> None:
            payload = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", "local")
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") in ("/health", ""):
                healthy, detail = service.backend.healthy()
                body = {"status": "ok" if healthy else "unhealthy", "backend": service.backend.name, "detail": detail}
                if hasattr(service.backend, "status"):
                    body.update(service.backend.status())
                self._reply(200 if healthy else 503, body, "application/json")
                return
            self._reply(404, {"message": "not found"}, "application/json")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            target = self.headers.get("X-Amz-Target", "")
            if not target.startswith(TARGET_PREFIX):
                self._reply(400, {"__type": "UnknownOperationException", "message": f"unknown target {target!r}"})
                return
            try:
                request = json.loads(raw or b"{}")
                response = service.handle(target[len(TARGET_PREFIX) :], request)
            except json.JSONDecodeError:
                self._reply(400, {"__type": "SerializationException", "message": "the body is not JSON"})
                return
            except EcsError as exc:
                self._reply(400, {"__type": exc.code, "message": exc.message})
                return
            self._reply(200, response)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
