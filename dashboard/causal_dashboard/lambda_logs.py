"""Lambda-style log lines → invocations (request id, duration, error) and recent lines.

Real Lambda and the local runner write ``START RequestId: …``, ``END RequestId: …``
and ``REPORT RequestId: … Duration: X ms …`` around the handler's own lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_START = re.compile(r"^START RequestId: (?P<id>[\w-]+)")
_END = re.compile(r"^END RequestId: (?P<id>[\w-]+)")
_REPORT = re.compile(r"^REPORT RequestId: (?P<id>[\w-]+)")
_DURATION = re.compile(r"(?<!Billed )(?<!Init )Duration: (?P<ms>[\d.]+) ms")
_INIT = re.compile(r"Init Duration: (?P<ms>[\d.]+) ms")
_MEMORY = re.compile(r"Max Memory Used: (?P<mb>\d+) MB")
_STATUS = re.compile(r"Status: (?P<status>\w+)")
_ERROR_TYPE = re.compile(r"Error Type: (?P<type>[\w.]+)")


@dataclass
class Invocation:
    request_id: str
    started_at: int | None = None  # epoch ms
    duration_ms: float | None = None
    init_duration_ms: float | None = None
    max_memory_mb: int | None = None
    error: str | None = None
    finished: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "requestId": data["request_id"],
            "startedAt": data["started_at"],
            "durationMs": data["duration_ms"],
            "initDurationMs": data["init_duration_ms"],
            "maxMemoryMb": data["max_memory_mb"],
            "error": data["error"],
            "finished": data["finished"],
        }


@dataclass
class LogSummary:
    invocations: list[Invocation] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for invocation in self.invocations if invocation.error)

    def durations(self) -> list[float]:
        return [i.duration_ms for i in self.invocations if i.duration_ms is not None]

    def to_json(self, *, invocations: int = 10, lines: int = 30) -> dict[str, Any]:
        durations = self.durations()
        return {
            "invocations": len(self.invocations),
            "errors": self.errors,
            "lastInvocationAt": self.invocations[-1].started_at if self.invocations else None,
            "avgDurationMs": round(sum(durations) / len(durations), 1) if durations else None,
            "lastDurationMs": durations[-1] if durations else None,
            "recentInvocations": [i.to_json() for i in self.invocations[-invocations:]][::-1],
            "recentLines": self.lines[-lines:],
        }


def error_in_line(message: str) -> str | None:
    """The error a handler line reports, if any (``[ERROR] X: msg``, JSON level ERROR, errorType)."""
    text = message.strip()
    if text.startswith("[ERROR]"):
        return text[len("[ERROR]") :].strip().split("\n", 1)[0] or "error"
    if text.startswith("{"):
        try:
            record = json.loads(text)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        if record.get("errorType"):
            return f"{record['errorType']}: {record.get('errorMessage', '')}".strip()
        if str(record.get("level", "")).upper() in {"ERROR", "CRITICAL"}:
            return str(record.get("message", "error"))
    return None


def summarise(events: list[dict[str, Any]]) -> LogSummary:
    """Fold CloudWatch log events (``timestamp``, ``message``) into invocations, oldest first."""
    summary = LogSummary()
    by_id: dict[str, Invocation] = {}
    current: Invocation | None = None
    for event in sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("ingestionTime", 0))):
        message = str(event.get("message", "")).rstrip("\n")
        timestamp = event.get("timestamp")
        if match := _START.match(message):
            current = by_id.setdefault(match["id"], Invocation(match["id"]))
            current.started_at = timestamp
            if current not in summary.invocations:
                summary.invocations.append(current)
            continue
        if match := _END.match(message):
            current = None
            continue
        if match := _REPORT.match(message):
            invocation = by_id.get(match["id"])
            if invocation is None:
                invocation = by_id[match["id"]] = Invocation(match["id"], started_at=timestamp)
                summary.invocations.append(invocation)
            invocation.finished = True
            if duration := _DURATION.search(message):
                invocation.duration_ms = float(duration["ms"])
            if init := _INIT.search(message):
                invocation.init_duration_ms = float(init["ms"])
            if memory := _MEMORY.search(message):
                invocation.max_memory_mb = int(memory["mb"])
            status = _STATUS.search(message)
            if status and status["status"].lower() not in {"success", "ok"} and not invocation.error:
                error_type = _ERROR_TYPE.search(message)
                invocation.error = error_type["type"] if error_type else status["status"]
            continue
        error = error_in_line(message)
        if error and current is not None and not current.error:
            current.error = error
        summary.lines.append(
            {
                "timestamp": timestamp,
                "message": message[:2000],
                "requestId": current.request_id if current else None,
                "error": bool(error),
            }
        )
    return summary
