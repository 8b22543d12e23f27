"""Per-route metrics (API Gateway's names) and per-connection timelines."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

_LATENCY_SAMPLES = 2000


def _percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return round(ordered[index], 3)


@dataclass
class RouteMetrics:
    connect_count: int = 0
    message_count: int = 0
    integration_error: int = 0  # the integration answered 4xx/5xx
    client_error: int = 0  # refused before the integration (auth, no route, limits)
    execution_error: int = 0  # the integration could not be run (crash, timeout)
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=_LATENCY_SAMPLES))

    def to_json(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "ConnectCount": self.connect_count,
            "MessageCount": self.message_count,
            "IntegrationError": self.integration_error,
            "ClientError": self.client_error,
            "ExecutionError": self.execution_error,
            "IntegrationLatency": {
                "count": len(ordered),
                "avg": round(sum(ordered) / len(ordered), 3) if ordered else None,
                "p50": _percentile(ordered, 0.5),
                "p99": _percentile(ordered, 0.99),
                "max": round(ordered[-1], 3) if ordered else None,
            },
        }


class Metrics:
    def __init__(self) -> None:
        self.routes: dict[str, RouteMetrics] = {}
        self.connections_total = 0
        self.pushes = 0
        self.push_bytes = 0
        self.gone = 0
        self.management_forbidden = 0
        self.payload_too_large = 0

    def route(self, route_key: str) -> RouteMetrics:
        metrics = self.routes.get(route_key)
        if metrics is None:
            metrics = self.routes[route_key] = RouteMetrics()
        return metrics

    def to_json(self, open_connections: int) -> dict[str, Any]:
        return {
            "routes": {key: value.to_json() for key, value in sorted(self.routes.items())},
            "connections": {"open": open_connections, "total": self.connections_total},
            "management": {
                "PostCount": self.pushes,
                "PostBytes": self.push_bytes,
                "GoneCount": self.gone,
                "ForbiddenCount": self.management_forbidden,
                "PayloadTooLargeCount": self.payload_too_large,
            },
        }


class Timelines:
    """The recent events of each connection, kept for a while after it closes."""

    def __init__(self, length: int, closed_kept: int) -> None:
        self._length = length
        self._closed_kept = closed_kept
        self._open: dict[str, deque] = {}
        self._closed: OrderedDict[str, deque] = OrderedDict()

    def record(self, connection_id: str, entry: dict[str, Any]) -> None:
        timeline = self._open.get(connection_id)
        if timeline is None:
            timeline = self._closed.get(connection_id)
        if timeline is None:
            timeline = self._open[connection_id] = deque(maxlen=self._length)
        timeline.append(entry)

    def knows(self, connection_id: str) -> bool:
        return connection_id in self._open or connection_id in self._closed

    def closed(self, connection_id: str) -> None:
        timeline = self._open.pop(connection_id, None)
        if timeline is None or self._closed_kept == 0:
            return
        self._closed[connection_id] = timeline
        while len(self._closed) > self._closed_kept:
            self._closed.popitem(last=False)

    def get(self, connection_id: str) -> list[dict[str, Any]] | None:
        timeline = self._open.get(connection_id)
        if timeline is None:
            timeline = self._closed.get(connection_id)
        return None if timeline is None else list(timeline)

    def recently_closed(self) -> list[str]:
        return list(self._closed)
