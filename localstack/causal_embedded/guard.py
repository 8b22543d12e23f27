"""The emulator's front door: a WSGI middleware in front of moto's server application.

The checks are :class:`causal_guard.front_door.FrontDoor`'s, shared with the
ECS runner: an allowed ``Host`` (loopback names, or configured ones: no DNS
rebinding); no browser page unless its ``Origin`` is allowed (no permissive
CORS: moto's server echoes any origin); and a valid AWS signature (header or
presigned query) made with the stack's credentials. moto's admin routes
(``/moto-api/*``: reset, seed, config, the model dump, the recorder) need a
signature too unless ``--debug-admin`` was given, and the recorder answers
only with ``--recorder`` (:mod:`causal_embedded.admin`). The state snapshot route
(``/_causal/state/*``, :mod:`causal_embedded.state_keeper`) is guarded as the admin routes are. Refusals use the error
shape of the request's AWS protocol.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from causal_embedded.admin import ADMIN_PREFIX, RECORDER_PREFIX
from causal_embedded.settings import EmulatorSettings
from causal_embedded.state_keeper import STATE_PREFIX
from causal_guard import aws_errors, sigv4
from causal_guard.front_door import AccessRefusedError, Connection, FrontDoor, StackCredentials
from causal_guard.request_origin import HostAllowList, OriginAllowList

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Where moto's server keeps the original spelling of headers with underscores (S3 metadata).
_PRESERVED_HEADER_NAMES = "moto.preserved_header_names"
# Answered without a signature (after the Host and Origin checks): nothing of the stack's state.
_UNSIGNED_PATHS = frozenset({"/_causal/health", "/favicon.ico"})
_EXPOSED_HEADERS = "x-amz-request-id, x-amzn-RequestId, x-amzn-ErrorType, x-amz-version-id, ETag, Content-Length"


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers with lower-case names, as the client spelled them."""
    preserved = environ.get(_PRESERVED_HEADER_NAMES) or {}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = preserved.get(key) or key[5:].replace("_", "-")
            headers[name.lower()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers[key.replace("_", "-").lower()] = value
    return headers


def connection_of(environ: dict[str, Any]) -> Connection | None:
    try:
        local = environ["werkzeug.socket"].getsockname()
    except (KeyError, AttributeError, OSError):
        local = (None, environ.get("SERVER_PORT"))
    try:
        return Connection(environ["REMOTE_ADDR"], int(environ["REMOTE_PORT"]), int(local[1]), local[0])
    except (KeyError, TypeError, ValueError):
        return None


class RequestGuard:
    def __init__(self, app: WsgiApp, settings: EmulatorSettings, credentials: StackCredentials) -> None:
        self._app = app
        self._door = FrontDoor(
            "emulator",
            HostAllowList.of(settings.allowed_hosts),
            OriginAllowList.of(settings.allowed_origins),
            credentials,
            "EMULATOR_ALLOWED_HOSTS",
            "EMULATOR_ALLOWED_ORIGINS",
        )
        self._verify_aws = not settings.accept_any_credentials
        self._verify_admin = not settings.debug_admin
        self._recorder = settings.recorder

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = request_headers(environ)
        path = environ.get("PATH_INFO", "")
        origin = headers.get("origin")
        try:
            self._door.check_host_and_origin(headers)
        except AccessRefusedError as exc:
            return self._refuse(environ, start_response, headers, path, "access-denied", exc.message)
        if (
            origin is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            return self._preflight(start_response, origin, headers)
        if path.startswith(RECORDER_PREFIX) and not self._recorder:
            return self._refuse(
                environ,
                start_response,
                headers,
                path,
                "access-denied",
                "moto's recorder is off: start the emulator with --recorder (EMULATOR_RECORDER=1) to use it",
            )
        admin = path == ADMIN_PREFIX or path.startswith((ADMIN_PREFIX + "/", STATE_PREFIX))
        needs_signature = self._verify_admin if admin else self._verify_aws and path not in _UNSIGNED_PATHS
        if needs_signature:
            refusal = self._check_signature(environ, headers, path)
            if refusal is not None:
                return refusal(start_response)
        if origin is None:
            return self._app(environ, start_response)
        return self._app(environ, self._with_cors(start_response, origin))

    def _check_signature(
        self, environ: dict[str, Any], headers: dict[str, str], path: str
    ) -> Callable[..., Iterable[bytes]] | None:
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or path
        request = sigv4.IncomingRequest(
            method=environ.get("REQUEST_METHOD", "GET"),
            raw_path=raw_uri.split("?", 1)[0],
            query_string=environ.get("QUERY_STRING", ""),
            headers=headers,
        )
        try:
            self._door.check_signature(request, connection_of(environ), lambda: _read_body(environ))
        except sigv4.SignatureError as exc:
            logger.info("refused %s %s: %s", request.method, request.raw_path, exc.code)
            access_key = exc.access_key_id if isinstance(exc, sigv4.UnknownAccessKeyError) else None
            response = aws_errors.error_response(
                aws_errors.protocol_of(headers, path, _service_of(request)),
                aws_errors.refusal_of(exc),
                self._door.describe_refusal(exc),
                access_key_id=access_key,
            )
            return lambda start_response: _send(start_response, response)
        return None

    def _refuse(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        headers: dict[str, str],
        path: str,
        refusal: aws_errors.Refusal,
        message: str,
    ) -> Iterable[bytes]:
        logger.warning("refused %s %s: %s", environ.get("REQUEST_METHOD"), path, message)
        service = _scope_service(headers.get("authorization", ""))
        return _send(
            start_response, aws_errors.error_response(aws_errors.protocol_of(headers, path, service), refusal, message)
        )

    @staticmethod
    def _preflight(start_response: Callable[..., Any], origin: str, headers: dict[str, str]) -> Iterable[bytes]:
        start_response(
            "200 OK",
            [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD, PATCH"),
                ("Access-Control-Allow-Headers", headers.get("access-control-request-headers", "")),
                ("Access-Control-Max-Age", "600"),
                ("Vary", "Origin"),
                ("Content-Length", "0"),
            ],
        )
        return [b""]

    @staticmethod
    def _with_cors(start_response: Callable[..., Any], origin: str) -> Callable[..., Any]:
        def start(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in response_headers if not name.lower().startswith("access-control-")]
            kept += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Expose-Headers", _EXPOSED_HEADERS),
                ("Vary", "Origin"),
            ]
            return start_response(status, kept, exc_info) if exc_info is not None else start_response(status, kept)

        return start


def _service_of(request: sigv4.IncomingRequest) -> str | None:
    """The AWS service a (refused) request was signed for, to answer in its protocol."""
    try:
        signature = sigv4.read_signature(request)
    except sigv4.SignatureError:
        return _scope_service(request.headers.get("authorization", ""))
    if signature is None:
        return None
    return signature.service or ("s3" if signature.version == "v2" else None)


def _scope_service(authorization: str) -> str | None:
    try:
        return authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")[3]
    except IndexError:
        return None


def _read_body(environ: dict[str, Any]) -> bytes:
    """The whole body, put back for moto to read again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _send(start_response: Callable[..., Any], response: aws_errors.ErrorResponse) -> Iterable[bytes]:
    start_response(
        f"{response.status} {_REASONS.get(response.status, 'Error')}",
        [*response.headers, ("Content-Length", str(len(response.body)))],
    )
    return [response.body]


_REASONS = {400: "Bad Request", 403: "Forbidden"}
