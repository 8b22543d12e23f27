"""What the dashboard reads from the gateway object it is mounted in.

The gateway passes itself to ``build_router``. This adapter prefers its JSON
views (``connections_json()``, ``metrics_json()``, ``timeline_json(id)``) and
its ``bus.subscribe()`` (an async iterator closed with ``close()``); failing
those it reads, by duck typing, a connection registry (``registry`` or ``connections``:
iterable of objects with ``summary()``), optional per-connection timelines
(``timeline(connection_id)``), ``metrics`` (an object with ``snapshot()`` or a
dict) and an event bus (``bus`` or ``events`` with ``subscribe()`` returning an
``asyncio.Queue`` or async iterator, and optional ``unsubscribe(queue)``).
Everything here runs on the event loop, where the gateway keeps its state.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any

logger = logging.getLogger(__name__)


def _first(obj: Any, *names: str) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _as_dict(value: Any) -> Any:
    for method in ("snapshot", "to_json", "as_dict", "summary"):
        if callable(getattr(value, method, None)):
            return getattr(value, method)()
    return value


class GatewayView:
    def __init__(self, gateway: Any) -> None:
        self._gateway = gateway

    def connections(self) -> list[dict[str, Any]] | None:
        if callable(getattr(self._gateway, "connections_json", None)):
            return self._gateway.connections_json()
        registry = _first(self._gateway, "registry", "connections")
        if registry is None:
            return None
        if callable(registry) and not hasattr(registry, "__iter__"):
            registry = registry()
        return [_as_dict(connection) for connection in registry]

    def timeline(self, connection_id: str) -> list[dict[str, Any]] | None:
        if callable(getattr(self._gateway, "timeline_json", None)):
            return self._gateway.timeline_json(connection_id)
        for owner in (self._gateway, _first(self._gateway, "timelines", "registry")):
            method = getattr(owner, "timeline", None) if owner is not None else None
            if callable(method):
                return _as_dict(method(connection_id))
        return None

    def metrics(self) -> dict[str, Any] | None:
        if callable(getattr(self._gateway, "metrics_json", None)):
            return self._gateway.metrics_json()
        metrics = getattr(self._gateway, "metrics", None)
        if metrics is None:
            return None
        if callable(metrics) and not hasattr(metrics, "snapshot"):
            metrics = metrics()
        return _as_dict(metrics)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        bus = _first(self._gateway, "bus", "event_bus", "events")
        subscribe = getattr(bus, "subscribe", None) if bus is not None else None
        if not callable(subscribe):
            return
        subscription = subscribe()
        if inspect.isawaitable(subscription):
            subscription = await subscription
        try:
            if isinstance(subscription, asyncio.Queue):
                while True:
                    yield _as_dict(await subscription.get())
            else:
                async for event in subscription:
                    yield _as_dict(event)
        finally:
            if callable(getattr(subscription, "close", None)):
                subscription.close()
            elif callable(getattr(bus, "unsubscribe", None)):
                bus.unsubscribe(subscription)
