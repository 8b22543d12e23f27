"""``build_router``: the dashboard and chat pages and their JSON API, mounted by the gateway's application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

from causal_common.settings import AwsSettings
from causal_dashboard import cost, executions, functions, health, reloads, store
from causal_dashboard.api_errors import add_error_handlers
from causal_dashboard.api_routes import operator_api, public, recent_artifacts
from causal_dashboard.chat_api import ChatUsers, chat_router
from causal_dashboard.clients import AwsClients
from causal_dashboard.dependencies import DashboardContext
from causal_dashboard.gateway_view import GatewayView
from causal_dashboard.live import LiveHub, Section
from causal_dashboard.login_routes import OperatorGuard, login_router, redirect_to_login
from causal_dashboard.operator_login import OperatorLogin, OperatorSession, new_operator_key
from causal_dashboard.settings import DashboardSettings

STATIC = Path(__file__).parent / "static"
OPERATOR_PAGES = {"/dashboard": "dashboard.html"}
PUBLIC_PAGES = {"/": "index.html", "/chat": "chat.html"}  # no data on these: links and the chat's own sign-in
pages = APIRouter(include_in_schema=False)


def _page_response(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"})


@pages.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    if request.state.dashboard.guard.session(request) is None:
        return redirect_to_login(request.url.path)
    return _page_response(OPERATOR_PAGES["/dashboard"])


@pages.get("/")
def index_page() -> Response:
    return _page_response(PUBLIC_PAGES["/"])


@pages.get("/chat")
def chat_page() -> Response:
    return _page_response(PUBLIC_PAGES["/chat"])


@pages.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    target = (STATIC / path).resolve()
    if STATIC.resolve() not in target.parents or not target.is_file():
        raise HTTPException(404, detail="no such file")
    return FileResponse(target, headers={"Cache-Control": "no-cache"})


class DashboardRouter(APIRouter):
    """The dashboard's routes, bound to one set of clients, one operator login and (optionally) a gateway.

    Mount it with :meth:`add_to`, which also installs the exception handlers that turn the
    project's errors into HTTP statuses.
    """

    def __init__(self, context: DashboardContext, chat: APIRouter, login: APIRouter) -> None:
        super().__init__(dependencies=[Depends(self._bind)])
        self.context = context
        self.hub: LiveHub = context.hub  # for tests and benches
        self.operator_login: OperatorLogin = context.guard.login  # for launchers, tests and benches
        self.include_router(login)
        self.include_router(chat)
        self.include_router(pages)
        self.include_router(public)
        self.include_router(operator_api)

    def _bind(self, request: Request) -> None:
        # Runs first on every dashboard route: the route's dependencies read this dashboard.
        request.state.dashboard = self.context

    def require_operator(self, request: Request) -> OperatorSession:
        """The operator-session check, for JSON routes outside the dashboard (the gateway's own)."""
        return self.context.guard.api(request)

    def add_to(self, app: FastAPI) -> None:
        app.include_router(self)
        add_error_handlers(app)


def _operator_login(config: DashboardSettings, settings: AwsSettings | None, operator_key: str | None) -> OperatorLogin:
    key = operator_key or (config.operator_key.get_secret_value() if config.operator_key else None)
    if key:
        return OperatorLogin(key)
    # Started without a key (compose, by hand): make one and say how to get in, as Jupyter does.
    login = OperatorLogin(new_operator_key())
    host = str(getattr(settings, "host", "127.0.0.1"))
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = config.public_url or f"http://{host}:{getattr(settings, 'port', 8080)}"
    url = f"{base}/login?code={login.login_code()}"
    print(f"dashboard login (one-time link, no DASHBOARD_OPERATOR_KEY was set): {url}", flush=True)
    return login


def build_router(
    settings: AwsSettings | None,
    gateway: GatewayView | None = None,
    *,
    clients: AwsClients | None = None,
    operator_key: str | None = None,
) -> DashboardRouter:
    """The dashboard's routes. ``gateway`` (optional) gives live connections, metrics and events.

    ``clients`` replaces the boto3 clients (tests use it to fake a Failed function).
    The dashboard and its JSON API need an operator session (``operator_key``, else
    ``DASHBOARD_OPERATOR_KEY``, else a key made here and announced on stdout); the
    chat page and its API need a user's token.
    """
    config = DashboardSettings.from_settings(settings)
    aws = clients or AwsClients(config)
    scans = store.TableScanCache(ttl=min(1.0, config.poll_interval_seconds))
    hub = LiveHub(_sections(config, aws, scans, gateway), gateway)
    guard = OperatorGuard(_operator_login(config, settings, operator_key))
    context = DashboardContext(config=config, aws=aws, scans=scans, hub=hub, guard=guard, view=gateway)
    max_lifetime = int(getattr(settings, "token_max_lifetime_seconds", 86400))
    chat = chat_router(aws, scans, ChatUsers(aws, max_lifetime), config.stage, config.max_upload_bytes)
    return DashboardRouter(context, chat, login_router(guard))


def _keyed(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {str(row[key]): row for row in rows if row.get(key) is not None}


def _sessions_section(found: dict[str, Any]) -> dict[str, Any]:
    return {**found["items"], "__total__": {"total": found["total"]}}


def _sections(
    config: DashboardSettings, aws: AwsClients, scans: store.TableScanCache, view: GatewayView | None
) -> list[Section]:
    tick = config.poll_interval_seconds
    recent = store.RecentSessions(aws)

    def sessions() -> dict[str, Any]:
        recent.refresh()
        return {"items": _keyed(recent.newest(), "sessionId"), "total": recent.total}

    sections = [
        Section("functions", lambda: _keyed(functions.list_functions(aws), "name"), tick),
        Section(
            "functionLogs",
            lambda: {row["name"]: row.get("logs") for row in functions.functions_with_logs(aws) if "logs" in row},
            config.log_poll_interval_seconds,
        ),
        Section("executions", lambda: _keyed(executions.list_executions(aws)["executions"], "name"), tick),
        # One section: the newest sessions and the total travel together.
        Section("sessions", lambda: _sessions_section(sessions()), tick),
        Section("jobs", lambda: _keyed(store.list_jobs(aws, scans, limit=50)["items"], "jobId"), tick),
        Section("artifacts", lambda: _keyed(recent_artifacts(aws, "jobs/", 24), "key"), max(tick, 2.0)),
        Section("services", lambda: _keyed(health.services(config, aws, view), "name"), max(tick, 5.0)),
        # Reads every execution's history and every function's log: not at the page's pace.
        Section("cost", lambda: {"estimate": cost.dashboard_cost(aws).to_json()}, max(tick, 30.0)),
    ]
    if reloads.reloads_file() is not None:  # causal-stack up --watch
        sections.append(Section("reloads", lambda: _keyed(reloads.read_reloads(), "at"), tick))
    if view is not None:
        sections.append(
            Section("connections", lambda: _keyed(view.connections_json(), "connectionId"), tick, threaded=False)
        )
        sections.append(Section("metrics", lambda: {"gateway": view.metrics_json()}, tick, threaded=False))
    return sections
