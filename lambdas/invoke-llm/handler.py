"""invoke-llm: decide the next step (OpenAI with a key, the offline planner without)."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.state import AgentState
from causal_agent.think import invoke_llm
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state = AgentState.model_validate(event)
    with log.bound(session_id=state.session_id):
        return invoke_llm(state, runtime.clients()).dump()
