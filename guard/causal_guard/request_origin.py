"""Which ``Host`` and ``Origin`` headers a local server answers.

Safe by default on one machine, as Docker's loopback-only ports and Jupyter's
origin checks are: a server answers only loopback names (``localhost``,
``*.localhost``, ``127.0.0.0/8``, ``::1``) unless more are configured, which
defeats DNS rebinding; and a request from a browser page (it carries
``Origin``) is answered only when that origin is allowed, so no other web page
can drive the server. Used by the embedded emulator and by the gateway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def split_list(value: object) -> list[str]:
    """A setting given as ``a,b c`` (environment) or as a list (code): its items, stripped."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item for item in value.replace(",", " ").split() if item]
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a string or a list of strings, got {type(value).__name__}")
    return [str(item).strip() for item in value if str(item).strip()]


def host_name(host_header: str) -> str:
    """``Host`` header -> host name: lower case, no port, no IPv6 brackets, no trailing dot."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _matches(name: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern


@dataclass(frozen=True)
class HostAllowList:
    """Loopback names always; ``extra`` adds names, ``*.suffix`` patterns or ``*`` (any)."""

    extra: tuple[str, ...] = ()

    @classmethod
    def of(cls, extra: Iterable[str] | str | None) -> HostAllowList:
        return cls(tuple(host_name(item) if not item.startswith("*") else item.lower() for item in split_list(extra)))

    def allows(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        name = host_name(host_header)
        return is_loopback(name) or any(_matches(name, pattern) for pattern in self.extra)


def normalise_origin(origin: str) -> str:
    """``HTTP://LocalHost:80`` -> ``http://localhost``; ``null`` and garbage stay as they are."""
    parts = urlsplit(origin.strip())
    if not parts.scheme or not parts.hostname:
        return origin.strip().lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return origin.strip().lower()
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{parts.scheme.lower()}://{host}"
    return f"{parts.scheme.lower()}://{host}:{port}"


@dataclass(frozen=True)
class OriginAllowList:
    """Browser origins whose requests are answered: exact ``scheme://host[:port]`` or ``*`` (any)."""

    origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, origins: Iterable[str] | str | None) -> OriginAllowList:
        return cls(frozenset(item if item == "*" else normalise_origin(item) for item in split_list(origins)))

    def allows(self, origin: str) -> bool:
        return "*" in self.origins or normalise_origin(origin) in self.origins

    def describe(self) -> str:
        return ", ".join(sorted(self.origins)) or "none"


def same_origin(origin: str, host_header: str, scheme: str) -> bool:
    """Whether a browser's ``Origin`` is the server's own (the page was served by this server)."""
    return normalise_origin(origin) == normalise_origin(f"{scheme}://{host_header}")
