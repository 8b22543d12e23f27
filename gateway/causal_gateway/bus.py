"""An in-memory bus of gateway events (connect, message, push, gone, disconnect, …).

Publishing never blocks: a subscriber that falls behind loses its oldest
events and sees ``dropped`` grow. Use from the event loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from causal_gateway.registry import now_ms


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    type: str  # connect | refused | message | push | gone | delete | disconnect
    connection_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    time: int = field(default_factory=now_ms)  # epoch ms

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"type": data["type"], "connectionId": data["connection_id"], "time": data["time"], **data["detail"]}


class Subscription:
    """An async iterator of events; close it (or use ``async with``) when done."""

    def __init__(self, bus: EventBus, max_queue: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[GatewayEvent | None] = asyncio.Queue(maxsize=max_queue)
        self.dropped = 0

    def _offer(self, event: GatewayEvent) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self) -> GatewayEvent:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def __aiter__(self) -> AsyncIterator[GatewayEvent]:
        return self

    async def __anext__(self) -> GatewayEvent:
        return await self.get()

    def close(self) -> None:
        self._bus._unsubscribe(self)
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []

    def subscribe(self, max_queue: int = 1000) -> Subscription:
        subscription = Subscription(self, max_queue)
        self._subscribers.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def publish(self, event: GatewayEvent) -> None:
        for subscription in self._subscribers:
            subscription._offer(event)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
