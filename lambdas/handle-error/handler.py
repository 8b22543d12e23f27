"""handle-error: tell the user (an error frame whose id is in the logs) and mark the session failed."""

from causal_agent import runtime
from causal_agent.endings import handle_error
from causal_agent.state import FailureEvent
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(FailureEvent, runtime.clients)(handle_error)
