"""Task tokens never leave the server.

A Step Functions task token (``promptToken`` on a session, ``taskToken`` on a
job or in a state's payload) lets whoever holds it answer or fail that step
(``SendTaskSuccess``). Every JSON answer of the dashboard passes through
:func:`redact`: token fields are dropped, and token values inside JSON text
(state inputs and outputs) are replaced.
"""

from __future__ import annotations

import re
from typing import Any

TOKEN_FIELDS = frozenset({"taskToken", "promptToken", "TaskToken", "task_token", "prompt_token"})
REDACTED = "<redacted>"
_TOKEN_IN_TEXT = re.compile(
    r'((?:\\)?"(?:taskToken|promptToken|TaskToken|task_token|prompt_token)(?:\\)?"\s*:\s*(?:\\)?")((?:[^"\\]|\\[^"])*)'
)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items() if key not in TOKEN_FIELDS}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str) and "oken" in value:
        return _TOKEN_IN_TEXT.sub(lambda match: match.group(1) + REDACTED, value)
    return value
