"""The emulator's state kept across restarts: restored at start, saved at an interval and on a clean stop.

``EMULATOR_SNAPSHOT_DIR`` turns it on (``causal-stack up`` passes the checkout's
``.stack/state``). At start, ``current.zip`` there is restored before the emulator
answers (so before the deployer runs; the deploy updates what exists); a file that
cannot be read stops the start with a message that names it, and is left as it was.
Every ``EMULATOR_SNAPSHOT_INTERVAL`` seconds the state is saved again if a request
that may write came in or an execution was running since the last save, and once more on a clean
stop. ``POST /_causal/state/snapshots?name=NAME`` (signed, like moto's admin routes)
saves a named copy of the running state under ``snapshots/``.
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from causal_embedded import state_executions, state_services, state_snapshot
from causal_embedded.state_snapshot import Snapshot, SnapshotError, SnapshotUnreadableError

logger = logging.getLogger(__name__)

STATE_PREFIX = "/_causal/state"
SNAPSHOTS_PATH = STATE_PREFIX + "/snapshots"
# A capture walks moto's dictionaries while requests may change them: try again on that.
_CAPTURE_ATTEMPTS = 5


@dataclass
class Counts:
    items: int = 0
    objects: int = 0
    secrets: int = 0
    executions: int = 0
    log_events: int = 0

    def describe(self) -> str:
        return (
            f"{self.items} DynamoDB item(s), {self.objects} S3 object(s), {self.secrets} secret(s), "
            f"{self.executions} execution record(s), {self.log_events} Lambda log line(s)"
        )


def capture() -> tuple[Snapshot, Counts]:
    """The whole state of the emulator's kept services, as plain data."""
    for attempt in range(_CAPTURE_ATTEMPTS):
        snapshot = Snapshot()
        try:
            counts = Counts(
                items=state_services.capture_dynamodb(snapshot),
                objects=state_services.capture_s3(snapshot),
                secrets=state_services.capture_secrets(snapshot),
                executions=state_executions.capture(snapshot),
                log_events=state_services.capture_logs(snapshot),
            )
        except RuntimeError as exc:  # "dictionary changed size during iteration"
            if attempt == _CAPTURE_ATTEMPTS - 1:
                raise SnapshotError(f"the state kept changing while it was saved ({exc}); try again") from exc
            time.sleep(0.05)
            continue
        return snapshot, counts
    raise AssertionError("unreachable")


def save(path: Path) -> tuple[Counts, int]:
    """Capture and write to ``path`` atomically; (counts, size in bytes)."""
    import moto

    snapshot, counts = capture()
    size = state_snapshot.write(path, snapshot, {"motoVersion": moto.__version__, "counts": counts.__dict__})
    return counts, size


def restore(path: Path) -> tuple[Counts, list[str]]:
    """Restore ``path`` into the (empty) emulator; (counts, executions marked ``States.ServiceRestart``)."""
    snapshot = state_snapshot.read(path)
    try:
        counts = Counts(
            items=state_services.restore_dynamodb(snapshot),
            objects=state_services.restore_s3(snapshot),
            secrets=state_services.restore_secrets(snapshot),
            log_events=state_services.restore_logs(snapshot),
        )
        counts.executions, interrupted = state_executions.restore(snapshot)
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotUnreadableError(
            f"{path} cannot be restored: a record is not as this stack writes it ({exc!r})"
        ) from exc
    except Exception as exc:  # moto's own validation errors have no common base but Exception
        raise SnapshotUnreadableError(f"{path} cannot be restored: {type(exc).__name__}: {exc}") from exc
    return counts, interrupted


class StateKeeper:
    """Restore at start, save at an interval when something changed and on stop (see the module's text)."""

    def __init__(self, state_dir: Path, interval_seconds: float) -> None:
        self.state_dir = state_dir
        self.path = state_snapshot.current_path(state_dir)
        self.interval_seconds = interval_seconds
        self._requests = 0
        self._requests_saved = 0
        self._save_lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def restore(self) -> None:
        if not self.path.exists():
            logger.info("no saved state in %s: starting empty", self.path)
            return
        started = time.monotonic()
        counts, interrupted = restore(self.path)
        logger.info("restored %s from %s in %.2f s", counts.describe(), self.path, time.monotonic() - started)
        if interrupted:
            logger.warning(
                "%d execution(s) were running when the stack stopped: marked FAILED (%s), redrivable: %s",
                len(interrupted),
                state_executions.SERVICE_RESTART_ERROR,
                ", ".join(interrupted),
            )

    def start(self) -> None:
        if self.interval_seconds > 0:
            self._thread = threading.Thread(target=self._every_interval, name="state-keeper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the interval and save a last time (the server has stopped taking requests)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.save_current()

    def save_current(self) -> None:
        with self._save_lock:
            seen = self._requests
            started = time.monotonic()
            counts, size = save(self.path)
            self._requests_saved = seen
        logger.info(
            "saved %s to %s (%d bytes) in %.2f s", counts.describe(), self.path, size, time.monotonic() - started
        )

    def changed(self) -> bool:
        return self._requests != self._requests_saved or _any_running()

    def _every_interval(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            if not self.changed():
                continue
            try:
                self.save_current()
            except (SnapshotError, OSError) as exc:
                logger.error("the state could not be saved to %s: %s", self.path, exc)

    def counting(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """WSGI middleware: counts requests (what changed since the last save) and answers the snapshot route."""

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == SNAPSHOTS_PATH:
                return self._named(environ, start_response)
            if not _only_reads(environ):
                self._requests += 1
            return app(environ, start_response)

        return application

    def _named(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "405 Method Not Allowed", {"message": "POST with ?name=NAME saves a snapshot"})
        name = (parse_qs(environ.get("QUERY_STRING", "")).get("name") or [""])[0]
        try:
            path = state_snapshot.named_path(self.state_dir, name)
            with self._save_lock:
                counts, size = save(path)
        except SnapshotError as exc:
            return _json(start_response, "400 Bad Request", {"message": exc.message})
        except OSError as exc:
            return _json(start_response, "500 Internal Server Error", {"message": f"cannot write the snapshot: {exc}"})
        logger.info("saved snapshot %s: %s (%d bytes)", name, counts.describe(), size)
        return _json(
            start_response,
            "200 OK",
            {
                "name": name,
                "path": str(path),
                "size": size,
                "counts": counts.__dict__,
                "savedAt": datetime.datetime.now(tz=datetime.UTC).isoformat(),
            },
        )


_READ_OPERATIONS = ("Get", "Describe", "List", "Scan", "Query", "BatchGet")


def _only_reads(environ: dict[str, Any]) -> bool:
    """Whether a request surely changes nothing (a GET, or an operation named as a read): those need no save.
    Anything else counts as a change, so a save is never skipped for a request that wrote."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return True
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return bool(target) and target.rsplit(".", 1)[-1].startswith(_READ_OPERATIONS)


def _any_running() -> bool:
    from moto.stepfunctions.parser.api import ExecutionStatus

    return any(
        execution.exec_status == ExecutionStatus.RUNNING
        for _, _, backend in state_executions.backends()
        for machine in list(backend.state_machines)
        for execution in list(machine.executions)
    )


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
