"""handle-error: tell the user (an error frame whose id is in the logs) and mark the session failed."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.endings import handle_error
from causal_agent.state import FailureEvent
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failure = FailureEvent.model_validate(event)
    with log.bound(session_id=failure.session_id):
        return handle_error(failure, runtime.clients())
