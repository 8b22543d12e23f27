"""The stack's kept state on disk (``.stack/state/`` of the checkout): who holds it, ``--fresh``, named snapshots.

``current.zip`` is what the emulator restores at start and saves at intervals and on
stop; ``snapshots/NAME.zip`` are named copies (``causal-stack snapshot``). One running
stack holds the directory (a lock file with its process id and AWS endpoint): a
second stack on the same directory is refused rather than both writing one file.
Nothing here deletes a snapshot: ``--fresh`` and ``snapshot load`` set the state they
replace aside as a named snapshot first.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from causal_common.errors import CausalStackError
from causal_embedded import state_snapshot
from causal_embedded.state_snapshot import SnapshotError
from causal_stack.credentials import STACK_DIR

DEFAULT_STATE_DIR = STACK_DIR / "state"
LOCK_FILE = "lock"


class StateInUseError(CausalStackError):
    code = "StateInUse"


@dataclass(frozen=True)
class Holder:
    pid: int
    aws_endpoint: str


def prepare(state_dir: Path) -> None:
    """Create the directory owner-only; one that exists keeps its mode (it may be any directory a user named),
    and every file written in it is owner-only anyway."""
    if not state_dir.exists():
        state_dir.mkdir(parents=True, mode=0o700)
        os.chmod(state_dir, 0o700)  # whatever the umask


class StateLock:
    """Held by one `causal-stack up` for as long as it runs (released by the OS if it dies)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self, aws_endpoint: str) -> None:
        prepare(self.path.parent)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        file = os.fdopen(descriptor, "r+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            file.close()
            holder = holder_of(self.path.parent)
            who = f"the stack of process {holder.pid} (AWS {holder.aws_endpoint})" if holder else "another stack"
            raise StateInUseError(
                f"{who} keeps its state in {self.path.parent}; stop it first, "
                "or give this stack a directory of its own with --state-dir DIR"
            ) from exc
        file.seek(0)
        file.truncate()
        file.write(json.dumps({"pid": os.getpid(), "awsEndpoint": aws_endpoint}))
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.close()  # closing releases the lock
            self._file = None


def holder_of(state_dir: Path) -> Holder | None:
    """The running stack holding ``state_dir``, or ``None``."""
    path = state_dir / LOCK_FILE
    if not path.exists():
        return None
    with open(path) as file:
        try:
            fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                described = json.loads(file.read() or "{}")
            except ValueError:
                described = {}
            return Holder(int(described.get("pid", 0)), str(described.get("awsEndpoint", "unknown")))
        fcntl.flock(file, fcntl.LOCK_UN)
    return None


def _stamp() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def set_aside(state_dir: Path, why: str) -> str | None:
    """Move ``current.zip`` to ``snapshots/<why>-<time>.zip``; its new name, or ``None`` if there was none."""
    current = state_snapshot.current_path(state_dir)
    if not current.exists():
        return None
    name = f"{why}-{_stamp()}"
    target = state_snapshot.named_path(state_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(current, target)
    return name


def describe(path: Path) -> str:
    """One line about the snapshot in ``path``: when, what, how big (or why it cannot be read)."""
    try:
        return describe_or_raise(path)
    except SnapshotError as exc:
        return f"unreadable: {exc.message}"


def describe_or_raise(path: Path) -> str:
    manifest = state_snapshot.read_manifest(path)
    counts: dict[str, Any] = manifest.get("counts") or {}
    return (
        f"saved {manifest.get('savedAt', '?')}, {counts.get('items', '?')} item(s), "
        f"{counts.get('objects', '?')} object(s), {counts.get('secrets', '?')} secret(s), "
        f"{counts.get('executions', '?')} execution(s), {path.stat().st_size / 1e6:.2f} MB"
    )


def list_snapshots(state_dir: Path) -> list[tuple[str, Path]]:
    """(name, path) of the current state (named ``(current)``) and every named snapshot, oldest first."""
    rows: list[tuple[str, Path]] = []
    current = state_snapshot.current_path(state_dir)
    if current.exists():
        rows.append(("(current)", current))
    named = sorted((state_dir / state_snapshot.NAMED_DIR).glob("*.zip"), key=lambda path: path.stat().st_mtime)
    rows += [(path.stem, path) for path in named]
    return rows


def copy_snapshot(source: Path, target: Path) -> None:
    """Copy a whole, readable snapshot to ``target`` atomically (temporary file, then rename)."""
    state_snapshot.read(source)  # refuse to copy a damaged file: it would only fail later
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as out, open(source, "rb") as data:
            shutil.copyfileobj(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(state_dir: Path, name: str) -> str | None:
    """Make the named snapshot the state the next `up` starts from; the name the replaced state was kept under.

    Only while no stack holds ``state_dir``: a running emulator would save its own state over it."""
    holder = holder_of(state_dir)
    if holder is not None:
        raise StateInUseError(
            f"the stack of process {holder.pid} (AWS {holder.aws_endpoint}) is running on {state_dir}: stop it "
            "(Ctrl-C in its terminal) and run this again. A snapshot is loaded into a stopped stack only, so the "
            "running one cannot save its state over it"
        )
    source = state_snapshot.named_path(state_dir, name)
    if not source.exists():
        raise SnapshotError(f"no snapshot named {name!r} in {source.parent} (see `causal-stack snapshot list`)")
    state_snapshot.read(source)
    kept = set_aside(state_dir, "before-load")
    copy_snapshot(source, state_snapshot.current_path(state_dir))
    return kept
