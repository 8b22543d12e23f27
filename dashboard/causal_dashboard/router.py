"""``build_router``: the dashboard and chat pages and their JSON API, mounted by the gateway."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse

from causal_common.aws import error_code, error_message, is_not_found
from causal_common.errors import CausalStackError, ForbiddenError, InvalidInputError, NotFoundError
from causal_common.settings import AwsSettings
from causal_dashboard import datasets, executions, functions, health, resources, store
from causal_dashboard.chat_api import ChatUsers, chat_router
from causal_dashboard.clients import AwsClients
from causal_dashboard.csv_safety import neutralise_csv
from causal_dashboard.gateway_view import GatewayView
from causal_dashboard.live import LiveHub, Section, sse
from causal_dashboard.login_routes import OperatorGuard, login_router, redirect_to_login
from causal_dashboard.operator_login import OperatorLogin, new_operator_key
from causal_dashboard.redaction import redact
from causal_dashboard.settings import DashboardSettings
from causal_dashboard.uploads import store_upload

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
OPERATOR_PAGES = {"/dashboard": "dashboard.html"}
PUBLIC_PAGES = {"/": "index.html", "/chat": "chat.html"}  # no data on these: links and the chat's own sign-in
T = TypeVar("T")


def _call(action: Callable[[], T]) -> T:
    """Run one API action; errors become HTTP statuses here, at the edge. Task tokens are removed."""
    try:
        return redact(action())
    except NotFoundError as exc:
        raise HTTPException(404, detail=exc.message) from exc
    except InvalidInputError as exc:
        raise HTTPException(400, detail=exc.message) from exc
    except ForbiddenError as exc:
        raise HTTPException(403, detail=exc.message) from exc
    except CausalStackError as exc:
        raise HTTPException(500, detail=f"{exc.code}: {exc.message}") from exc
    except ClientError as exc:
        logger.warning("AWS call failed: %s %s", error_code(exc), error_message(exc))
        raise HTTPException(502, detail=f"AWS: {error_code(exc)}: {error_message(exc)}") from exc
    except BotoCoreError as exc:
        logger.warning("AWS endpoint unreachable: %s", exc)
        raise HTTPException(503, detail=f"AWS endpoint unreachable: {exc}") from exc


def _operator_login(config: DashboardSettings, settings: AwsSettings | None, operator_key: str | None) -> OperatorLogin:
    key = operator_key or (config.operator_key.get_secret_value() if config.operator_key else None)
    if key:
        return OperatorLogin(key)
    # Started without a key (compose, by hand): make one and say how to get in, as Jupyter does.
    login = OperatorLogin(new_operator_key())
    host = str(getattr(settings, "host", "127.0.0.1"))
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{host}:{getattr(settings, 'port', 8080)}/login?code={login.login_code()}"
    print(f"dashboard login (one-time link, no DASHBOARD_OPERATOR_KEY was set): {url}", flush=True)
    return login


def build_router(
    settings: AwsSettings | None,
    gateway: Any | None = None,
    *,
    clients: AwsClients | None = None,
    operator_key: str | None = None,
) -> APIRouter:
    """The dashboard's routes. ``gateway`` (optional) gives live connections, metrics and events.

    ``clients`` replaces the boto3 clients (tests use it to fake a Failed function).
    The dashboard and its JSON API need an operator session (``operator_key``, else
    ``DASHBOARD_OPERATOR_KEY``, else a key made here and announced on stdout); the
    chat page and its API need a user's token.
    """
    config = DashboardSettings.from_settings(settings)
    aws = clients or AwsClients(config)
    view = GatewayView(gateway) if gateway is not None else None
    scans = store.TableScanCache(ttl=min(1.0, config.poll_interval_seconds))
    hub = LiveHub(_sections(config, aws, scans, view), view)
    guard = OperatorGuard(_operator_login(config, settings, operator_key))
    router = APIRouter()
    router.hub = hub  # type: ignore[attr-defined]  # for tests and benches
    router.operator_login = guard.login  # type: ignore[attr-defined]  # for launchers, tests and benches
    router.require_operator = guard.api  # type: ignore[attr-defined]  # the gateway guards its own JSON API with it
    router.include_router(login_router(guard))
    max_lifetime = int(getattr(settings, "token_max_lifetime_seconds", 86400))
    router.include_router(chat_router(aws, scans, ChatUsers(aws, max_lifetime), config.stage))
    public = router
    router = APIRouter(dependencies=[Depends(guard.api)])

    def page(name: str, operator_only: bool) -> Callable[[Request], Response]:
        def serve(request: Request) -> Response:
            if operator_only and guard.session(request) is None:
                return redirect_to_login(request.url.path)
            return FileResponse(STATIC / name, media_type="text/html", headers={"Cache-Control": "no-cache"})

        return serve

    for path, name in OPERATOR_PAGES.items():
        public.add_api_route(path, page(name, True), methods=["GET"], include_in_schema=False)
    for path, name in PUBLIC_PAGES.items():
        public.add_api_route(path, page(name, False), methods=["GET"], include_in_schema=False)

    @public.get("/static/{path:path}", include_in_schema=False)
    def static(path: str) -> FileResponse:
        target = (STATIC / path).resolve()
        if STATIC.resolve() not in target.parents or not target.is_file():
            raise HTTPException(404, detail="no such file")
        return FileResponse(target, headers={"Cache-Control": "no-cache"})

    @router.get("/api/ping")
    def ping() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/api/config")
    def page_config() -> dict[str, Any]:
        return {
            "stage": config.stage,
            "region": config.region,
            "prefix": config.resource_prefix,
            "target": config.target,
            "awsEndpoint": config.endpoint_url,
            "liveConnections": view is not None,
            "pollIntervalSeconds": config.poll_interval_seconds,
        }

    @router.get("/api/health")
    def services() -> dict[str, Any]:
        return {"services": health.services(config, aws, view)}

    # Resource names and counts only (secret names, never values; no user's data): readable without the
    # operator login, so the old stack's `curl -s http://localhost:4567/api/resources | jq` works verbatim.
    # The Host and Origin checks still apply, so no page on another origin can read it.
    @public.get("/api/resources")
    def all_resources() -> dict[str, Any]:
        return _call(lambda: resources.all_resources(aws))

    @router.get("/api/functions")
    def list_functions(logs: bool = True) -> dict[str, Any]:
        rows = _call(lambda: functions.functions_with_logs(aws) if logs else functions.list_functions(aws))
        return {"functions": rows}

    @router.get("/api/functions/{name}/logs")
    def function_logs(name: str) -> dict[str, Any]:
        full = name if name.startswith(aws.names.prefix) else aws.names.function(name)
        return _call(lambda: functions.function_logs(aws, full))

    @router.get("/api/executions")
    def list_executions(limit: int = Query(50, ge=1, le=1000)) -> dict[str, Any]:
        return _call(lambda: executions.list_executions(aws, limit=limit))

    @router.get("/api/executions/{name}")
    def execution(name: str) -> dict[str, Any]:
        return _call(lambda: executions.describe(aws, name))

    @router.get("/api/sessions")
    def list_sessions(
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
        userId: str | None = None,  # noqa: N803 - the API speaks camelCase
        status: str | None = None,
    ) -> dict[str, Any]:
        return _call(lambda: store.list_sessions(aws, scans, limit=limit, offset=offset, user_id=userId, status=status))

    @router.get("/api/sessions/{session_id}")
    def session(session_id: str) -> dict[str, Any]:
        return _call(lambda: store.session_detail(aws, session_id))

    @router.get("/api/jobs")
    def list_jobs(
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
        sessionId: str | None = None,  # noqa: N803
    ) -> dict[str, Any]:
        return _call(lambda: store.list_jobs(aws, scans, limit=limit, offset=offset, session_id=sessionId))

    @router.get("/api/artifacts")
    def list_artifacts(prefix: str = "jobs/", limit: int = Query(24, ge=1, le=200)) -> dict[str, Any]:
        return {"artifacts": _call(lambda: recent_artifacts(aws, prefix, limit))}

    @router.get("/api/datasets")
    def list_datasets() -> dict[str, Any]:
        return {"datasets": _call(lambda: datasets.list_datasets(aws))}

    @router.post("/api/datasets", status_code=201, dependencies=[Depends(guard.state_change)])
    def upload_dataset(
        file: UploadFile | None = File(None),
        datasetId: str | None = Form(None),  # noqa: N803
        title: str | None = Form(None),
        description: str | None = Form(None),
        treatment: str | None = Form(None),
        outcome: str | None = Form(None),
        covariates: str | None = Form(None),
        exclude: str | None = Form(None),
    ) -> JSONResponse:
        data = file.file.read(config.max_upload_bytes + 1) if file is not None else b""
        manifest = _call(
            lambda: store_upload(
                aws,
                filename=file.filename if file is not None else None,
                content_type=file.content_type if file is not None else None,
                data=data,
                dataset_id=datasetId,
                title=title,
                description=description,
                max_bytes=config.max_upload_bytes,
                roles={"treatment": treatment, "outcome": outcome, "covariates": covariates, "exclude": exclude},
                owner=config.operator_name,
            )
        )
        return JSONResponse(manifest, status_code=201)

    @router.get("/api/datasets/{dataset_id}/data.csv")
    def dataset_csv(dataset_id: str) -> Response:
        """The stored CSV, with cells a spreadsheet would run as formulas neutralised."""
        body = _call(lambda: datasets.read_data(aws, dataset_id))
        return Response(
            neutralise_csv(body),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{dataset_id}.csv"'},
        )

    # Artifact links are capabilities, like presigned URLs: the key holds the job's random id,
    # and only the operator can list them. The chat page shows them to the user who asked.
    @public.get("/artifacts/{key:path}")
    def artifact(key: str) -> Response:
        def fetch() -> dict[str, Any]:
            try:
                return aws.s3.get_object(Bucket=aws.names.artifacts_bucket, Key=key)
            except ClientError as exc:
                if is_not_found(exc):
                    raise NotFoundError(f"no artefact {key!r}") from exc
                raise

        found = _call(fetch)
        media_type = found.get("ContentType")
        if not media_type or media_type in {"binary/octet-stream", "application/octet-stream"}:
            media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        headers = {"Cache-Control": "max-age=60", "X-Content-Type-Options": "nosniff"}
        if media_type.startswith("text/csv") or key.lower().endswith(".csv"):
            return Response(neutralise_csv(found["Body"].read()), media_type="text/csv", headers=headers)
        if "ContentLength" in found:
            headers["Content-Length"] = str(found["ContentLength"])
        return StreamingResponse(found["Body"].iter_chunks(65536), media_type=media_type, headers=headers)

    @router.get("/api/events")
    async def events(request: Request) -> StreamingResponse:
        async def body():
            yield b"retry: 1000\n\n"
            async for name, data in hub.stream():
                if await request.is_disconnected():
                    break
                yield sse(name, data)

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    public.include_router(router)
    return public


def recent_artifacts(aws: AwsClients, prefix: str, limit: int) -> list[dict[str, Any]]:
    """The newest objects under ``prefix`` in the artifacts bucket, with their URLs."""
    found: list[dict[str, Any]] = []
    paginator = aws.s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(
            Bucket=aws.names.artifacts_bucket, Prefix=prefix, PaginationConfig={"MaxItems": 5000}
        ):
            found.extend(page.get("Contents", []))
    except aws.s3.exceptions.NoSuchBucket:
        return []
    found.sort(key=lambda obj: obj["LastModified"], reverse=True)
    return [
        {
            "key": obj["Key"],
            "url": f"/artifacts/{obj['Key']}",
            "size": obj.get("Size"),
            "lastModified": executions.epoch_ms(obj["LastModified"]),
            "image": obj["Key"].lower().endswith((".png", ".jpg", ".jpeg", ".svg", ".gif")),
        }
        for obj in found[:limit]
    ]


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
    ]
    if view is not None:
        sections.append(
            Section("connections", lambda: _keyed(view.connections() or [], "connectionId"), tick, threaded=False)
        )
        sections.append(Section("metrics", lambda: {"gateway": view.metrics() or {}}, tick, threaded=False))
    return sections
