"""A process handed the stack's credentials file (the compose route) signs with its pair, and with nothing else."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from causal_guard import stack_keys
from causal_stack import compose_keys
from causal_stack.credentials import CREDENTIALS_FILE, ENV_FILE, StackDirectoryError, ensure_keys, read_keys


def test_the_file_named_fills_an_empty_pair(tmp_path) -> None:
    keys = ensure_keys(tmp_path)
    environ = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_PROFILE": "someone-elses",
        "STACK_CREDENTIALS_FILE": str(tmp_path / CREDENTIALS_FILE),
    }
    assert stack_keys.load_into_environment(environ) == keys
    assert (environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"]) == keys.as_tuple()
    assert "AWS_PROFILE" not in environ


def test_an_explicit_pair_wins_and_no_setting_changes_nothing(tmp_path) -> None:
    ensure_keys(tmp_path)
    explicit = {"AWS_ACCESS_KEY_ID": "AKIAEXPLICIT", "AWS_SECRET_ACCESS_KEY": "s", "STACK_CREDENTIALS_FILE": "x"}
    assert stack_keys.load_into_environment(explicit) is None
    assert explicit["AWS_ACCESS_KEY_ID"] == "AKIAEXPLICIT"
    bare: dict[str, str] = {}
    assert stack_keys.load_into_environment(bare) is None and bare == {}


@pytest.mark.parametrize("content", [None, "", "[default]\naws_access_key_id = a\naws_secret_access_key = b\n"])
def test_a_named_file_without_the_profile_is_an_error_not_a_fallback(tmp_path, content) -> None:
    path = tmp_path / "credentials"
    if content is not None:
        path.write_text(content)
    environ = {"STACK_CREDENTIALS_FILE": str(path)}
    with pytest.raises(stack_keys.StackKeysError, match="causal-stack"):
        stack_keys.load_into_environment(environ)
    assert "AWS_ACCESS_KEY_ID" not in environ


def test_compose_keys_keeps_the_checkouts_pair_and_publishes_a_copy(tmp_path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    existing = ensure_keys(checkout / ".stack")  # `causal-stack up` ran here before: compose keeps its pair
    published = tmp_path / "volume" / "credentials"

    assert (
        compose_keys.main(
            ["--stack-dir", str(checkout / ".stack"), "--owner-of", str(checkout), "--publish", str(published)]
        )
        == 0
    )

    assert read_keys(checkout / ".stack") == existing
    assert stack_keys.read_credentials_file(published) == existing
    assert stat.S_IMODE(published.stat().st_mode) == 0o644
    assert stat.S_IMODE((checkout / ".stack").stat().st_mode) == 0o700
    assert stat.S_IMODE((checkout / ".stack" / ENV_FILE).stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving files away needs root")
def test_compose_keys_gives_the_stack_dir_to_the_checkouts_owner(tmp_path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    os.chown(checkout, 4321, 4321)

    assert (
        compose_keys.main(
            ["--stack-dir", str(checkout / ".stack"), "--owner-of", str(checkout), "--publish", str(tmp_path / "c")]
        )
        == 0
    )

    for path in (checkout / ".stack", checkout / ".stack" / CREDENTIALS_FILE, checkout / ".stack" / ENV_FILE):
        assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321), path


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="acting as another user needs root")
def test_another_users_stack_dir_is_a_clear_error_not_a_traceback() -> None:
    checkout = Path(tempfile.mkdtemp(prefix="checkout-", dir="/tmp"))  # pytest's tmp_path is root's alone
    stack_dir = checkout / ".stack"
    ensure_keys(stack_dir)
    os.chown(stack_dir, 4321, 4321)
    checkout.chmod(0o755)
    pid = os.fork()
    if pid == 0:  # the child becomes another user and tries the owner's checkout
        code = 3
        try:
            os.setgid(5432)
            os.setuid(5432)
            ensure_keys(stack_dir)
        except StackDirectoryError as exc:
            code = 0 if "belongs to uid 4321" in exc.message and "clone of your own" in exc.message else 4
        except BaseException:
            code = 5
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(checkout)
    assert os.waitstatus_to_exitcode(status) == 0
