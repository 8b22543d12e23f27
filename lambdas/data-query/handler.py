"""data-query: one read-only SQL SELECT over a dataset (DuckDB sandbox)."""

from __future__ import annotations

from typing import Any

from query import DataQuerySettings, run_query
from sandbox import SandboxCache

from causal_common import aws, log

_cache = SandboxCache()
_state: dict[str, Any] = {}


def _clients() -> tuple[DataQuerySettings, Any]:
    if "s3" not in _state:
        settings = DataQuerySettings()
        log.configure(settings.log_level)
        _state.update(settings=settings, s3=aws.client("s3", settings))
    return _state["settings"], _state["s3"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings, s3 = _clients()
    with log.bound(session_id=event.get("sessionId"), call_id=event.get("callId")):
        return run_query(event, s3, settings, _cache).model_dump(mode="json")
