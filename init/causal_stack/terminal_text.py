"""Text from users and data made safe for a terminal: control characters are shown escaped, never run.

A column name, a dataset title, a server's message or an answer can carry ANSI
escape sequences (ESC, CSI), carriage returns or bidirectional overrides that
would clear the screen, set the window title or hide text. Everything that is
not printable is shown as a Python-style escape (``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations


def _escaped(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_controls(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` as text with every non-printable character escaped (newlines and tabs kept when asked)."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    kept = "\n\t" if keep_newlines else ""
    return "".join(
        character if character.isprintable() or character in kept else _escaped(character) for character in text
    )
