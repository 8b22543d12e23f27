"""The redeploys of ``causal-stack up --watch``, read from the JSON-lines file the launcher writes.

The launcher names the file in ``CAUSAL_STACK_RELOADS_FILE`` for the gateway; without it (no ``--watch``)
there are none. Each line: when, the changed files, the functions redeployed, whether the state machine
and the task code changed, ok or the error (a syntax error with its file and line).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RELOADS_FILE_VARIABLE = "CAUSAL_STACK_RELOADS_FILE"
RELOADS_SHOWN = 50


def reloads_file() -> Path | None:
    value = os.environ.get(RELOADS_FILE_VARIABLE)
    return Path(value) if value else None


def read_reloads(path: Path | None = None, limit: int = RELOADS_SHOWN) -> list[dict[str, Any]]:
    """The last ``limit`` reloads, oldest first ([] when there is no file)."""
    path = path if path is not None else reloads_file()
    if path is None or limit <= 0:
        return []
    try:
        text = path.read_text()
    except OSError:
        return []
    records = []
    for line in text.splitlines()[-limit:]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
