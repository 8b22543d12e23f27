"""The snapshot file: a round trip keeps everything, damage is refused with the file named, writes are atomic."""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

import pytest

from causal_embedded import state_snapshot
from causal_embedded.state_snapshot import Snapshot, SnapshotError, SnapshotUnreadableError


def _snapshot() -> Snapshot:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=datetime.UTC)
    return Snapshot(
        documents={"dynamodb/tables": [{"name": "t", "created": when, "raw": b"\x00\xff"}]},
        lines={"dynamodb/acc/eu/t": [{"id": {"S": "a"}}, {"id": {"S": "b"}, "n": {"N": "1.50"}}]},
        blobs={"s3/abc": b"\x00binary\xffbody" * 1000, "s3/empty": b""},
    )


def test_a_round_trip_keeps_documents_lines_blobs_dates_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "state" / "current.zip"
    size = state_snapshot.write(path, _snapshot(), {"counts": {"items": 2}})
    assert size == path.stat().st_size > 0
    assert path.stat().st_mode & 0o777 == 0o600, "owner-only, as .stack/credentials"
    read = state_snapshot.read(path)
    original = _snapshot()
    assert read.documents == original.documents
    assert read.lines == original.lines
    assert read.blobs == original.blobs
    assert read.manifest["counts"] == {"items": 2} and read.manifest["version"] == state_snapshot.VERSION
    assert state_snapshot.read_manifest(path)["savedAt"] == read.manifest["savedAt"]


def test_a_truncated_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    state_snapshot.write(path, _snapshot())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotUnreadableError) as refused:
        state_snapshot.read(path)
    assert str(path) in refused.value.message


def test_a_changed_byte_in_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    state_snapshot.write(path, _snapshot())
    data = bytearray(path.read_bytes())
    at = data.index(b"\x00binary\xffbody")  # stored uncompressed: the body is in the file as it is
    data[at + 1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotUnreadableError) as refused:
        state_snapshot.read(path)
    assert "damaged" in refused.value.message and "s3/abc" in refused.value.message


def test_an_archive_without_its_manifest_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("documents/dynamodb/tables.json", "[]")
    with pytest.raises(SnapshotUnreadableError, match="no manifest: it was not written completely"):
        state_snapshot.read(path)


def test_a_part_the_manifest_lists_but_the_archive_lacks_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    state_snapshot.write(path, _snapshot())
    rebuilt = tmp_path / "rebuilt.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for name in source.namelist():
            if name != "blobs/s3/empty":
                target.writestr(name, source.read(name))
    with pytest.raises(SnapshotUnreadableError, match="incomplete"):
        state_snapshot.read(rebuilt)


def test_another_format_version_is_refused_with_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": state_snapshot.FORMAT, "version": 99, "entries": {}}))
    with pytest.raises(SnapshotUnreadableError, match="version 99; this stack reads version 1"):
        state_snapshot.read(path)


def test_a_file_that_is_no_archive_is_refused_and_a_missing_one_is_said_to_be_missing(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    path.write_text("hello")
    with pytest.raises(SnapshotUnreadableError, match="not a readable snapshot"):
        state_snapshot.read(path)
    with pytest.raises(SnapshotError, match="no snapshot at"):
        state_snapshot.read(tmp_path / "absent.zip")


def test_a_write_that_fails_leaves_the_previous_snapshot_whole_and_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "current.zip"
    state_snapshot.write(path, _snapshot())
    before = path.read_bytes()
    broken = Snapshot(documents={"first": {"ok": 1}, "second": {"not json": object()}})
    with pytest.raises(TypeError, match="cannot be kept in a snapshot"):
        state_snapshot.write(path, broken)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.zip"], "the temporary file is removed"
    assert state_snapshot.read(path).blobs == _snapshot().blobs


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "x.zip", "a" * 65, "with space"])
def test_a_name_that_cannot_be_a_file_name_is_refused_with_what_is_accepted(tmp_path: Path, name: str) -> None:
    with pytest.raises(SnapshotError, match="letters, digits"):
        state_snapshot.named_path(tmp_path, name)


def test_a_good_name_is_a_file_under_snapshots(tmp_path: Path) -> None:
    assert state_snapshot.named_path(tmp_path, "before-fix_2.1") == tmp_path / "snapshots" / "before-fix_2.1.zip"
