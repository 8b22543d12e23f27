"""The ECS JSON protocol over HTTP (``X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>``).

Every request passes the stack's front door first (:class:`causal_guard.front_door.FrontDoor`,
as the emulator's do): an allowed ``Host``, no browser page, and, for every operation, a
SigV4 signature with the stack's credentials. ``GET /health`` is answered unsigned.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from causal_ecs_runner.service import EcsService
from causal_ecs_runner.store import EcsError
from causal_guard import aws_errors, sigv4
from causal_guard.front_door import AccessRefusedError, Connection, FrontDoor

logger = logging.getLogger(__name__)

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
CONTENT_TYPE = "application/x-amz-json-1.1"


def make_server(host: str, port: int, service: EcsService, door: FrontDoor) -> ThreadingHTTPServer:
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

        def _headers(self) -> dict[str, str]:
            return {name.lower(): value for name, value in self.headers.items()}

        def _refuse(self, status: int, code: str, message: str) -> None:
            logger.warning("refused %s %s from %s: %s", self.command, self.path, self.client_address[0], code)
            self._reply(status, {"__type": code, "message": message})
            self.close_connection = True

        def _admitted(self, body: bytes | None) -> bool:
            """Whether the request passes the front door (``body`` given: it must be signed too)."""
            headers = self._headers()
            try:
                door.check_host_and_origin(headers)
            except AccessRefusedError as exc:
                self._refuse(403, "AccessDeniedException", exc.message)
                return False
            if body is None:
                return True
            path, _, query = self.path.partition("?")
            request = sigv4.IncomingRequest(self.command, path, query, headers, body)
            local = self.connection.getsockname()
            connection = Connection(str(self.client_address[0]), int(self.client_address[1]), local[1], local[0])
            try:
                door.check_signature(request, connection, lambda: body)
            except sigv4.SignatureError as exc:
                self._refuse(400, aws_errors.json_code(aws_errors.refusal_of(exc)), door.describe_refusal(exc))
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802
            if not self._admitted(None):
                return
            if self.path.rstrip("/") in ("/health", ""):
                healthy, detail = service.backend.healthy()
                body = {"status": "ok" if healthy else "unhealthy", "backend": service.backend.name, "detail": detail}
                if hasattr(service.backend, "status"):
                    body.update(service.backend.status())
                self._reply(200 if healthy else 503, body, "application/json")
                return
            self._reply(404, {"message": "not found"}, "application/json")

        def do_OPTIONS(self) -> None:  # noqa: N802 - a browser's preflight: no page may call the runner
            if self._admitted(None):
                self._refuse(403, "AccessDeniedException", "the ECS runner answers no browser preflight")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self._admitted(raw):
                return
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
