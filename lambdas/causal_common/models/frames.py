"""Server → client frames of the chat protocol (README, "Client protocol").

Every frame has ``type``, ``sessionId`` and ``seq`` (1, 2, 3 … per session, no
gaps). The outbox assigns ``sessionId`` and ``seq``; code builds the rest with
the helpers below.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from causal_common.models.confidence import ConfidenceSet

FrameType = Literal["session", "progress", "tool", "prompt", "answer", "error"]
ToolStatus = Literal["started", "succeeded", "failed"]


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class AnswerRefutation(_Camel):
    name: str
    passed: bool
    detail: str


class AnswerArtifact(_Camel):
    name: str
    url: str


class AnswerResult(_Camel):
    treatment: str
    outcome: str
    estimate: float
    ci: tuple[float, float] | None
    method: str
    naive_estimate: float = Field(alias="naiveEstimate")
    refutations: list[AnswerRefutation]
    artifacts: list[AnswerArtifact]
    # The identification design (randomised, backdoor, iv, did, rdd) and the estimand (ate, att, late, at_cutoff).
    design: str | None = None
    target: str | None = None
    # The headline's weak-instrument-robust set when ``ci`` cannot hold it (unbounded, two rays, empty).
    confidence_set: ConfidenceSet | None = Field(default=None, alias="confidenceSet")


def session_frame(user_id: str | None, dataset_id: str | None) -> dict[str, Any]:
    return {"type": "session", "userId": user_id, "datasetId": dataset_id}


def progress_frame(stage: str, message: str, pct: float | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "progress", "stage": stage, "message": message}
    if pct is not None:
        frame["pct"] = round(float(pct), 1)
    return frame


def tool_frame(name: str, status: ToolStatus, summary: str, job_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "tool", "name": name, "status": status, "summary": summary}
    if job_id:
        frame["jobId"] = job_id
    return frame


class PromptOption(_Camel):
    """One choice the user can click (browser) or type the number of (terminal) in reply to a prompt."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")
    label: str = Field(min_length=1, max_length=200)
    effect: str = Field(default="", max_length=300, description="What choosing it does.")


def prompt_frame(question: str, options: list[PromptOption] | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "prompt", "question": question}
    if options:
        frame["options"] = [option.model_dump() for option in options]
    return frame


def answer_frame(text: str, result: AnswerResult | None) -> dict[str, Any]:
    return {
        "type": "answer",
        "text": text,
        "result": result.model_dump(by_alias=True) if result else None,
    }


def error_frame(message: str, error_id: str) -> dict[str, Any]:
    return {"type": "error", "message": message, "errorId": error_id}
