"""handle-finish: send the answer and persist it in the session."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.endings import handle_finish
from causal_agent.state import AgentState
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state = AgentState.model_validate(event)
    with log.bound(session_id=state.session_id):
        return handle_finish(state, runtime.clients())
