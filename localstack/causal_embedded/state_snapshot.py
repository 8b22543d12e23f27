"""The file a snapshot of the emulator's state is kept in: one zip archive, portable across moto versions.

What is in it is plain data, never pickled moto objects (they change shape between
moto releases): ``manifest.json`` (format, version, when, counts, moto's version for
the record), JSON documents per service and NDJSON lines per table, and one entry per
S3 object body. The archive is written to a temporary file beside its place, flushed
to disk, and renamed over it: a reader sees the old snapshot or the new one, never
half of one. Each entry carries zip's CRC, and the manifest lists every entry with its
SHA-256, so a truncated or damaged file is refused with :class:`SnapshotUnreadableError`
naming the file and what is wrong, and nothing is restored from it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.errors import CausalStackError

FORMAT = "causal-stack-state"
VERSION = 1
MANIFEST = "manifest.json"
_DATETIME = "$datetime"
_BYTES = "$bytes"


class SnapshotError(CausalStackError):
    code = "SnapshotError"


class SnapshotUnreadableError(SnapshotError):
    """The file is not a complete snapshot this version can read."""

    code = "SnapshotUnreadable"


def encode(value: Any) -> Any:
    """JSON's ``default``: datetimes and bytes as tagged objects, read back by :func:`decode`."""
    if isinstance(value, datetime.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, bytes | bytearray):
        return {_BYTES: base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"{type(value).__name__} cannot be kept in a snapshot")


def decode(document: dict[str, Any]) -> Any:
    if len(document) == 1:
        if _DATETIME in document:
            return datetime.datetime.fromisoformat(document[_DATETIME])
        if _BYTES in document:
            return base64.b64decode(document[_BYTES])
    return document


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=encode, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    return json.loads(data, object_hook=decode)


@dataclass
class Snapshot:
    """The content of a snapshot: named JSON documents, NDJSON line sets and binary blobs."""

    documents: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, list[Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def write(path: Path, snapshot: Snapshot, details: dict[str, Any] | None = None) -> int:
    """Write ``snapshot`` to ``path`` atomically (owner-only file); its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    digests: dict[str, str] = {}
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                for name, data in _entries(snapshot):
                    digests[name] = hashlib.sha256(data).hexdigest()
                    compress = zipfile.ZIP_STORED if name.startswith("blobs/") else zipfile.ZIP_DEFLATED
                    archive.writestr(name, data, compress_type=compress)
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "savedAt": datetime.datetime.now(tz=datetime.UTC).isoformat(),
                    **(details or {}),
                    "entries": digests,
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return path.stat().st_size


def _entries(snapshot: Snapshot) -> Iterator[tuple[str, bytes]]:
    for name, document in snapshot.documents.items():
        yield f"documents/{name}.json", dumps(document)
    for name, rows in snapshot.lines.items():
        yield f"lines/{name}.ndjson", b"\n".join(dumps(row) for row in rows)
    for name, data in snapshot.blobs.items():
        yield f"blobs/{name}", data


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest alone (for listings), checked as :func:`read` checks it."""
    with _open(path) as archive:
        return _manifest(path, archive)


def read(path: Path) -> Snapshot:
    """The snapshot in ``path``; :class:`SnapshotUnreadableError` when any part is missing or damaged."""
    with _open(path) as archive:
        manifest = _manifest(path, archive)
        entries: dict[str, str] = manifest.get("entries") or {}
        present = set(archive.namelist()) - {MANIFEST}
        if missing := sorted(set(entries) - present):
            raise SnapshotUnreadableError(f"{path} is incomplete: {len(missing)} part(s) missing, e.g. {missing[0]}")
        if extra := sorted(present - set(entries)):
            raise SnapshotUnreadableError(f"{path} holds parts its manifest does not list, e.g. {extra[0]}")
        snapshot = Snapshot(manifest=manifest)
        for name, digest in entries.items():
            try:
                data = archive.read(name)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise SnapshotUnreadableError(f"{path} is damaged: {name} cannot be read ({exc})") from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise SnapshotUnreadableError(f"{path} is damaged: {name} does not match its checksum")
            _place(snapshot, name, data, path)
        return snapshot


def _place(snapshot: Snapshot, name: str, data: bytes, path: Path) -> None:
    kind, _, rest = name.partition("/")
    try:
        if kind == "documents":
            snapshot.documents[rest.removesuffix(".json")] = loads(data)
        elif kind == "lines":
            snapshot.lines[rest.removesuffix(".ndjson")] = [loads(line) for line in data.splitlines() if line]
        else:
            snapshot.blobs[rest] = data
    except ValueError as exc:
        raise SnapshotUnreadableError(f"{path} is damaged: {name} is not valid JSON ({exc})") from exc


class _open:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> zipfile.ZipFile:
        try:
            self.archive = zipfile.ZipFile(self.path)
        except FileNotFoundError as exc:
            raise SnapshotError(f"no snapshot at {self.path}") from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SnapshotUnreadableError(f"{self.path} is not a readable snapshot ({exc})") from exc
        return self.archive

    def __exit__(self, *exc_info: object) -> None:
        self.archive.close()


def _manifest(path: Path, archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as exc:
        raise SnapshotUnreadableError(f"{path} has no manifest: it was not written completely") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SnapshotUnreadableError(f"{path} has a damaged manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotUnreadableError(f"{path} is not a causal-stack state snapshot")
    if manifest.get("version") != VERSION:
        raise SnapshotUnreadableError(
            f"{path} is in snapshot format version {manifest.get('version')}; this stack reads version {VERSION}"
        )
    return manifest


CURRENT = "current.zip"
NAMED_DIR = "snapshots"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def current_path(state_dir: Path) -> Path:
    """Where the stack's own snapshot is kept (restored at start, written at intervals and on stop)."""
    return state_dir / CURRENT


def named_path(state_dir: Path, name: str) -> Path:
    """Where the snapshot called ``name`` is kept; :class:`SnapshotError` for a name that cannot be a file name."""
    if not _NAME.match(name) or name.endswith(".zip"):
        raise SnapshotError(
            f"{name!r} is not a snapshot name: use up to 64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (no '.zip')"
        )
    return state_dir / NAMED_DIR / f"{name}.zip"
