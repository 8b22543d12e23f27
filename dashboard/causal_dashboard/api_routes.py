"""The dashboard's JSON API (operator session required, except ``/api/resources``) and its file downloads.

Errors become HTTP statuses in :mod:`causal_dashboard.api_errors`; task tokens
are removed from every answer (:func:`redact`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from typing import Annotated, Any

from botocore.exceptions import ClientError
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from causal_common.aws import is_not_found
from causal_common.errors import NotFoundError
from causal_dashboard import cost, datasets, executions, functions, health, reloads, resources, store
from causal_dashboard.api_errors import ERROR_RESPONSES, PUBLIC_ERROR_RESPONSES, STATE_CHANGE_RESPONSES
from causal_dashboard.api_models import (
    Artifacts,
    Cost,
    DatasetManifest,
    Datasets,
    ExecutionDetail,
    Executions,
    Functions,
    InvocationLogs,
    LogSummary,
    PageConfig,
    Ping,
    RecordPage,
    Redriven,
    Reloads,
    Resources,
    Services,
    SessionDetail,
    StateTestAnswer,
    StateTestRequest,
)
from causal_dashboard.clients import AwsClients
from causal_dashboard.csv_safety import neutralise_csv
from causal_dashboard.dependencies import Aws, Context, Settings, operator, operator_state_change
from causal_dashboard.live import sse
from causal_dashboard.redaction import redact
from causal_dashboard.uploads import role_options, store_upload

# Without an operator session: the old stack's `curl -s http://localhost:4567/api/resources | jq` works
# verbatim (names and counts only: secret names, never values; no user's data). The Host and Origin checks
# still apply, so no page on another origin can read it. Artifact links are capabilities, like presigned
# URLs: the key holds the job's random id, and only the operator can list them.
public = APIRouter(responses=PUBLIC_ERROR_RESPONSES)
operator_api = APIRouter(prefix="/api", dependencies=[Depends(operator)], responses=ERROR_RESPONSES)

ARTIFACT_CHUNK_BYTES = 65536
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


@public.get("/api/resources", response_model=Resources, response_model_exclude_unset=True)
def all_resources(aws: Aws) -> Any:
    return redact(resources.all_resources(aws))


@public.get(
    "/artifacts/{key:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}, "text/csv": {}}, "description": "the artefact"}},
)
def artifact(key: str, aws: Aws) -> Response:
    if not key.strip() or any(ord(character) < 32 for character in key):
        raise NotFoundError(f"no artefact {key!r}")
    try:
        found = aws.s3.get_object(Bucket=aws.names.artifacts_bucket, Key=key)
    except ClientError as exc:
        if is_not_found(exc):
            raise NotFoundError(f"no artefact {key!r}") from exc
        raise
    media_type = found.get("ContentType")
    if not media_type or media_type in {"binary/octet-stream", "application/octet-stream"}:
        media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    headers = {"Cache-Control": "max-age=60", "X-Content-Type-Options": "nosniff"}
    if media_type.startswith("text/csv") or key.lower().endswith(".csv"):
        return Response(neutralise_csv(found["Body"].read()), media_type="text/csv", headers=headers)
    if "ContentLength" in found:
        headers["Content-Length"] = str(found["ContentLength"])
    return StreamingResponse(found["Body"].iter_chunks(ARTIFACT_CHUNK_BYTES), media_type=media_type, headers=headers)


@operator_api.get("/ping", response_model=Ping, response_model_exclude_unset=True)
def ping() -> Ping:
    return Ping(ok=True)


@operator_api.get("/config", response_model=PageConfig, response_model_exclude_unset=True)
def page_config(context: Context) -> PageConfig:
    config = context.config
    return PageConfig(
        stage=config.stage,
        region=config.region,
        prefix=config.resource_prefix,
        target=config.target,
        awsEndpoint=config.endpoint_url,
        liveConnections=context.view is not None,
        pollIntervalSeconds=config.poll_interval_seconds,
    )


@operator_api.get("/health", response_model=Services, response_model_exclude_unset=True)
def services(context: Context) -> Any:
    return {"services": health.services(context.config, context.aws, context.view)}


@operator_api.get("/reloads", response_model=Reloads, response_model_exclude_unset=True)
def list_reloads() -> Any:
    """The redeploys of ``causal-stack up --watch``, oldest first ([] without ``--watch``)."""
    return {"watching": reloads.reloads_file() is not None, "reloads": reloads.read_reloads()}


@operator_api.get("/cost", response_model=Cost)
def aws_cost(aws: Aws) -> Any:
    """What this run's conversations would cost on AWS, per conversation and per 1,000."""
    return cost.dashboard_cost(aws).to_json()


@operator_api.get("/functions", response_model=Functions, response_model_exclude_unset=True)
def list_functions(aws: Aws, logs: bool = True) -> Any:
    rows = functions.functions_with_logs(aws) if logs else functions.list_functions(aws)
    return {"functions": redact(rows)}


@operator_api.get("/functions/{name}/logs", response_model=LogSummary, response_model_exclude_unset=True)
def function_logs(name: str, aws: Aws) -> Any:
    full = name if name.startswith(aws.names.prefix) else aws.names.function(name)
    return redact(functions.function_logs(aws, full))


