"""What a dashboard route needs, as FastAPI dependencies.

Each dashboard binds itself to the request first (a dependency of its router),
so one process can serve several dashboards (tests do) without globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from causal_dashboard import store
from causal_dashboard.clients import AwsClients
from causal_dashboard.gateway_view import GatewayView
from causal_dashboard.live import LiveHub
from causal_dashboard.login_routes import OperatorGuard
from causal_dashboard.operator_login import OperatorSession
from causal_dashboard.settings import DashboardSettings


@dataclass(frozen=True)
class DashboardContext:
    config: DashboardSettings
    aws: AwsClients
    scans: store.TableScanCache
    hub: LiveHub
    guard: OperatorGuard
    view: GatewayView | None


def dashboard_context(request: Request) -> DashboardContext:
    context = request.state.dashboard
    assert isinstance(context, DashboardContext), "a dashboard route outside its router"
    return context


Context = Annotated[DashboardContext, Depends(dashboard_context)]


def aws_clients(context: Context) -> AwsClients:
    return context.aws


def settings(context: Context) -> DashboardSettings:
    return context.config


def operator(request: Request, context: Context) -> OperatorSession:
    """An operator session (401 without one)."""
    return context.guard.api(request)


def operator_state_change(request: Request, context: Context) -> OperatorSession:
    """An operator session and its CSRF token (403 without it)."""
    return context.guard.state_change(request)


Aws = Annotated[AwsClients, Depends(aws_clients)]
Settings = Annotated[DashboardSettings, Depends(settings)]
Operator = Annotated[OperatorSession, Depends(operator)]
