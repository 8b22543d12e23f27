"""The conversation in OpenAI chat format, and keeping it bounded.

Messages are ``{"role": "user"|"assistant"|"tool", ...}`` exactly as the chat
completions API takes them, so the OpenAI path sends them unchanged and the
offline planner reads the same record. Tool results are stored compacted:
the figures an answer needs, never whole tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from causal_agent.state import ToolCall
from causal_common.models.tools import ArtifactLink, CausalSummary, ToolOutcome

# Bounds: one tool message, and the whole conversation sent to the LLM.
MAX_TOOL_MESSAGE_CHARS = 6000
MAX_CONVERSATION_CHARS = 60000
MAX_QUERY_ROWS = 20
MAX_BALANCE_ROWS = 12


def user_message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant_text(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def assistant_tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
        ],
    }


def tool_message(call_id: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(content, default=str)}


@dataclass
class ToolExchange:
    """One tool call and, once it came back, its compacted outcome."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    outcome: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.outcome and self.outcome.get("ok"))

    @property
    def result(self) -> dict[str, Any]:
        return (self.outcome or {}).get("result") or {}

    @property
    def causal(self) -> CausalSummary:
        """A causal_analysis call's result, typed (empty fields when the call failed or was compacted away)."""
        return CausalSummary.model_validate(self.result)

    @property
    def artifacts(self) -> list[ArtifactLink]:
        """The plots an EDA or causal_analysis result links to."""
        return _ARTIFACT_LINKS.validate_python(self.result.get("artifacts") or [])


_ARTIFACT_LINKS = TypeAdapter(list[ArtifactLink])


def last_question_index(conversation: list[dict[str, Any]]) -> int:
    for index in range(len(conversation) - 1, -1, -1):
        if conversation[index].get("role") == "user":
            return index
    return -1


def exchanges(conversation: list[dict[str, Any]], since: int = 0) -> list[ToolExchange]:
    """Tool calls from ``since`` on, in order, each with its outcome when present."""
    found: dict[str, ToolExchange] = {}
    for message in conversation[since:]:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                try:
                    arguments = json.loads(function.get("arguments") or "{}")
                except json.JSONDecodeError:
                    arguments = {}
                found[call["id"]] = ToolExchange(call["id"], function.get("name", ""), arguments)
        elif message.get("role") == "tool" and message.get("tool_call_id") in found:
            try:
                found[message["tool_call_id"]].outcome = json.loads(message.get("content") or "{}")
            except json.JSONDecodeError:
                found[message["tool_call_id"]].outcome = {"ok": False, "error": message.get("content")}
    return list(found.values())


def replies(conversation: list[dict[str, Any]]) -> list[str]:
    """The user's replies to the prompts about the latest question, in order."""
    return [
        str(exchange.result.get("reply") or "")
        for exchange in exchanges(conversation, max(last_question_index(conversation), 0))
        if exchange.name == "ask_user" and exchange.ok
    ]


def latest_question(conversation: list[dict[str, Any]]) -> str:
    """The latest question in a conversation (the agent's steps have it in ``AgentState.question``)."""
    start = last_question_index(conversation)
    return str(conversation[start].get("content") or "") if start >= 0 else ""


def _trim(value: Any, limit: int) -> Any:
    text = json.dumps(value, default=str)
    if len(text) <= limit:
        return value
    return text[: limit - 20] + "…[truncated]"


