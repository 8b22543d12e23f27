"""dispatch-tool: validate a tool call and route it; in "start_job" mode, start its ECS task."""

from __future__ import annotations

from pydantic import BaseModel

from causal_agent import runtime
from causal_agent.clients import AgentClients
from causal_agent.state import AgentState, DispatchEvent, StartJobEvent
from causal_agent.tools_steps import dispatch_tool, start_job
from causal_common.lambda_handler import lambda_handler


@lambda_handler(DispatchEvent, runtime.clients)
def handler(event: StartJobEvent | AgentState, clients: AgentClients) -> BaseModel | dict[str, str]:
    return start_job(event, clients) if isinstance(event, StartJobEvent) else dispatch_tool(event, clients)
