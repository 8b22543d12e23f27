"""The emulator's front door: a WSGI middleware in front of moto's server application.

In order, a request must: name an allowed ``Host`` (loopback names, or configured
ones: no DNS rebinding); come from no browser page, or from an allowed
``Origin`` (no permissive CORS: moto's server echoes any origin); and carry a
valid AWS signature (header or presigned query) made with the stack's
credentials. Refusals use the error shape of the request's AWS protocol.
``/moto-api`` (moto's own control and health API, not an AWS API) needs no
signature but passes the Host and Origin checks.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from causal_embedded import aws_errors
from causal_embedded.settings import EmulatorSettings
from causal_guard import sigv4
from causal_guard.request_origin import HostAllowList, OriginAllowList

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Where moto's server keeps the original spelling of headers with underscores (S3 metadata).
_PRESERVED_HEADER_NAMES = "moto.preserved_header_names"
_UNSIGNED_PREFIXES = ("/moto-api", "/favicon.ico")
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


class RequestGuard:
    def __init__(self, app: WsgiApp, settings: EmulatorSettings) -> None:
        self._app = app
        self._hosts = HostAllowList.of(settings.allowed_hosts)
        self._origins = OriginAllowList.of(settings.allowed_origins)
        self._verify = not settings.accept_any_credentials
        self._known = {settings.access_key_id: sigv4.Credentials(settings.access_key_id, settings.secret_access_key)}
        self._access_key_id = settings.access_key_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = request_headers(environ)
        path = environ.get("PATH_INFO", "")
        origin = headers.get("origin")
        if not self._hosts.allows(headers.get("host")):
            return self._refuse(
                environ,
                start_response,
                headers,
                path,
                "access-denied",
                f"Host {headers.get('host', '')!r} is not served here: the emulator answers loopback "
                "names (localhost, 127.0.0.1, ::1); add others with EMULATOR_ALLOWED_HOSTS",
            )
        if origin is not None and not self._origins.allows(origin):
            return self._refuse(
                environ,
                start_response,
                headers,
                path,
                "access-denied",
                f"requests from web pages are refused (Origin {origin!r}); the emulator serves local "
                f"programs only. Allowed origins: {self._origins.describe()} (EMULATOR_ALLOWED_ORIGINS)",
            )
        if (
            origin is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            return self._preflight(start_response, origin, headers)
        if self._verify and not path.startswith(_UNSIGNED_PREFIXES):
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
        service: str | None = None
        try:
            signature = sigv4.read_signature(request)
            if signature is None:
                raise sigv4.MissingAuthenticationError(
                    "Missing Authentication Token: sign requests with the stack's credentials "
                    f"(AWS_ACCESS_KEY_ID={self._access_key_id}, as awslocal does)"
                )
            service = signature.service or ("s3" if signature.version == "v2" else None)
            if sigv4.payload_hash_needed(headers) and signature.location == "header":
                request = sigv4.IncomingRequest(
                    request.method, request.raw_path, request.query_string, headers, _read_body(environ)
                )
            sigv4.verify(request, signature, self._known)
        except sigv4.SignatureError as exc:
            message = exc.message
            if isinstance(exc, sigv4.UnknownAccessKeyError):
                message += (
                    f" This emulator accepts only the stack's credentials: AWS_ACCESS_KEY_ID={self._access_key_id}"
                    " (unset AWS_PROFILE and any other AWS_ACCESS_KEY_ID, as awslocal expects)."
                )
            logger.info("refused %s %s: %s", request.method, request.raw_path, exc.code)
            access_key = exc.access_key_id if isinstance(exc, sigv4.UnknownAccessKeyError) else None
            response = aws_errors.error_response(
                aws_errors.protocol_of(headers, path, service),
                aws_errors.refusal_of(exc),
                message,
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
