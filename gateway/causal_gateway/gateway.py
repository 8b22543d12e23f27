"""The gateway's core: connection lifecycle, route selection, integration calls.

:class:`Gateway` is also what the dashboard reads, through
``causal_dashboard.GatewayView`` (``connections_json()``, ``metrics_json()``,
``events_json()``). Its state belongs to the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from causal_common import log
from causal_common.errors import InvalidTokenError, UnauthorizedError
from causal_common.json_limits import nesting_exceeds
from causal_gateway import events, stack_watch
from causal_gateway.authorizers import Authorizer, LambdaRequestAuthorizer, NoAuthorizer, TokenAuthorizer
from causal_gateway.bus import EventBus, GatewayEvent
from causal_gateway.errors import IntegrationError, IntegrationTimeoutError, SecretUnavailableError
from causal_gateway.integration import Integration, ProxyResponse
from causal_gateway.metrics import Metrics, Timelines
from causal_gateway.registry import CLOSED, OPEN, Connection, ConnectionRegistry, now_ms
from causal_gateway.secrets import GatewaySecrets
from causal_gateway.settings import GatewaySettings
from causal_gateway.stack_watch import StackCheck

logger = logging.getLogger(__name__)

GOING_AWAY = 1001
_JSON = json.JSONDecoder()


@dataclass(frozen=True)
class ConnectOutcome:
    accepted: bool
    status: int = 200
    message: str = ""
    subprotocol: str | None = None


@dataclass(slots=True)
class IntegrationOutcome:
    route_key: str
    response: ProxyResponse | None
    error: IntegrationError | None
    latency_ms: float


class Gateway:
    def __init__(
        self,
        settings: GatewaySettings,
        integration: Integration,
        secrets: GatewaySecrets,
        stack_check: StackCheck | None = None,
    ) -> None:
        self.settings = settings
        # With GATEWAY_REQUIRE_DEPLOYED: why the stack is not there right now (None while it is).
        self.stack_check = stack_check
        self.restarting: str | None = None
        self.integration = integration
        self.secrets = secrets
        self.registry = ConnectionRegistry()
        self.metrics = Metrics()
        self.timelines = Timelines(settings.timeline_length, settings.closed_connections_kept)
        self.bus = EventBus()
        self._executor = ThreadPoolExecutor(settings.integration_workers, thread_name_prefix="gateway-integration")
        self._background: set[asyncio.Task] = set()
        # The loop serving the app (set at startup): other threads schedule work on it.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.authorizer = self._build_authorizer()
        self._selection_path = settings.selection_path

    def _build_authorizer(self) -> Authorizer:
        if self.settings.auth_mode == "token":
            return TokenAuthorizer(self.secrets, self.run_blocking, self.settings.token_max_lifetime_seconds)
        if self.settings.auth_mode == "lambda":
            assert self.settings.authorizer_function  # checked by the settings
            return LambdaRequestAuthorizer(
                self.settings.authorizer_function, self.integration, self.run_blocking, self.settings.region
            )
        return NoAuthorizer()

    # -- plumbing -------------------------------------------------------
    async def run_blocking(self, function: Any, *args: Any) -> Any:
        """Run a blocking call (boto3) on the gateway's worker threads."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args))

    def record(self, event_type: str, connection_id: str, **detail: Any) -> None:
        """Add an event to the connection's timeline and publish it on the bus."""
        time_ms = now_ms()
        if event_type != "gone" or self.timelines.knows(connection_id):
            # A flat dict of plain values: the garbage collector does not track it,
            # which matters with thousands of timeline entries alive.
            self.timelines.record(
                connection_id, {"type": event_type, "connectionId": connection_id, "time": time_ms, **detail}
            )
        if self.bus.subscriber_count:
            self.bus.publish(GatewayEvent(event_type, connection_id, detail, time_ms))

    def spawn(self, coroutine: Any) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def call_integration(self, route_key: str, event: dict[str, Any]) -> IntegrationOutcome:
        function_name = self.settings.routes[route_key]
        started = time.perf_counter()
        response: ProxyResponse | None = None
        error: IntegrationError | None = None
        invoke_async = getattr(self.integration, "invoke_async", None)
        try:
            # The 29 s integration timeout is the Lambda client's read timeout
            # (no timer per message here: that would cost a third of the path).
            if invoke_async is not None:
                raw = await invoke_async(function_name, event)
            else:
                raw = await self.run_blocking(self.integration.invoke, function_name, event)
            response = ProxyResponse.parse(raw)
        except IntegrationError as exc:
            error = exc
        latency_ms = (time.perf_counter() - started) * 1000
        metrics = self.metrics.route(route_key)
        metrics.latencies_ms.append(latency_ms)
        if error is not None:
            metrics.execution_error += 1
            logger.warning("integration %s for %s failed: %s", function_name, route_key, error.message)
        elif response is not None and response.status_code >= 400:
            metrics.integration_error += 1
        return IntegrationOutcome(route_key, response, error, latency_ms)

    # -- the deployed stack ----------------------------------------------
    async def watch_stack_forever(self) -> None:
        """Notice a wiped or restarted stack (and its return) within ``stack_check_seconds``."""
        assert self.stack_check is not None
        doubtful = 0
        while True:
            try:
                problem = await self.run_blocking(self.stack_check.problem)
            except Exception:  # a bug in the check must not stop the watch: log it, look again
                logger.exception("checking the deployed stack failed")
                await asyncio.sleep(self.settings.stack_check_seconds)
                continue
            if problem is None:
                doubtful = 0
                if self.restarting is not None:
                    await self._stack_back()
            elif self.restarting is None:
                # Resources gone is certain; a probe that got no answer must fail twice in a row.
                doubtful = 0 if problem.definite else doubtful + 1
                if problem.definite or doubtful >= 2:
                    await self._stack_lost(problem.reason)
            await asyncio.sleep(self.settings.stack_check_seconds)

    async def _stack_lost(self, reason: str) -> None:
        self.restarting = reason
        logger.warning("the stack is not there (%s): refusing work until it is deployed again", reason)
        for connection in self.registry.open_connections():
            request_id = events.new_request_id()
            frame = stack_watch.lost_analysis_frame(connection, request_id)
            if frame is not None and await connection.send(frame):
                self.record("stackLost", connection.connection_id, requestId=request_id, reason=reason)

    async def _stack_back(self) -> None:
        """Deployed again: new secrets (so new tokens), and connections whose records were wiped reconnect."""
        logger.info("the stack is deployed again (it was: %s)", self.restarting)
        self.restarting = None
        self.secrets.invalidate()
        for connection in self.registry.open_connections():
            self.spawn(connection.close(stack_watch.SERVICE_RESTART, stack_watch.RECONNECT))

    # -- $connect -------------------------------------------------------
    def new_connection(self, domain_name: str, source_ip: str, user_agent: str) -> Connection:
        connection = Connection(
            connection_id=events.new_id(),
            stage=self.settings.stage,
            api_id=self.settings.api_id,
            domain_name=domain_name,
            source_ip=source_ip,
            user_agent=user_agent,
        )
        self.registry.add(connection)  # "connecting": the management API answers 410
        return connection

    async def connect(
        self, connection: Connection, headers: list[tuple[str, str]], query: list[tuple[str, str]]
    ) -> ConnectOutcome:
        request_id = events.new_request_id()
        if self.restarting is not None:
            outcome = ConnectOutcome(False, 503, stack_watch.RESTARTING)
        else:
            outcome = await self._authorize_and_connect(connection, headers, query, request_id)
        if not outcome.accepted:
            self.registry.remove(connection.connection_id)
            connection.state = CLOSED
            self.record("refused", connection.connection_id, status=outcome.status, reason=outcome.message)
            self.timelines.closed(connection.connection_id)
        return outcome

    async def _authorize_and_connect(
        self, connection: Connection, headers: list[tuple[str, str]], query: list[tuple[str, str]], request_id: str
    ) -> ConnectOutcome:
        try:
            connection.authorizer = await self.authorizer.authorize(connection, headers, query, request_id)
        except UnauthorizedError as exc:
            self.metrics.route("$connect").client_error += 1
            return ConnectOutcome(False, 401, exc.message)
        except InvalidTokenError as exc:
            self.metrics.route("$connect").client_error += 1
            return ConnectOutcome(False, 403, exc.message)
        except (SecretUnavailableError, IntegrationError) as exc:
            self.metrics.route("$connect").execution_error += 1
            logger.error("cannot authorize connections: %s", exc.message)
            return ConnectOutcome(False, 500, "Internal server error")
        connection.user_id = connection.authorizer["userId"]
        limit = self.settings.max_connections_per_user
        # Without an authorizer everyone is "anonymous": there is no user to count connections of.
        if self.settings.auth_mode != "none" and self.registry.held_by(connection.user_id) > limit:
            self.metrics.route("$connect").client_error += 1
            return ConnectOutcome(
                False,
                429,
                f"user {connection.user_id!r} already holds {limit} connections, the most one user may hold "
                "(GATEWAY_MAX_CONNECTIONS_PER_USER); close one first",
            )
        self.metrics.route("$connect").connect_count += 1
        if "$connect" not in self.settings.routes:
            return ConnectOutcome(True)
        result = await self.call_integration("$connect", events.connect_event(connection, headers, query, request_id))
        if result.error is not None:
            return ConnectOutcome(False, 500, "Internal server error")
        assert result.response is not None
        if not result.response.ok:
            return ConnectOutcome(False, result.response.status_code, result.response.body or "Forbidden")
        subprotocol = next(
            (value for key, value in result.response.headers.items() if key.lower() == "sec-websocket-protocol"), None
        )
        return ConnectOutcome(True, subprotocol=subprotocol)

    # -- the open connection ---------------------------------------------
    async def serve(self, connection: Connection, websocket: WebSocket, subprotocol: str | None = None) -> None:
        """Complete the handshake, receive until the socket closes, then run ``$disconnect``."""
        connection.websocket = websocket
        # Open before the 101 is written (no await in between), so a push
        # racing the client's first message is never refused.
        connection.state = OPEN
        try:
            await websocket.accept(subprotocol=subprotocol)
        except WebSocketDisconnect:
            logger.info("client left during $connect", extra={"connection_id": connection.connection_id})
            await self.finish(connection, 1006, "Connection lost during $connect")
            return
        self.metrics.connections_total += 1
        self.record("connect", connection.connection_id, userId=connection.user_id, sourceIp=connection.source_ip)
        code, reason = 1006, "Connection lost"
        with log.bound(connection_id=connection.connection_id):
            try:
                while True:
                    message = await websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        code = int(message.get("code") or 1005)
                        reason = str(message.get("reason") or "")
                        break
                    data = message.get("text")
                    if data is None:
                        data = message.get("bytes") or b""
                    connection.touch()
                    # Dispatched inline: one message at a time per connection,
                    # in order; reading pauses meanwhile (TCP backpressure).
                    try:
                        await self.handle_message(connection, data)
                    except Exception:  # a bug here must not end the connection
                        logger.exception("dispatching a message failed")
            finally:
                if connection.closing is not None:
                    code, reason = connection.closing
                await self.finish(connection, code, reason)

    def select_route(self, data: str | bytes) -> str | None:
        """``$request.body.action`` → a route key; no match or non-JSON → ``$default``."""
        # Only a JSON object can select a route; one nested too deeply to parse safely selects none
        # (the integration then explains what is wrong).
        if isinstance(data, str) and data.lstrip()[:1] == "{" and not nesting_exceeds(data):
            try:
                value: Any = _JSON.decode(data)
            except (ValueError, RecursionError):
                value = None
            for part in self._selection_path:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value in self.settings.routes and not value.startswith("$"):
                return value
        return "$default" if "$default" in self.settings.routes else None

    async def handle_message(self, connection: Connection, data: str | bytes) -> None:
        request_id = events.new_request_id()
        size = len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())
        if self.restarting is not None:
            self.record(
                "message", connection.connection_id, route=None, requestId=request_id, bytes=size, result="Restarting"
            )
            await connection.send(stack_watch.refusal_frame(connection, data, request_id, request_id))
            return
        route_key = self.select_route(data)
        if route_key is None:
            self.metrics.route("$default").client_error += 1
            self.record(
                "message", connection.connection_id, route=None, requestId=request_id, bytes=size, result="Forbidden"
            )
            await self._send_error(connection, "Forbidden", request_id)
            return
        self.metrics.route(route_key).message_count += 1
        result = await self.call_integration(route_key, events.message_event(connection, route_key, data, request_id))
        status = None if result.response is None else result.response.status_code
        self.record(
            "message",
            connection.connection_id,
            route=route_key,
            requestId=request_id,
            bytes=size,
            binary=isinstance(data, bytes),
            latencyMs=result.latency_ms,
            statusCode=status,
            result="ExecutionError" if result.error else ("IntegrationError" if status and status >= 400 else "OK"),
        )
        if result.error is not None:
            message = (
                "Endpoint request timed out"
                if isinstance(result.error, IntegrationTimeoutError)
                else "Internal server error"
            )
            await self._send_error(connection, message, request_id)
        elif route_key in self.settings.route_responses and result.response and result.response.body is not None:
            await connection.send(result.response.body)

    async def _send_error(self, connection: Connection, message: str, request_id: str) -> None:
        await connection.send(
            json.dumps({"message": message, "connectionId": connection.connection_id, "requestId": request_id})
        )

    async def finish(self, connection: Connection, code: int, reason: str) -> None:
        self.registry.remove(connection.connection_id)
        connection.state = CLOSED
        detail: dict[str, Any] = {"code": code, "reason": reason}
        if "$disconnect" in self.settings.routes:
            event = events.disconnect_event(connection, code, reason, events.new_request_id())
            result = await self.call_integration("$disconnect", event)
            detail["latencyMs"] = round(result.latency_ms, 3)
            detail["result"] = "ExecutionError" if result.error else "OK"
        self.record("disconnect", connection.connection_id, **detail)
        self.timelines.closed(connection.connection_id)
        connection.websocket = None

    # -- server-side limits ----------------------------------------------
    async def sweep_forever(self) -> None:
        """Close connections past the idle timeout or the maximum duration (1001 Going away)."""
        settings = self.settings
        interval = max(0.05, min(1.0, settings.idle_timeout_seconds / 4, settings.max_connection_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for connection in self.registry:
                if not connection.is_open:
                    continue
                if now - connection.opened_monotonic >= settings.max_connection_seconds:
                    self.spawn(connection.close(GOING_AWAY, "Going away: maximum connection duration reached"))
                elif now - connection.last_active_monotonic >= settings.idle_timeout_seconds:
                    self.spawn(connection.close(GOING_AWAY, "Going away: idle timeout"))

    # -- views for the JSON API and the dashboard ------------------------
    def connections_json(self) -> list[dict[str, Any]]:
        return [connection.summary() for connection in self.registry.open_connections()]

    def metrics_json(self) -> dict[str, Any]:
        return self.metrics.to_json(len(self.registry.open_connections()))

    def timeline_json(self, connection_id: str) -> list[dict[str, Any]] | None:
        return self.timelines.get(connection_id)

    async def events_json(self) -> AsyncIterator[dict[str, Any]]:
        """Every event from now on, until the consumer stops iterating."""
        async with self.bus.subscribe() as subscription:
            async for event in subscription:
                yield event.to_json()
