"""When to start a dead process again, and when to stop trying: systemd's ``RestartSteps`` and start limit.

The delay doubles on each quick failure (1 s, 2 s, 4 s … 30 s); a process that
ran for ``stable_seconds`` before it died starts the count over. Past
``quick_restarts`` quick failures in a row there is no next delay: the caller
gives up. The stack's supervisor and the ECS runner's warm-worker supervisor
both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_SECONDS = 60.0


@dataclass
class RestartBackoff:
    quick_restarts: int
    steps: tuple[float, ...] = BACKOFF_SECONDS
    stable_seconds: float = STABLE_SECONDS
    quick_failures: int = 0

    def failed(self, ran_seconds: float, *, started: bool = True) -> float | None:
        """Count a death after ``ran_seconds`` (one that never finished starting is quick, however long it took);
        the seconds to wait before the next start, or ``None`` when the quick failures are past the limit."""
        quick = not started or ran_seconds < self.stable_seconds
        self.quick_failures = self.quick_failures + 1 if quick else 1
        if self.quick_failures > self.quick_restarts:
            return None
        return self.steps[min(self.quick_failures, len(self.steps)) - 1]