def compact_result(tool: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The parts of a tool result the planner and the answer need."""
    if not result:
        return result
    if tool == "data_query":
        rows = result.get("rows") or []
        return {
            "columns": result.get("columns"),
            "rows": rows[:MAX_QUERY_ROWS],
            "row_count": result.get("row_count", len(rows)),
            "truncated": bool(result.get("truncated")) or len(rows) > MAX_QUERY_ROWS,
        }
    if tool == "eda":
        balance = sorted(result.get("balance") or [], key=lambda row: -abs(row.get("smd") or 0))
        correlations = sorted(
            (result.get("correlations_with_outcome") or {}).items(), key=lambda pair: -abs(pair[1] or 0)
        )
        return {
            "rows": result.get("rows"),
            "treated": result.get("treated"),
            "control": result.get("control"),
            "balance": balance[:MAX_BALANCE_ROWS],
            "correlations_with_outcome": dict(correlations[:MAX_BALANCE_ROWS]),
            "propensity_overlap": result.get("propensity_overlap") or {},
            "missing": {c["name"]: c["missing"] for c in result.get("columns") or [] if c.get("missing")},
            "post_treatment_suspects": (result.get("post_treatment_suspects") or [])[:MAX_BALANCE_ROWS],
            "warnings": (result.get("warnings") or [])[:10],
            "artifacts": [{"name": a.get("name"), "url": a.get("url")} for a in result.get("artifacts") or []],
        }
    if tool == "causal_analysis":
        keep = (
            "treatment",
            "outcome",
            "common_causes",
            "target",
            "target_reason",
            "estimate",
            "ci",
            "method",
            "naive_estimate",
            "rows",
            "design",
            "design_reason",
            "assumptions",
            "treatment_kind",
            "outcome_kind",
            "standard_error",
            "sensitivity",
            "confounder_benchmark",
            "disagreement",
            "diagnostics",
            "post_treatment_suspects",
            "left_out",
            "coded",
            "subgroup",
            "by_group",
            "by_group_column",
            "adjustment_sensitivity",
            "confidence_set",
            "event_study",
            "design_from_data",
            "treatment_mean",
        )
        compact = {key: result.get(key) for key in keep}
        compact["methods"] = [
            {key: method.get(key) for key in ("method", "estimate", "ci", "error")}
            | ({"confidence_set": method["confidence_set"]} if method.get("confidence_set") else {})
            for method in result.get("methods") or []
        ]
        compact["refutations"] = [
            {key: refutation.get(key) for key in ("name", "passed", "detail", "new_effect", "p_value")}
            for refutation in result.get("refutations") or []
        ]
        compact["warnings"] = (result.get("warnings") or [])[:10]
        compact["artifacts"] = [{"name": a.get("name"), "url": a.get("url")} for a in result.get("artifacts") or []]
        return compact
    return result


def compact_outcome(outcome: ToolOutcome) -> dict[str, Any]:
    """What goes into the tool message: bounded, the figures kept exact."""
    content: dict[str, Any] = {"tool": outcome.tool, "ok": outcome.ok}
    if outcome.ok:
        content["result"] = compact_result(outcome.tool, outcome.result)
    else:
        content["error"] = (outcome.error or "the tool failed without a reason")[:1000]
    if outcome.job_id:
        content["job_id"] = outcome.job_id
    text = json.dumps(content, default=str)
    if len(text) > MAX_TOOL_MESSAGE_CHARS and isinstance(content.get("result"), dict):
        content["result"] = _shrink(content["result"], MAX_TOOL_MESSAGE_CHARS - 200)
    elif len(text) > MAX_TOOL_MESSAGE_CHARS and "result" in content:
        content["result"] = _trim(content["result"], MAX_TOOL_MESSAGE_CHARS - 200)
    return content


# What goes first when a result is too long for its message: prose before figures, never the estimate.
_SHRINK_ORDER = (
    "disagreement",
    "warnings",
    "refutations",
    "sensitivity",
    "assumptions",
    "coded",
    "event_study",
    "diagnostics",
    "post_treatment_suspects",
    "left_out",
    "methods",
    "adjustment_sensitivity",
    "by_group",
    "balance",
)


def _shrink(result: dict[str, Any], limit: int) -> dict[str, Any]:
    """A result dict within ``limit`` characters: long lists and sentences shortened, then dropped, key by key."""
    shrunk = dict(result)
    for key in _SHRINK_ORDER:
        if len(json.dumps(shrunk, default=str)) <= limit:
            return shrunk
        value = shrunk.get(key)
        if isinstance(value, list) and len(value) > 3:
            shrunk[key] = value[:3]
        if len(json.dumps(shrunk, default=str)) > limit and isinstance(shrunk.get(key), list):
            shrunk[key] = [_trim(item, 160) if isinstance(item, str) else item for item in shrunk[key]]
    for key in _SHRINK_ORDER:
        if len(json.dumps(shrunk, default=str)) <= limit:
            break
        shrunk.pop(key, None)
    return shrunk


def _size(messages: list[dict[str, Any]]) -> int:
    return len(json.dumps(messages, default=str))


def compact_conversation(
    conversation: list[dict[str, Any]], max_chars: int = MAX_CONVERSATION_CHARS
) -> list[dict[str, Any]]:
    """Shrink the oldest tool outputs (then the oldest turns) until the conversation fits.

    The structure stays valid for the chat API: an assistant tool call always
    keeps its tool message, only the content gets shorter.
    """
    messages = [dict(message) for message in conversation]
    if _size(messages) <= max_chars:
        return messages
    for message in messages[: last_question_index(messages)]:
        if message.get("role") == "tool" and len(message.get("content") or "") > 200:
            message["content"] = json.dumps({"compacted": True, "summary": (message["content"] or "")[:160]})
            if _size(messages) <= max_chars:
                return messages
    # Still too long: drop whole earlier exchanges, always cutting at a user message.
    while _size(messages) > max_chars:
        cut = next((i for i in range(1, len(messages)) if messages[i].get("role") == "user"), None)
        if cut is None:
            break
        messages = messages[cut:]
    return messages
