"""JSON endpoints: tokens, connections, timelines, metrics, health."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from causal_common import tokens
from causal_common.errors import InvalidUserIdError
from causal_dashboard import DashboardRouter
from causal_gateway.errors import SecretUnavailableError
from causal_gateway.gateway import Gateway
from causal_gateway.health import HealthProbe

logger = logging.getLogger(__name__)

router = APIRouter()


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def require_operator(request: Request) -> None:
    """Connections, timelines and metrics are the dashboard's: they need its operator session."""
    dashboard: DashboardRouter = request.app.state.dashboard
    dashboard.require_operator(request)


operator = [Depends(require_operator)]


@router.post("/auth/token")
async def issue_token(request: Request) -> JSONResponse:
    """``{"userId"}`` → ``{"token", "expiresAt", "userId", "websocketUrl"}``.

    A development feature: it mints a token for any user id, so it answers only
    with ``GATEWAY_DEV_TOKENS`` on (never against real AWS).
    """
    gateway = _gateway(request)
    if not gateway.settings.dev_tokens:
        return JSONResponse(
            {
                "message": "POST /auth/token is a development feature and is off here (GATEWAY_DEV_TOKENS); "
                "get a token with `causal-stack token --user ID`"
            },
            status_code=403,
        )
    try:
        payload: Any = await request.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JSONResponse({"message": 'the body must be JSON {"userId": "…"}'}, status_code=400)
    try:
        user_id = tokens.validate_user_id(payload.get("userId"))
        key = await gateway.run_blocking(gateway.secrets.signing_key)
    except InvalidUserIdError as exc:
        return JSONResponse({"message": exc.message}, status_code=400)
    except SecretUnavailableError as exc:
        logger.error("cannot issue tokens: %s", exc.message)
        return JSONResponse(
            {"message": "the token signing key is not available; is the stack deployed?"}, status_code=503
        )
    ttl = gateway.settings.token_ttl_seconds
    now = int(time.time())
    token = tokens.issue_token(key, user_id, ttl, now=now)
    host = request.headers.get("host", f"{gateway.settings.host}:{gateway.settings.port}")
    return JSONResponse(
        {
            "token": token,
            "expiresAt": now + ttl,
            "userId": user_id,
            "websocketUrl": f"ws://{host}/{gateway.settings.stage}?token={token}",
        }
    )


@router.get("/api/connections", dependencies=operator)
async def list_connections(request: Request) -> list[dict[str, Any]]:
    return _gateway(request).connections_json()


@router.get("/api/connections/{connection_id:path}/timeline", dependencies=operator)
async def connection_timeline(request: Request, connection_id: str) -> JSONResponse:
    timeline = _gateway(request).timeline_json(connection_id)
    if timeline is None:
        return JSONResponse({"message": f"no connection {connection_id!r} (open or recently closed)"}, status_code=404)
    return JSONResponse({"connectionId": connection_id, "events": timeline})


@router.get("/api/metrics", dependencies=operator)
async def metrics(request: Request) -> dict[str, Any]:
    return _gateway(request).metrics_json()


@router.get("/openapi.json", include_in_schema=False, dependencies=operator)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    gateway = _gateway(request)
    probe: HealthProbe = request.app.state.health_probe
    report = await gateway.run_blocking(probe.check)
    if gateway.restarting is not None:
        report.update(status="restarting", restarting=gateway.restarting)
    report.update(
        {
            "stage": gateway.settings.stage,
            "authMode": gateway.settings.auth_mode,
            "devTokens": gateway.settings.dev_tokens,
            "connections": len(gateway.registry.open_connections()),
        }
    )
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
