"""Connections the gateway holds, by id."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

logger = logging.getLogger(__name__)

CONNECTING = "connecting"
OPEN = "open"
CLOSED = "closed"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True, eq=False)
class Connection:
    connection_id: str
    stage: str
    api_id: str
    domain_name: str
    source_ip: str
    user_agent: str
    connected_at_ms: int = field(default_factory=now_ms)
    last_active_ms: int = field(default_factory=now_ms)
    opened_monotonic: float = field(default_factory=time.monotonic)
    last_active_monotonic: float = field(default_factory=time.monotonic)
    user_id: str | None = None
    authorizer: dict[str, Any] | None = None
    state: str = CONNECTING
    websocket: WebSocket | None = None
    # Set when the gateway decides to close (idle, max duration, DELETE).
    closing: tuple[int, str] | None = None
    # The session the stack last pushed a frame of, its last seq, and whether its analysis still runs
    # (so a client whose analysis a wiped stack lost is told so; see causal_gateway.stack_watch).
    session_id: str | None = None
    last_seq: int = 0
    analysis_running: bool = False
    _identity: dict[str, str] | None = None

    @property
    def identity(self) -> dict[str, str]:
        identity = self._identity
        if identity is None:
            identity = self._identity = {"sourceIp": self.source_ip, "userAgent": self.user_agent}
        return identity

    def touch(self) -> None:
        self.last_active_ms = now_ms()
        self.last_active_monotonic = time.monotonic()

    @property
    def is_open(self) -> bool:
        return self.state == OPEN and self.closing is None

    async def send(self, data: str | bytes) -> bool:
        """Send one frame; False when the socket is no longer open."""
        if not self.is_open or self.websocket is None:
            return False
        try:
            if isinstance(data, bytes):
                await self.websocket.send_bytes(data)
            else:
                await self.websocket.send_text(data)
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            return False
        return True

    async def close(self, code: int, reason: str) -> bool:
        """Close from the server side; the receive loop then runs ``$disconnect``."""
        if not self.is_open or self.websocket is None:
            return False
        self.closing = (code, reason)
        try:
            await self.websocket.close(code, reason)
        except (WebSocketDisconnect, WebSocketDisconnected, OSError):
            logger.info("connection already gone while closing", extra={"connection_id": self.connection_id})
        return True

    def summary(self) -> dict[str, Any]:
        return {
            "connectionId": self.connection_id,
            "userId": self.user_id,
            "connectedAt": self.connected_at_ms,
            "lastActiveAt": self.last_active_ms,
            "state": self.state,
            "sourceIp": self.source_ip,
            "userAgent": self.user_agent,
        }


class ConnectionRegistry:
    """Open (and still-connecting) connections. Only touched from the event loop."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def remove(self, connection_id: str) -> Connection | None:
        return self._connections.pop(connection_id, None)

    def __len__(self) -> int:
        return len(self._connections)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._connections.values()))

    def open_connections(self) -> list[Connection]:
        return [connection for connection in self._connections.values() if connection.state == OPEN]

    def held_by(self, user_id: str) -> int:
        """Connections of ``user_id`` that are open or being opened."""
        return sum(1 for connection in self._connections.values() if connection.user_id == user_id)
