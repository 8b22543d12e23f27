"""One doctor check: what it saw and, when it failed or warns, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    # Passed, but something happened the operator should know about (e.g. a restart).
    warning: bool = False
