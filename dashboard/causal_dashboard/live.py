"""The live stream behind ``GET /api/events``: AWS polled about once a second, only changes sent.

One poller serves every open page. Each section (functions, executions,
sessions, …) is a mapping id → item; a page first gets a ``snapshot`` of all
sections, then ``diff`` messages with the items that changed (``upsert``) or
went away (``remove``). Gateway events (connects, messages, errors) are
forwarded as they happen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.errors import CausalStackError
from causal_dashboard.gateway_view import GatewayView

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
SUBSCRIBER_QUEUE = 500
FIRST_SNAPSHOT_SECONDS = 0.3


@dataclass
class Section:
    name: str
    fetch: Callable[[], dict[str, Any]]  # blocking; runs in a thread
    interval: float
    # False for sections read from the gateway's in-memory state (event loop only).
    threaded: bool = True
    next_due: float = 0.0


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """Items of ``new`` that differ from ``old`` and ids that went away; None when equal."""
    upsert = {key: value for key, value in new.items() if old.get(key) != value}
    remove = [key for key in old if key not in new]
    if not upsert and not remove:
        return None
    return {"upsert": upsert, "remove": remove}


class LiveHub:
    def __init__(self, sections: list[Section], gateway: GatewayView | None = None) -> None:
        self._sections = {section.name: section for section in sections}
        self._state: dict[str, dict[str, Any]] = {}
        self._errors: dict[str, str] = {}
        self._subscribers: set[asyncio.Queue] = set()
        self._gateway = gateway
        self._tasks: list[asyncio.Task] = []
        self._ready: asyncio.Event | None = None
        self._streams = 0
        self._polled: set[str] = set()
        self._wake: dict[str, asyncio.Event] = {}
        self.polls = 0

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def snapshot(self) -> dict[str, Any]:
        return {"sections": self._state, "errors": self._errors, "at": int(time.time() * 1000)}

    async def stream(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """``(event name, data)`` pairs for one page until it goes away."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        if self._ready is None:
            self._ready = asyncio.Event()
        self._streams += 1
        self._ensure_running()
        try:
            # Subscribe only once the first poll is in, with no await in between:
            # the snapshot then holds everything and the queue only what follows.
            await self._ready.wait()
            self._subscribers.add(queue)
            yield "snapshot", self.snapshot()
            while True:
                try:
                    name, data = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield "heartbeat", {"at": int(time.time() * 1000)}
                    continue
                if name == "resync":
                    yield "snapshot", self.snapshot()
                else:
                    yield name, data
        finally:
            self._subscribers.discard(queue)
            self._streams -= 1
            if not self._streams:
                await self._stop()

    def publish(self, name: str, data: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait((name, data))
            except asyncio.QueueFull:
                # A slow page: drop what it missed and send it a fresh snapshot.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(("resync", {}))

    async def poll_once(self, *, force: bool = False) -> None:
        """Poll every due section once (all of them with ``force``)."""
        now = time.monotonic()
        due = [s for s in self._sections.values() if force or s.next_due <= now]
        await asyncio.gather(*(self._poll_section(section) for section in due))

    async def _poll_section(self, section: Section) -> None:
        section.next_due = time.monotonic() + section.interval
        items, error = await self._run(section)
        self.polls += 1
        self._apply(section.name, items, error)
        self._polled.add(section.name)
        if self._ready is not None and not self._ready.is_set() and self._polled >= set(self._sections):
            self._ready.set()

    async def _run(self, section: Section) -> tuple[dict[str, Any] | None, str | None]:
        if section.threaded:
            return await asyncio.to_thread(self._fetch, section)
        return self._fetch(section)

    def _fetch(self, section: Section) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return section.fetch(), None
        except (ClientError, BotoCoreError, CausalStackError, OSError) as exc:
            logger.warning("live section %s failed: %s", section.name, exc)
            return None, str(exc)[:300]

    def _apply(self, name: str, items: dict[str, Any] | None, error: str | None) -> None:
        if error is not None:
            if self._errors.get(name) != error:
                self._errors[name] = error
                self.publish("section-error", {"section": name, "error": error})
            return
        if name in self._errors:
            del self._errors[name]
            self.publish("section-error", {"section": name, "error": None})
        assert items is not None
        # A JSON round trip makes items comparable and serialisable (no datetimes).
        items = json.loads(json.dumps(items, default=str))
        changes = diff(self._state.get(name, {}), items)
        self._state[name] = items
        if changes is not None:
            self.publish("diff", {"section": name, **changes})

    def _ensure_running(self) -> None:
        if self._tasks:
            return
        # One loop per section, so a slow one (logs) never delays a fast one (sessions).
        for section in self._sections.values():
            self._wake[section.name] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._poll_forever(section)))
        self._tasks.append(asyncio.create_task(self._first_snapshot_deadline()))
        if self._gateway is not None:
            self._tasks.append(asyncio.create_task(self._forward_gateway_events(self._gateway)))

    async def _first_snapshot_deadline(self) -> None:
        # Pages get their first snapshot quickly; slower sections follow as diffs.
        await asyncio.sleep(FIRST_SNAPSHOT_SECONDS)
        if self._ready is not None:
            self._ready.set()

    def refresh_soon(self, name: str) -> None:
        if name in self._wake:
            self._wake[name].set()

    async def _stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _poll_forever(self, section: Section) -> None:
        wake = self._wake[section.name]
        while True:
            await self._poll_section(section)
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=section.interval)
            except TimeoutError:
                pass

    async def _forward_gateway_events(self, gateway: GatewayView) -> None:
        async for event in gateway.events_json():
            self.publish("gateway", event)
            for name in ("connections", "metrics"):
                self.refresh_soon(name)  # refresh soon after activity


def sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n".encode()
