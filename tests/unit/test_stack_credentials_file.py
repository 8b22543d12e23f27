"""The embedded stack's own pair in ``.stack/``: made once, kept, private to its owner."""

from __future__ import annotations

import stat
from pathlib import Path

from causal_stack.credentials import CREDENTIALS_FILE, ENV_FILE, PROFILE, ensure_keys, read_keys


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_call_makes_a_private_pair_and_later_ones_keep_it(tmp_path) -> None:
    stack_dir = tmp_path / ".stack"
    first = ensure_keys(stack_dir)
    assert first.access_key_id.startswith("AKIA") and len(first.access_key_id) == 20
    assert first.access_key_id != "test" and len(first.secret_access_key) == 40
    assert _mode(stack_dir) == 0o700
    assert _mode(stack_dir / CREDENTIALS_FILE) == _mode(stack_dir / ENV_FILE) == 0o600
    (stack_dir / ENV_FILE).chmod(0o644)  # loosened by hand: the next start tightens it again
    assert ensure_keys(stack_dir) == first == read_keys(stack_dir)
    assert _mode(stack_dir / ENV_FILE) == 0o600
    assert ensure_keys(tmp_path / "other-checkout") != first


def test_the_files_are_what_the_aws_tools_read(tmp_path) -> None:
    import configparser

    keys = ensure_keys(tmp_path)
    profile = configparser.ConfigParser()
    profile.read(tmp_path / CREDENTIALS_FILE)
    assert profile[PROFILE]["aws_access_key_id"] == keys.access_key_id
    exported = (tmp_path / ENV_FILE).read_text()
    assert f"export AWS_ACCESS_KEY_ID={keys.access_key_id}\n" in exported
    assert f"export AWS_SECRET_ACCESS_KEY={keys.secret_access_key}" in exported


def test_no_pair_is_no_pair(tmp_path) -> None:
    assert read_keys(tmp_path) is None
    (tmp_path / CREDENTIALS_FILE).write_text("[default]\naws_access_key_id = x\n")
    assert read_keys(tmp_path) is None
