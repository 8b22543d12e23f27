"""send-prompt: ask the user; the execution waits for the reply's SendTaskSuccess."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.endings import send_prompt
from causal_agent.state import SendPromptEvent
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    prompt = SendPromptEvent.model_validate(event)
    with log.bound(session_id=prompt.state.session_id):
        return send_prompt(prompt, runtime.clients())
