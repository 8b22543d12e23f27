"""A deployed function as the Lambda runner sees it, and what one invoke returns."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FunctionSnapshot:
    """What the runner needs of a deployed function, copied from the emulator's model."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    version: str
    region: str
    code_sha256: str
    environment: tuple[tuple[str, str], ...]
    code_bytes: bytes = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        """Changes whenever the code or the configuration changes."""
        config = json.dumps(
            [self.handler, self.runtime, self.timeout, self.memory_size, list(self.environment)]
        ).encode()
        return f"{self.code_sha256}:{hashlib.sha256(config).hexdigest()[:16]}"


@dataclass
class InvokeResult:
    payload: str
    errored: bool
    logs: list[str]
    request_id: str
    duration_ms: float
    cold: bool
    max_memory_mb: int | None = None


LogSink = Callable[[FunctionSnapshot, str, list[str]], None]


def error_result(
    request_id: str,
    error_type: str,
    message: str,
    logs: list[str],
    started: float,
    cold: bool,
    error: dict[str, Any] | None = None,
) -> InvokeResult:
    """A failed invoke in Lambda's error shape (``errorType``, ``errorMessage``, ``stackTrace``)."""
    payload = dict(error or {})
    payload.update({"errorType": error_type, "errorMessage": message, "requestId": request_id})
    payload.setdefault("stackTrace", [])
    return InvokeResult(
        payload=json.dumps(payload),
        errored=True,
        logs=logs,
        request_id=request_id,
        duration_ms=(time.monotonic() - started) * 1000,
        cold=cold,
    )


def log_lines(snapshot: FunctionSnapshot, result: InvokeResult) -> list[str]:
    """The invoke's log stream lines as Lambda writes them: START, the function's output, END and REPORT."""
    lines = [f"START RequestId: {result.request_id} Version: {snapshot.version}"]
    lines.extend(result.logs)
    if result.errored:
        lines.append(result.payload)
    lines.append(f"END RequestId: {result.request_id}")
    report = (
        f"REPORT RequestId: {result.request_id}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, int(result.duration_ms + 0.999))} ms\tMemory Size: {snapshot.memory_size} MB"
    )
    if result.max_memory_mb is not None:
        report += f"\tMax Memory Used: {result.max_memory_mb} MB"
    if result.cold:
        report += "\tInit: cold"
    lines.append(report)
    return lines
