"""The management API: ``POST|GET|DELETE [/<stage>]/@connections/{id}``, SigV4-signed.

Error responses carry ``x-amzn-ErrorType`` so boto3 raises the modelled
exceptions (``GoneException``, ``ForbiddenException``, ``PayloadTooLargeException``).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from causal_gateway import management, sigv4
from causal_gateway.errors import PayloadTooLargeError, SecretUnavailableError
from causal_gateway.gateway import Gateway

logger = logging.getLogger(__name__)

router = APIRouter()


def _error(status: int, error_type: str, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers={"x-amzn-ErrorType": error_type})


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"payload exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"payload exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _handle(request: Request, connection_id: str, stage: str | None) -> Response:
    gateway: Gateway = request.app.state.gateway
    settings = gateway.settings
    if stage is not None and stage != settings.stage:
        return _error(403, "ForbiddenException", "Forbidden")
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        sigv4.parse_authorization(headers)  # an unsigned request is 403 even if the secret is unreadable
        known = await gateway.run_blocking(gateway.secrets.management_credentials)
        credentials = sigv4.check_credentials(headers, known, settings.region, settings.signature_max_skew_seconds)
        body = await _read_body(request, settings.message_limit_bytes)
        sigv4.verify(
            sigv4.SignedRequest(
                method=request.method,
                host=headers.get("host", ""),
                raw_path=request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
                query_string=request.scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                body=body,
            ),
            credentials,
        )
    except sigv4.SignatureError as exc:
        gateway.metrics.management_forbidden += 1
        return _error(403, "ForbiddenException", exc.message)
    except PayloadTooLargeError:
        gateway.metrics.payload_too_large += 1
        return _error(413, "PayloadTooLargeException", f"Request payload exceeds {settings.message_limit_bytes} bytes")
    except SecretUnavailableError as exc:
        logger.error("management API unavailable: %s", exc.message)
        return _error(500, "InternalServerErrorException", "Internal server error")

    if request.method == "POST":
        if await management.post(gateway, connection_id, body):
            return Response(status_code=200)
    elif request.method == "GET":
        details = management.info(gateway, connection_id)
        if details is not None:
            return JSONResponse(details)
    elif await management.delete(gateway, connection_id):
        return Response(status_code=204)
    return _error(410, "GoneException", "Gone")


@router.api_route("/@connections/{connection_id:path}", methods=["GET", "POST", "DELETE"], include_in_schema=False)
async def connections_without_stage(request: Request, connection_id: str) -> Response:
    return await _handle(request, connection_id, None)


@router.api_route(
    "/{stage}/@connections/{connection_id:path}", methods=["GET", "POST", "DELETE"], include_in_schema=False
)
async def connections_with_stage(request: Request, stage: str, connection_id: str) -> Response:
    return await _handle(request, connection_id, stage)
