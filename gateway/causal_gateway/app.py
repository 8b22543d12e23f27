"""``create_app(settings)``: the gateway's FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from causal_common import aws
from causal_dashboard import DashboardRouter, GatewayView, build_router
from causal_gateway.body_limits import JsonBodyLimits
from causal_gateway.gateway import Gateway
from causal_gateway.health import HealthProbe
from causal_gateway.integration import Integration, LambdaIntegration
from causal_gateway.request_checks import RequestOriginCheck
from causal_gateway.routes import api, management, websocket
from causal_gateway.secrets import GatewaySecrets
from causal_gateway.settings import GatewaySettings
from causal_gateway.stack_watch import StackCheck

logger = logging.getLogger(__name__)


def create_app(
    settings: GatewaySettings, *, integration: Integration | None = None, secretsmanager: Any | None = None
) -> FastAPI:
    """The gateway app. ``integration`` defaults to Lambda Invoke at the settings' endpoint."""
    secrets_client = secretsmanager or aws.client("secretsmanager", settings)
    stack_check = StackCheck(settings, secretsmanager) if settings.require_deployed else None
    gateway = Gateway(
        settings, integration or LambdaIntegration(settings), GatewaySecrets(settings, secrets_client), stack_check
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway.loop = asyncio.get_running_loop()
        sweeper = asyncio.create_task(gateway.sweep_forever())
        watcher = asyncio.create_task(gateway.watch_stack_forever()) if stack_check is not None else None
        logger.info("gateway serving stage %s, routes %s", settings.stage, sorted(settings.routes))
        if settings.dev_tokens:
            logger.warning("POST /auth/token is on: it mints a token for any user id (development only)")
        try:
            yield
        finally:
            sweeper.cancel()
            if watcher is not None:
                watcher.cancel()
            gateway.shutdown()

    # The schema is served behind the dashboard login (routes/api.py); no CDN-hosted docs pages.
    app = FastAPI(
        title="causal-analysis WebSocket gateway", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.gateway = gateway
    app.state.health_probe = HealthProbe(settings, secrets_client)
    app.include_router(api.router)
    app.include_router(management.router)
    app.include_router(websocket.build_router(settings.stage))
    app.state.dashboard = mount_dashboard(app, settings, gateway)
    app.add_middleware(JsonBodyLimits, max_bytes=settings.max_json_body_bytes)
    # Added last, so it runs first: a refused Host or Origin costs no body read.
    app.add_middleware(
        RequestOriginCheck, allowed_hosts=settings.allowed_hosts, allowed_origins=settings.allowed_origins
    )
    return app


def mount_dashboard(app: FastAPI, settings: GatewaySettings, view: GatewayView) -> DashboardRouter:
    """The seam to the dashboard: it reads the gateway through ``view`` (the :class:`Gateway`).

    Mounted after the gateway's own routes, so those win on a clash.
    """
    dashboard = build_router(settings, view)
    dashboard.add_to(app)
    return dashboard
