"""The execution's state: what flows between the states of the state machine.

It stays small on purpose (Step Functions caps it at 256 KB): the
conversation lives in the session item, the state carries ids, the current
decision and the latest tool outcome. Every Lambda step reads the whole state
and returns the whole next state (the ASL takes ``$.Payload`` as output).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from causal_common.lambda_handler import LambdaEvent
from causal_common.models.datasets import DATASET_ID_PATTERN
from causal_common.models.tools import ToolOutcome

DecisionKind = Literal["tool", "ask", "final"]
Route = Literal["data_query", "ecs", "invalid"]

SESSION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MAX_QUESTION_CHARS = 4000
SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN)]
QuestionText = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
DatasetId = Annotated[str, Field(pattern=DATASET_ID_PATTERN)]


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: QuestionText


class ExecutionInput(BaseModel):
    """The execution's input: what websocket-handler (or ``stepfunctions start-execution``) passes in."""

    model_config = ConfigDict(extra="ignore")

    sessionId: SessionId
    query: Query
    datasetId: DatasetId | None = None
    userId: str | None = Field(default=None, max_length=256)
    networkConfig: dict[str, Any] | None = None
    promptTimeoutSeconds: int | None = Field(default=None, ge=1, le=86400)
    maxTurns: int | None = Field(default=None, ge=2, le=50)


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class AgentConfig(_Camel):
    max_turns: int = Field(alias="maxTurns")
    prompt_timeout_seconds: int = Field(alias="promptTimeoutSeconds")


class ToolCall(_Camel):
    call_id: str = Field(alias="callId")
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Decision(_Camel):
    kind: DecisionKind
    tool_call: ToolCall | None = Field(default=None, alias="toolCall")
    question: str | None = None
    text: str | None = None


class ToolResultSlot(_Camel):
    """``$.toolResult``: every tool route leaves its ToolOutcome here."""

    outcome: ToolOutcome


class ErrorInfo(BaseModel):
    """What a Catch puts at its ResultPath."""

    model_config = ConfigDict(extra="ignore")

    Error: str = ""
    Cause: str | None = None  # moto's SendTaskFailure drops it

    @field_validator("Error", mode="before")
    @classmethod
    def _no_null(cls, value: object) -> object:
        return value if value is not None else ""


class _Event(_Camel, LambdaEvent):
    """A step's input: its log lines carry the session id."""


class AgentState(_Event):
    session_id: str = Field(alias="sessionId")
    # The user's question as asked, read once by ParseInitialQuery; no later step looks for it in the conversation.
    question: str
    dataset_id: str | None = Field(default=None, alias="datasetId")
    # The dataset ids the last "which dataset" prompt listed, in order (so a reply "2" picks the second).
    offered_datasets: list[str] = Field(default_factory=list, alias="offeredDatasets")
    turn: int = 0
    config: AgentConfig
    network_config: dict[str, Any] | None = Field(default=None, alias="networkConfig")
    decision: Decision | None = None
    route: Route | None = None
    tool_result: ToolResultSlot | None = Field(default=None, alias="toolResult")
    tool_error: ErrorInfo | None = Field(default=None, alias="toolError")

    # The JSON the next state receives has every key (model_dump by alias), so Choice paths resolve.

    def log_ids(self) -> Mapping[str, str | None]:
        return {"session_id": self.session_id}


class StartJobEvent(_Event):
    """dispatch-tool's second mode, from the RunAnalysisJob waitForTaskToken state."""

    mode: Literal["start_job"]
    state: AgentState
    task_token: str = Field(alias="taskToken", min_length=1)

    def log_ids(self) -> Mapping[str, str | None]:
        return self.state.log_ids()


# dispatch-tool's input: a job to start (``mode: start_job``), else a state whose tool call is to be routed.
DispatchEvent = TypeAdapter(Annotated[StartJobEvent | AgentState, Field(union_mode="left_to_right")])


class SendPromptEvent(_Event):
    state: AgentState
    task_token: str = Field(alias="taskToken", min_length=1)

    def log_ids(self) -> Mapping[str, str | None]:
        return self.state.log_ids()


class FailureEvent(_Event):
    """handle-error / handle-timeout input: any state plus the Catch's ``error``.

    Lenient on purpose: ParseInitialQuery's Catch hands over the raw execution input.
    """

    session_id: str | None = Field(default=None, alias="sessionId")
    error: ErrorInfo | None = None
    config: AgentConfig | None = None

    def log_ids(self) -> Mapping[str, str | None]:
        return {"session_id": self.session_id}


class StartEvent(LambdaEvent):
    """parse-initial-query's input: the execution input and the execution ARN."""

    model_config = ConfigDict(extra="ignore")

    input: dict[str, Any]
    executionArn: str | None = None

    def log_ids(self) -> Mapping[str, str | None]:
        return {"session_id": str(self.input.get("sessionId"))}
