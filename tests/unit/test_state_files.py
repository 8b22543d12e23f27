"""The state directory on disk: one stack holds it, --fresh and load keep what they replace, names are checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from causal_embedded import state_snapshot
from causal_embedded.state_snapshot import Snapshot, SnapshotError
from causal_stack import state_files


def _save(path: Path, secret: str) -> None:
    state_snapshot.write(path, Snapshot(documents={"secretsmanager/secrets": [{"name": secret}]}))


def _secret_in(path: Path) -> str:
    return state_snapshot.read(path).documents["secretsmanager/secrets"][0]["name"]


def test_a_second_stack_on_the_same_directory_is_refused_naming_the_first(tmp_path: Path) -> None:
    tmp_path = tmp_path / "state"  # made by the lock, owner-only
    first = state_files.StateLock(tmp_path)
    first.acquire("http://127.0.0.1:4566")
    try:
        assert state_files.holder_of(tmp_path) == state_files.Holder(os.getpid(), "http://127.0.0.1:4566")
        with pytest.raises(state_files.StateInUseError) as refused:
            state_files.StateLock(tmp_path).acquire("http://127.0.0.1:5566")
        assert f"process {os.getpid()}" in refused.value.message and "--state-dir" in refused.value.message
    finally:
        first.release()
    assert state_files.holder_of(tmp_path) is None
    second = state_files.StateLock(tmp_path)
    second.acquire("http://127.0.0.1:5566")
    second.release()
    assert tmp_path.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "lock").stat().st_mode & 0o777 == 0o600


def test_fresh_sets_the_kept_state_aside_as_a_named_snapshot(tmp_path: Path) -> None:
    assert state_files.set_aside(tmp_path, "before-fresh") is None, "nothing kept: nothing to set aside"
    _save(state_snapshot.current_path(tmp_path), "old")
    name = state_files.set_aside(tmp_path, "before-fresh")
    assert name is not None and name.startswith("before-fresh-")
    assert not state_snapshot.current_path(tmp_path).exists()
    assert _secret_in(state_snapshot.named_path(tmp_path, name)) == "old"
    assert [row[0] for row in state_files.list_snapshots(tmp_path)] == [name]


def test_load_makes_a_named_snapshot_current_and_keeps_the_one_it_replaces(tmp_path: Path) -> None:
    _save(state_snapshot.current_path(tmp_path), "current")
    _save(state_snapshot.named_path(tmp_path, "good"), "good")
    kept = state_files.load(tmp_path, "good")
    assert _secret_in(state_snapshot.current_path(tmp_path)) == "good"
    assert kept is not None and _secret_in(state_snapshot.named_path(tmp_path, kept)) == "current"
    assert _secret_in(state_snapshot.named_path(tmp_path, "good")) == "good", "the named snapshot stays"


def test_load_refuses_while_a_stack_runs_on_the_directory(tmp_path: Path) -> None:
    _save(state_snapshot.named_path(tmp_path, "good"), "good")
    lock = state_files.StateLock(tmp_path)
    lock.acquire("http://127.0.0.1:4566")
    try:
        with pytest.raises(state_files.StateInUseError, match="stop it"):
            state_files.load(tmp_path, "good")
    finally:
        lock.release()
    assert not state_snapshot.current_path(tmp_path).exists()


def test_a_damaged_or_missing_snapshot_is_not_loaded_and_changes_nothing(tmp_path: Path) -> None:
    _save(state_snapshot.current_path(tmp_path), "current")
    damaged = state_snapshot.named_path(tmp_path, "damaged")
    damaged.parent.mkdir()
    damaged.write_bytes(b"PK not an archive")
    with pytest.raises(SnapshotError, match="not a readable snapshot"):
        state_files.load(tmp_path, "damaged")
    with pytest.raises(SnapshotError, match="no snapshot named 'absent'"):
        state_files.load(tmp_path, "absent")
    assert _secret_in(state_snapshot.current_path(tmp_path)) == "current"
    assert [row[0] for row in state_files.list_snapshots(tmp_path)] == ["(current)", "damaged"]
    assert state_files.describe(damaged).startswith("unreadable: ")
