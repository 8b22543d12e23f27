"""A limit on failed dashboard logins: ``LOGIN_FAILURES_ALLOWED`` per address within ``LOGIN_WINDOW_SECONDS``.

Past it, every login from that address (a wrong key, a forged or spent code, even
the right key) answers 429 with ``Retry-After`` until the oldest failure leaves
the window, so the operator key and login codes cannot be guessed at speed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_SECONDS = 60.0
# Addresses remembered at most (the oldest are forgotten first): memory stays bounded.
MAX_ADDRESSES = 10_000


class LoginThrottle:
    def __init__(
        self, failures_allowed: int = LOGIN_FAILURES_ALLOWED, window_seconds: float = LOGIN_WINDOW_SECONDS
    ) -> None:
        self._allowed = failures_allowed
        self._window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, *, now: float | None = None) -> int:
        """Seconds until ``address`` may try again (0: now)."""
        current = time.monotonic() if now is None else now
        with self._lock:
            failures = self._recent(address, current)
            if len(failures) < self._allowed:
                return 0
            return max(1, math.ceil(failures[0] + self._window - current))

    def failed(self, address: str, *, now: float | None = None) -> None:
        current = time.monotonic() if now is None else now
        with self._lock:
            failures = self._recent(address, current)
            failures.append(current)
            self._failures[address] = failures
            if len(self._failures) > MAX_ADDRESSES:
                self._failures.pop(next(iter(self._failures)))

    def _recent(self, address: str, current: float) -> deque[float]:
        failures = self._failures.pop(address, deque())
        while failures and failures[0] <= current - self._window:
            failures.popleft()
        if failures:
            self._failures[address] = failures
        return failures
