"""What the Lambda runner remembers about workers that died on their own.

A worker that dies while idle (killed, out of memory) is replaced before the
next invoke reaches it; a worker that dies during an invoke fails that invoke
with ``Runtime.ExitError``, as on AWS. Either way the death is recorded here,
so ``causal-stack doctor`` and the dashboard can say what happened.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class FunctionDeaths:
    function_name: str
    died_idle: int = 0
    died_during_invoke: int = 0
    replaced: int = 0
    replacement_failed: int = 0
    last_reason: str = ""
    last_at: float = 0.0  # epoch seconds

    def to_json(self) -> dict[str, object]:
        return {
            "functionName": self.function_name,
            "diedIdle": self.died_idle,
            "diedDuringInvoke": self.died_during_invoke,
            "replaced": self.replaced,
            "replacementFailed": self.replacement_failed,
            "lastReason": self.last_reason,
            "lastAt": self.last_at,
        }


class WorkerDeaths:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_function: dict[str, FunctionDeaths] = {}

    def _entry(self, function_name: str) -> FunctionDeaths:
        return self._by_function.setdefault(function_name, FunctionDeaths(function_name))

    def died(self, function_name: str, reason: str, *, during_invoke: bool) -> None:
        with self._lock:
            entry = self._entry(function_name)
            if during_invoke:
                entry.died_during_invoke += 1
            else:
                entry.died_idle += 1
            entry.last_reason, entry.last_at = reason, time.time()

    def replaced(self, function_name: str, *, ok: bool) -> None:
        with self._lock:
            entry = self._entry(function_name)
            if ok:
                entry.replaced += 1
            else:
                entry.replacement_failed += 1

    def report(self) -> list[dict[str, object]]:
        with self._lock:
            return [entry.to_json() for _, entry in sorted(self._by_function.items())]
