"""append-tool-output: add a tool's compacted outcome to the conversation."""

from causal_agent import runtime
from causal_agent.state import AgentState
from causal_agent.tools_steps import append_tool_output
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(AgentState, runtime.clients)(append_tool_output)
