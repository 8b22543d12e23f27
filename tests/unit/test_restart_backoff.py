"""The restart back-off both supervisors use: doubling delays, a fresh count after a stable run, a start limit."""

from __future__ import annotations

from causal_common.restart_backoff import RestartBackoff


def test_quick_failures_double_the_delay_up_to_the_last_step_then_give_up() -> None:
    backoff = RestartBackoff(quick_restarts=4, steps=(1.0, 2.0, 4.0))
    assert [backoff.failed(0.5) for _ in range(5)] == [1.0, 2.0, 4.0, 4.0, None]


def test_a_stable_run_starts_the_count_over_but_a_start_that_never_finished_is_quick() -> None:
    backoff = RestartBackoff(quick_restarts=5, steps=(1.0, 2.0, 4.0), stable_seconds=60.0)
    assert backoff.failed(1.0) == 1.0 and backoff.failed(1.0) == 2.0
    assert backoff.failed(120.0) == 1.0
    assert backoff.failed(120.0, started=False) == 2.0
