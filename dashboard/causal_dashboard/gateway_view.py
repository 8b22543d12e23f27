"""What the dashboard reads from the gateway it is mounted in.

The gateway's application factory passes its ``Gateway`` here; mypy checks
that it has these methods. Call them from the event loop, where the gateway
keeps its state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol


class GatewayView(Protocol):
    def connections_json(self) -> list[dict[str, Any]]:
        """The open connections: ``connectionId``, ``userId``, ``connectedAt``, ``state``, …"""
        ...

    def metrics_json(self) -> dict[str, Any]:
        """Per-route counters and latencies, and the management API's counters."""
        ...

    def events_json(self) -> AsyncIterator[dict[str, Any]]:
        """The gateway's events as they happen (connect, message, push, gone, disconnect, …)."""
        ...
