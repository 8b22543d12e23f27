"""`causal-stack up` refuses, before starting anything, a kept state it cannot read and a state directory
another stack holds; each message says what to do, and nothing on disk changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from stack_support import CLI
from support import ROOT, free_port

from causal_stack import state_files


def _up(state_dir: Path) -> subprocess.CompletedProcess[str]:
    ports = [str(free_port()) for _ in range(4)]
    return subprocess.run(
        [str(CLI), "up", "--aws-port", ports[0], "--gateway-port", ports[1], "--ecs-port", ports[2]]
        + ["--resources-port", ports[3], "--state-dir", str(state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreadable_kept_state_stops_the_start_and_is_left_alone(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    current = state_dir / "current.zip"
    current.write_bytes(b"PK\x03\x04 half a file")
    finished = _up(state_dir)
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert str(current) in finished.stderr and "--fresh" in finished.stderr
    assert "starting embedded AWS" not in finished.stdout, "nothing was started"
    assert current.read_bytes() == b"PK\x03\x04 half a file"


def test_a_state_directory_held_by_another_stack_is_refused(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    lock = state_files.StateLock(state_dir)
    lock.acquire("http://127.0.0.1:4566")
    try:
        finished = _up(state_dir)
    finally:
        lock.release()
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "http://127.0.0.1:4566" in finished.stderr and "--state-dir" in finished.stderr
    assert "starting embedded AWS" not in finished.stdout
