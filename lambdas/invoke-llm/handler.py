"""invoke-llm: decide the next step (OpenAI with a key, the offline planner without)."""

from causal_agent import runtime
from causal_agent.state import AgentState
from causal_agent.think import invoke_llm
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(AgentState, runtime.clients)(invoke_llm)
