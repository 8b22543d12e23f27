"""The execution's state: what flows between the states of the state machine.

It stays small on purpose (Step Functions caps it at 256 KB): the
conversation lives in the session item, the state carries ids, the current
decision and the latest tool outcome. Every Lambda step reads the whole state
and returns the whole next state (the ASL takes ``$.Payload`` as output).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from causal_common.models.tools import ToolOutcome

DecisionKind = Literal["tool", "ask", "final"]
Route = Literal["data_query", "ecs", "invalid"]


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


class AgentState(_Camel):
    session_id: str = Field(alias="sessionId")
    dataset_id: str | None = Field(default=None, alias="datasetId")
    turn: int = 0
    config: AgentConfig
    network_config: dict[str, Any] | None = Field(default=None, alias="networkConfig")
    decision: Decision | None = None
    route: Route | None = None
    tool_result: ToolResultSlot | None = Field(default=None, alias="toolResult")
    tool_error: ErrorInfo | None = Field(default=None, alias="toolError")

    def dump(self) -> dict[str, Any]:
        """The JSON the next state receives (every key present, so Choice paths resolve)."""
        return self.model_dump(by_alias=True, mode="json")


class StartJobEvent(_Camel):
    """dispatch-tool's second mode, from the RunAnalysisJob waitForTaskToken state."""

    mode: Literal["start_job"]
    state: AgentState
    task_token: str = Field(alias="taskToken", min_length=1)


class SendPromptEvent(_Camel):
    state: AgentState
    task_token: str = Field(alias="taskToken", min_length=1)


class FailureEvent(_Camel):
    """handle-error / handle-timeout input: any state plus the Catch's ``error``.

    Lenient on purpose: ParseInitialQuery's Catch hands over the raw execution input.
    """

    session_id: str | None = Field(default=None, alias="sessionId")
    error: ErrorInfo | None = None
    config: AgentConfig | None = None


class StartEvent(BaseModel):
    """parse-initial-query's input: the execution input and the execution ARN."""

    model_config = ConfigDict(extra="ignore")

    input: dict[str, Any]
    executionArn: str | None = None
