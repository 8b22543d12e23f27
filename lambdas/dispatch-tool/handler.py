"""dispatch-tool: validate a tool call and route it; in "start_job" mode, start its ECS task."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.state import AgentState, StartJobEvent
from causal_agent.tools_steps import dispatch_tool, start_job
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("mode") == "start_job":
        job = StartJobEvent.model_validate(event)
        with log.bound(session_id=job.state.session_id):
            return start_job(job, runtime.clients())
    state = AgentState.model_validate(event)
    with log.bound(session_id=state.session_id):
        return dispatch_tool(state, runtime.clients()).dump()
