"""JSON from clients, parsed with a fixed nesting limit.

Python's parser recurses once per level: a 30 KB frame of nested brackets
raises ``RecursionError`` deep inside it. Frames are checked first, cheaply
(only a text with more brackets than the limit is scanned), and a deeper one
is refused with a clear message.
"""

from __future__ import annotations

import json
from typing import Any

from causal_common.errors import InvalidInputError

MAX_JSON_DEPTH = 32


def nesting_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays/objects more than ``limit`` levels (strings are skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads_bounded(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``limit`` with :class:`InvalidInputError`."""
    if nesting_exceeds(text, limit):
        raise InvalidInputError(f"the message nests JSON more than {limit} levels deep; send a flat JSON object")
    return json.loads(text)
