"""Structured JSON logs that carry the session and connection ids.

``bind(session_id=…)`` sets the ids for the current context (a Lambda
invocation, a WebSocket connection's task); every record then carries them.
Flags (``cold_start``) are bound the same way and keep their ``false``.
Secrets never go in log arguments.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TextIO

# Read-only default: bound() always sets a new dict, never mutates the current one.
_context: contextvars.ContextVar[Mapping[str, str | bool]] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({})
)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context.get())
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Make the root logger write JSON (idempotent).

    Where a runtime already installed a root handler (the Lambda Python
    runtime does), that handler gets the JSON formatter instead of a second
    handler being added, so each record is written once.
    """
    root = logging.getLogger()
    if stream is None and root.handlers and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())
    elif not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def bind(**ids: str | bool | None) -> contextvars.Token[Mapping[str, str | bool]]:
    """Add ids (session_id, connection_id, …) to every later record in this context; empty ones are left out."""
    merged = dict(_context.get())
    merged.update({key: value for key, value in ids.items() if value or value is False})
    return _context.set(merged)


@contextmanager
def bound(**ids: str | bool | None) -> Iterator[None]:
    token = bind(**ids)
    try:
        yield
    finally:
        _context.reset(token)
