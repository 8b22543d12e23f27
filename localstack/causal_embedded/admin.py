"""moto's own admin routes (``/moto-api/*``) as the stack serves them.

They change or reveal the whole state (``reset``, ``seed``, ``config``,
``data.json``), so the request guard lets only signed requests in unless
``--debug-admin`` was given; ``data.json`` never carries a secret's value; the
recorder (which writes every request, signatures included, to a file) answers
only with ``--recorder``, and then writes under the stack's state directory,
never into the working directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ADMIN_PREFIX = "/moto-api"
RECORDER_PREFIX = "/moto-api/recorder/"
MODEL_DATA_PATH = "/moto-api/data.json"
REDACTED = "(redacted)"
RECORDING_FILE = "moto_recording"

# Attribute names (any case, underscores or not) whose values are secrets in moto's models.
_SECRET_NAMES = re.compile(
    r"^(secret_?string|secret_?binary|secret_?access_?key|session_?token|password|private_?key)$", re.IGNORECASE
)


def redact(value: Any, secrets: frozenset[str]) -> Any:
    """``value`` with every secret-named attribute, SecureString parameter value and known secret replaced."""
    if isinstance(value, dict):
        secure = str(value.get("type", value.get("Type", ""))) == "SecureString"
        return {
            key: REDACTED
            if (_SECRET_NAMES.match(str(key)) or (secure and str(key).lower() == "value")) and item not in (None, "")
            else redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str) and value in secrets:
        return REDACTED
    return value


def _secret_values(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if _SECRET_NAMES.match(str(key)) and isinstance(item, str) and item:
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item)


def redacted_model_data(document: str, known_secrets: Iterable[str]) -> str:
    """moto's ``data.json`` with secrets replaced, wherever their values also appear."""
    parsed = json.loads(document)
    secrets = frozenset(known_secrets) | frozenset(_secret_values(parsed))
    return json.dumps(redact(parsed, frozenset(value for value in secrets if len(value) >= 4)))


def serve_redacted_model_data(known_secrets: Iterable[str]) -> None:
    """Replace moto's ``data.json`` handler with one that redacts (read before moto builds its app)."""
    from moto.moto_api._internal import urls as moto_api_urls

    key = "{0}" + MODEL_DATA_PATH
    original: Any = moto_api_urls.url_paths[key]
    secrets = tuple(known_secrets)

    def model_data(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
        status, _, body = original(request, full_url, headers)
        text = body.decode() if isinstance(body, bytes) else str(body)
        return int(status), {"Content-Type": "application/json"}, redacted_model_data(text, secrets)

    moto_api_urls.url_paths[key] = model_data


def configure_recorder(state_dir: Path) -> Path:
    """Point moto's recorder at ``state_dir`` and keep it stopped; the file it would write."""
    from moto.moto_api import recorder

    location = state_dir / RECORDING_FILE
    recorder._location = str(location)
    recorder._os_enabled = False
    recorder._user_enabled = False
    return location
