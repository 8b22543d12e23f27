"""append-tool-output: add a tool's compacted outcome to the conversation."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.state import AgentState
from causal_agent.tools_steps import append_tool_output
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state = AgentState.model_validate(event)
    with log.bound(session_id=state.session_id):
        return append_tool_output(state, runtime.clients()).dump()
