"""handle-timeout: the prompt went unanswered: tell the user and mark the session timed out."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.endings import handle_timeout
from causal_agent.state import FailureEvent
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failure = FailureEvent.model_validate(event)
    with log.bound(session_id=failure.session_id):
        return handle_timeout(failure, runtime.clients())