@operator_api.get(
    "/functions/{name}/invocations/{request_id}", response_model=InvocationLogs, response_model_exclude_unset=True
)
def invocation_logs(name: str, request_id: str, aws: Aws) -> Any:
    """The log lines of one invocation, by its Lambda request id (the execution view links to it)."""
    full = name.rsplit(":function:", 1)[-1].split(":", 1)[0]
    full = full if full.startswith(aws.names.prefix) else aws.names.function(full)
    return redact(functions.invocation_logs(aws, full, request_id))


@operator_api.get("/executions", response_model=Executions, response_model_exclude_unset=True)
def list_executions(aws: Aws, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Any:
    return redact(executions.list_executions(aws, limit=limit))


@operator_api.get("/executions/{name}", response_model=ExecutionDetail, response_model_exclude_unset=True)
def execution(name: str, aws: Aws) -> Any:
    return redact(executions.describe(aws, name))


@operator_api.post(
    "/executions/{name}/redrive",
    response_model=Redriven,
    response_model_exclude_unset=True,
    dependencies=[Depends(operator_state_change)],
    responses=STATE_CHANGE_RESPONSES,
)
def redrive_execution(name: str, aws: Aws) -> Any:
    """Resume a failed, aborted or timed-out execution at the state that did not succeed."""
    return executions.redrive(aws, name)


@operator_api.post(
    "/state-tests",
    response_model=StateTestAnswer,
    response_model_exclude_unset=True,
    dependencies=[Depends(operator_state_change)],
    responses=STATE_CHANGE_RESPONSES,
)
def state_test(request: StateTestRequest, aws: Aws) -> Any:
    """Run one state of the deployed state machine on an input (``TestState``), optionally mocked."""
    return redact(executions.run_state_test(aws, request.to_aws()))


@operator_api.get("/sessions", response_model=RecordPage, response_model_exclude_unset=True)
def list_sessions(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    status: str | None = None,
) -> Any:
    found = store.list_sessions(context.aws, context.scans, limit=limit, offset=offset, user_id=user_id, status=status)
    return redact(found)


@operator_api.get("/sessions/{session_id}", response_model=SessionDetail, response_model_exclude_unset=True)
def session(session_id: str, aws: Aws) -> Any:
    return redact(store.session_detail(aws, session_id))


@operator_api.get("/jobs", response_model=RecordPage, response_model_exclude_unset=True)
def list_jobs(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    session_id: Annotated[str | None, Query(alias="sessionId")] = None,
) -> Any:
    return redact(store.list_jobs(context.aws, context.scans, limit=limit, offset=offset, session_id=session_id))


@operator_api.get("/artifacts", response_model=Artifacts, response_model_exclude_unset=True)
def list_artifacts(aws: Aws, prefix: str = "jobs/", limit: Annotated[int, Query(ge=1, le=200)] = 24) -> Any:
    return {"artifacts": redact(recent_artifacts(aws, prefix, limit))}


@operator_api.get("/datasets", response_model=Datasets, response_model_exclude_unset=True)
def list_datasets(aws: Aws) -> Any:
    return {"datasets": redact(datasets.list_datasets(aws))}


@operator_api.post(
    "/datasets",
    status_code=201,
    response_model=DatasetManifest,
    response_model_exclude_unset=True,
    dependencies=[Depends(operator_state_change)],
    responses=STATE_CHANGE_RESPONSES,
)
def upload_dataset(
    aws: Aws,
    config: Settings,
    file: Annotated[UploadFile | None, File()] = None,
    dataset_id: Annotated[str | None, Form(alias="datasetId")] = None,
    title: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    treatment: Annotated[str | None, Form()] = None,
    outcome: Annotated[str | None, Form()] = None,
    covariates: Annotated[str | None, Form()] = None,
    exclude: Annotated[str | None, Form()] = None,
) -> Any:
    data = file.file.read(config.max_upload_bytes + 1) if file is not None else b""
    manifest = store_upload(
        aws,
        filename=file.filename if file is not None else None,
        content_type=file.content_type if file is not None else None,
        data=data,
        dataset_id=dataset_id,
        title=title,
        description=description,
        max_bytes=config.max_upload_bytes,
        roles=role_options(treatment=treatment, outcome=outcome, covariates=covariates, exclude=exclude),
        owner=config.operator_name,
    )
    return redact(manifest)


@operator_api.get(
    "/datasets/{dataset_id}/data.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the stored CSV"}},
)
def dataset_csv(dataset_id: str, aws: Aws) -> Response:
    """The stored CSV, with cells a spreadsheet would run as formulas neutralised."""
    body = datasets.read_data(aws, dataset_id)
    return Response(
        neutralise_csv(body),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{dataset_id}.csv"'},
    )


@operator_api.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def events(request: Request, context: Context) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        async for name, data in context.hub.stream():
            if await request.is_disconnected():
                break
            yield sse(name, data)

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


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
            "image": obj["Key"].lower().endswith(IMAGE_SUFFIXES),
        }
        for obj in found[:limit]
    ]
