"""send-prompt: ask the user; the execution waits for the reply's SendTaskSuccess."""

from causal_agent import runtime
from causal_agent.endings import send_prompt
from causal_agent.state import SendPromptEvent
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(SendPromptEvent, runtime.clients)(send_prompt)
