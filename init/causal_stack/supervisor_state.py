"""The state file `causal-stack up` keeps about the services it supervises, read by `doctor`.

One JSON file per stack, named after its AWS port (the port every command
aimed at the stack knows): which services run, how often each was
restarted and why. It is rewritten atomically on every change.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[2]


def state_path(aws_port: int) -> Path:
    return ROOT / ".stack" / f"supervisor-{aws_port}.json"


def state_path_for(endpoint_url: str | None) -> Path | None:
    if not endpoint_url:
        return None
    port = urlsplit(endpoint_url).port
    return state_path(port) if port else None


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".supervisor-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump(state, file, indent=2)
    os.replace(temporary, path)


def read_state(path: Path | None) -> dict[str, Any] | None:
    """The state of a running stack, or ``None`` (no file, unreadable, or its `up` is gone)."""
    if path is None:
        return None
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not psutil.pid_exists(int(state.get("pid", 0) or 0)):
        return None
    return state
