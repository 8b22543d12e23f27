"""parse-initial-query: validate the execution input, open the session, resolve the dataset."""

from __future__ import annotations

from typing import Any

from causal_agent import runtime
from causal_agent.start import parse_initial_query
from causal_agent.state import StartEvent
from causal_common import log


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    start = StartEvent.model_validate(event)
    with log.bound(session_id=str(start.input.get("sessionId"))):
        return parse_initial_query(start, runtime.clients()).dump()
