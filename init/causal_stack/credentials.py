"""The embedded stack's own AWS credentials: one random pair per checkout, readable by its owner only.

The first ``causal-stack up`` makes the pair and keeps it in ``.stack/`` (mode
0600 in a 0700 directory, as Jupyter keeps its runtime files), in two forms:

- ``.stack/credentials``: a shared-credentials file with the profile
  ``causal-stack`` (``AWS_SHARED_CREDENTIALS_FILE=.stack/credentials
  AWS_PROFILE=causal-stack``, for the AWS CLI, ``awslocal`` and any SDK);
- ``.stack/env``: ``export`` lines to ``source`` in a shell.

Every process the stack starts signs with it, and the CLI reads it for the
local targets. Nobody else on the machine can read it; the well-known pair
``test``/``test`` stays honoured for the owner alone (``causal_guard.front_door``),
so the owner's old ``awslocal`` commands work verbatim.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from causal_common.errors import ConfigurationError
from causal_common.settings import DEFAULT_REGION
from causal_guard.front_door import new_access_key_id, new_secret_access_key
from causal_guard.stack_keys import PROFILE, StackKeys, credentials_text, read_credentials_file

STACK_DIR = Path(__file__).resolve().parents[2] / ".stack"
CREDENTIALS_FILE = "credentials"
ENV_FILE = "env"
__all__ = [
    "CREDENTIALS_FILE",
    "ENV_FILE",
    "PROFILE",
    "STACK_DIR",
    "StackDirectoryError",
    "StackKeys",
    "ensure_keys",
    "read_keys",
]


def _write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(path, 0o600)


def read_keys(stack_dir: Path) -> StackKeys | None:
    """The checkout's pair, ``None`` when there is none (or it is not readable by this user)."""
    return read_credentials_file(stack_dir / CREDENTIALS_FILE)


class StackDirectoryError(ConfigurationError):
    """The checkout's ``.stack`` cannot be used by this user (it belongs to someone else)."""


def ensure_keys(stack_dir: Path) -> StackKeys:
    """The checkout's pair, made (with both files) on first use; the files are re-written 0600.

    Raises :class:`StackDirectoryError` when ``stack_dir`` is another user's."""
    try:
        return _ensure_keys(stack_dir)
    except PermissionError as exc:
        raise StackDirectoryError(_not_yours(stack_dir, exc)) from exc


def _not_yours(stack_dir: Path, exc: PermissionError) -> str:
    try:
        owner = stack_dir.stat().st_uid
    except OSError:
        return f"cannot use {stack_dir} ({exc.strerror}): the stack keeps its credentials there; check its permissions"
    return (
        f"{stack_dir} belongs to uid {owner}, not to you (uid {os.getuid()}): the stack's credentials and state "
        "there are its owner's. Run the stack as that user, or from a clone of your own."
    )


def _ensure_keys(stack_dir: Path) -> StackKeys:
    stack_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(stack_dir, 0o700)
    keys = read_keys(stack_dir)
    if keys is None:
        made = StackKeys(new_access_key_id(), new_secret_access_key())
        try:  # two stacks starting at once on a fresh checkout agree on the first one's pair
            _write_private(stack_dir / CREDENTIALS_FILE, credentials_text(made), exclusive=True)
        except FileExistsError:
            pass
        keys = read_keys(stack_dir) or made
    _write_private(stack_dir / CREDENTIALS_FILE, credentials_text(keys))
    _write_private(
        stack_dir / ENV_FILE,
        "# source this file to sign with the embedded stack's credentials (awslocal, aws, boto3)\n"
        f"export AWS_ACCESS_KEY_ID={shlex.quote(keys.access_key_id)}\n"
        f"export AWS_SECRET_ACCESS_KEY={shlex.quote(keys.secret_access_key)}\n"
        f"export AWS_DEFAULT_REGION={DEFAULT_REGION}\n"
        "unset AWS_PROFILE AWS_SESSION_TOKEN\n",
    )
    return keys
