"""The dashboard's JSON answers, as pydantic models: ``/openapi.json`` describes each one.

Rows read from DynamoDB (sessions, jobs, frames) keep the record's own fields,
so their models name the fields the pages use and let the others through.
Routes answer with ``response_model_exclude_unset``: a field the record lacks
stays absent rather than becoming ``null``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JsonObject = dict[str, Any]


class Record(BaseModel):
    """A row whose fields come from a stored record: the named ones are typed, the rest pass through."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorMessage(BaseModel):
    """Every refusal: what was wrong (and, for AWS, its error code)."""

    detail: str


class Ping(BaseModel):
    ok: bool


class PageConfig(BaseModel):
    stage: str
    region: str
    prefix: str
    target: str
    aws_endpoint: str | None = Field(alias="awsEndpoint")
    live_connections: bool = Field(alias="liveConnections")
    poll_interval_seconds: float = Field(alias="pollIntervalSeconds")


class ServiceHealth(Record):
    name: str
    url: str | None = None
    status: str
    detail: str | None = None
    latency_ms: float | None = Field(None, alias="latencyMs")


class Reload(BaseModel):
    """One redeploy of ``causal-stack up --watch``."""

    at: str
    changed: list[str]
    functions: list[str]
    stateMachine: bool  # noqa: N815 - the JSON field's name
    taskCode: bool  # noqa: N815
    ok: bool
    seconds: float
    error: str = ""
    keptPrevious: bool = False  # noqa: N815


class Reloads(BaseModel):
    watching: bool
    reloads: list[Reload]


class Services(BaseModel):
    services: list[ServiceHealth]


class Resources(Record):
    """One section per kind of resource; a section whose service failed is ``{"error": …}``."""

    tables: list[JsonObject] | JsonObject | None = None
    buckets: list[JsonObject] | JsonObject | None = None
    secrets: list[JsonObject] | JsonObject | None = None
    state_machines: list[JsonObject] | JsonObject | None = Field(None, alias="stateMachines")
    functions: list[JsonObject] | JsonObject | None = None
    ecs: JsonObject | None = None


class LogSummary(Record):
    """A function's recent log lines, summarised (``unavailable`` holds the AWS error code when unread)."""

    unavailable: str | None = None


class InvocationLogs(Record):
    """One Lambda invocation's log lines, found by its request id (``invocation`` is ``None`` when unseen)."""

    function: str
    request_id: str = Field(alias="requestId")
    invocation: JsonObject | None = None
    lines: list[JsonObject]


class FunctionRow(Record):
    name: str
    short_name: str = Field(alias="shortName")
    state: str | None = None
    state_reason: str | None = Field(None, alias="stateReason")
    state_reason_code: str | None = Field(None, alias="stateReasonCode")
    fix_hint: str | None = Field(None, alias="fixHint")
    logs: LogSummary | None = None


class Functions(BaseModel):
    functions: list[FunctionRow]


class ExecutionRow(Record):
    name: str
    execution_arn: str = Field(alias="executionArn")
    status: str
    started_at: int | None = Field(None, alias="startedAt")
    stopped_at: int | None = Field(None, alias="stoppedAt")


class Executions(BaseModel):
    state_machine_arn: str | None = Field(alias="stateMachineArn")
    executions: list[ExecutionRow]


class ExecutionDetail(Record):
    name: str
    execution_arn: str = Field(alias="executionArn")
    status: str
    started_at: int | None = Field(None, alias="startedAt")
    stopped_at: int | None = Field(None, alias="stoppedAt")
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    path: JsonObject
    diagram: JsonObject
    definition: JsonObject


class Redriven(BaseModel):
    name: str
    execution_arn: str = Field(alias="executionArn")
    redrive_date: int | None = Field(None, alias="redriveDate")


class MockedError(BaseModel):
    error: str = Field(min_length=1)
    cause: str = ""


class StateMock(BaseModel):
    """What the tested Task answers instead of calling its service: a result (JSON text) or an error."""

    result: str | None = None
    error_output: MockedError | None = Field(None, alias="errorOutput")


class StateTestRequest(BaseModel):
    """A ``TestState`` call on one state of the deployed state machine."""

    model_config = ConfigDict(populate_by_name=True)

    state_name: str = Field(alias="stateName", min_length=1, max_length=80)
    input: str = "{}"
    inspection_level: str = Field("DEBUG", alias="inspectionLevel", pattern="^(INFO|DEBUG|TRACE)$")
    mock: StateMock | None = None
    retrier_retry_count: int | None = Field(None, alias="retrierRetryCount", ge=0)

    def to_aws(self) -> JsonObject:
        request: JsonObject = {
            "stateName": self.state_name,
            "input": self.input,
            "inspectionLevel": self.inspection_level,
        }
        if self.mock is not None:
            request["mock"] = self.mock.model_dump(by_alias=True, exclude_none=True)
        if self.retrier_retry_count is not None:
            request["stateConfiguration"] = {"retrierRetryCount": self.retrier_retry_count}
        return request


class StateTestAnswer(Record):
    """``TestState``'s answer: status, output or error and cause, nextState, inspectionData."""

    status: str


class RecordPage(BaseModel):
    """One page of a table's records, newest first."""

    total: int
    offset: int
    limit: int
    items: list[Record]
    next_offset: int | None = Field(alias="nextOffset")


class SessionDetail(BaseModel):
    session: Record
    frames: list[Record]
    jobs: list[Record]
    connections: list[Record]


class Artifact(BaseModel):
    key: str
    url: str
    size: int | None = None
    last_modified: int | None = Field(None, alias="lastModified")
    image: bool


class Artifacts(BaseModel):
    artifacts: list[Artifact]


class DatasetSummary(Record):
    id: str
    title: str | None = None


class Datasets(BaseModel):
    datasets: list[DatasetSummary]


class DatasetManifest(Record):
    """The manifest of a dataset just stored (its id, columns and their roles)."""

    id: str


class ChatConfig(BaseModel):
    stage: str


class UserSessions(BaseModel):
    user_id: str = Field(alias="userId")
    sessions: list[Record]


class OperatorSessionInfo(BaseModel):
    operator: bool
    csrf_token: str = Field(alias="csrfToken")
    expires_at: int = Field(alias="expiresAt")


class CostLine(BaseModel):
    category: str
    quantity: float
    unit: str
    dollars: float
    estimated: bool = False


class Cost(BaseModel):
    """What this run's conversations would cost on AWS (``causal_dashboard.cost``)."""

    region: str
    pricesAsOf: str
    sources: list[str]
    conversations: int
    total: float
    perConversation: float | None = None
    perThousandConversations: float | None = None
    lines: list[CostLine]
