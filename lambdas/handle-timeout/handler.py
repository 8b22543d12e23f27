"""handle-timeout: the prompt went unanswered: tell the user and mark the session timed out."""

from causal_agent import runtime
from causal_agent.endings import handle_timeout
from causal_agent.state import FailureEvent
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(FailureEvent, runtime.clients)(handle_timeout)
