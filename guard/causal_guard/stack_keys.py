"""The stack's own AWS credentials, kept as a shared-credentials file with the profile ``causal-stack``.

``causal-stack up`` keeps the file in the checkout's ``.stack/``; on the compose
route with the project's emulator a one-shot service writes the same file and
hands every container a copy, named by ``STACK_CREDENTIALS_FILE``. A process
given that setting and no explicit pair signs (and, for the emulator and the ECS
runner, verifies) with the file's pair: :func:`load_into_environment` puts it in
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` before any setting is read, so
every client, worker and task it starts gets it the usual way.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

PROFILE = "causal-stack"
CREDENTIALS_FILE_SETTING = "STACK_CREDENTIALS_FILE"


class StackKeysError(Exception):
    """The credentials file a process was told to use cannot be read."""


@dataclass(frozen=True)
class StackKeys:
    access_key_id: str
    secret_access_key: str

    def as_tuple(self) -> tuple[str, str]:
        return self.access_key_id, self.secret_access_key


def credentials_text(keys: StackKeys) -> str:
    return (
        "# The stack's own credentials; only this checkout's stack accepts them.\n"
        f"[{PROFILE}]\naws_access_key_id = {keys.access_key_id}\naws_secret_access_key = {keys.secret_access_key}\n"
    )


def read_credentials_file(path: Path) -> StackKeys | None:
    """The pair in ``path``'s ``causal-stack`` profile; ``None`` when there is none or it cannot be read."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text())
        section = parser[PROFILE]
        keys = StackKeys(section["aws_access_key_id"].strip(), section["aws_secret_access_key"].strip())
    except (OSError, UnicodeDecodeError, configparser.Error, KeyError):
        return None
    return keys if keys.access_key_id and keys.secret_access_key else None


def named_by_environment(environ: MutableMapping[str, str] | None = None) -> StackKeys | None:
    """The pair in the file ``STACK_CREDENTIALS_FILE`` names; ``None`` when the setting is unset.

    Raises :class:`StackKeysError` when the setting names a file without the profile: a process told
    to use the stack's pair must not fall back to another."""
    environ = os.environ if environ is None else environ
    named = environ.get(CREDENTIALS_FILE_SETTING, "").strip()
    if not named:
        return None
    keys = read_credentials_file(Path(named))
    if keys is None:
        raise StackKeysError(
            f"{CREDENTIALS_FILE_SETTING}={named} holds no readable [{PROFILE}] profile with "
            "aws_access_key_id and aws_secret_access_key"
        )
    return keys


def load_into_environment(environ: MutableMapping[str, str] | None = None) -> StackKeys | None:
    """Sign with the stack's pair from ``STACK_CREDENTIALS_FILE`` unless an explicit pair is set.

    Returns the pair it loaded (``None`` when it changed nothing); raises :class:`StackKeysError`."""
    environ = os.environ if environ is None else environ
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return None
    keys = named_by_environment(environ)
    if keys is not None:
        environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"] = keys.as_tuple()
        for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            environ.pop(variable, None)
    return keys
