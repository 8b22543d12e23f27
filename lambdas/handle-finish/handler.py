"""handle-finish: send the answer and persist it in the session."""

from causal_agent import runtime
from causal_agent.endings import handle_finish
from causal_agent.state import AgentState
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(AgentState, runtime.clients)(handle_finish)
