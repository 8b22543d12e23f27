"""The WebSocket API over loopback with real `websockets` clients: handshake, routes, limits, disconnects."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from gateway_testing import GatewayUnderTest, RecordingHandler, running_gateway
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def gw(moto_endpoint: str) -> Iterator[GatewayUnderTest]:
    handler = RecordingHandler()
    routes = {
        "$connect": "connect-fn",
        "$disconnect": "disconnect-fn",
        "$default": "default-fn",
        "echo": "echo-fn",
        "crash": "crash-fn",
        "fail": "fail-fn",
    }
    handler.behaviours["crash"] = _raise
    handler.behaviours["fail"] = lambda event: {"statusCode": 500, "body": "nope"}
    with running_gateway(
        moto_endpoint, handler, routes=routes, route_responses=["$default", "echo", "fail"]
    ) as running:
        yield running


def _raise(event: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("handler crashed with a secret stack trace")


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def _connection_id(gw: GatewayUnderTest, user_id: str) -> str:
    ids = [c["connectionId"] for c in gw.gateway.connections_json() if c["userId"] == user_id]
    assert len(ids) == 1, ids
    return ids[0]


def test_echo_through_default_route_with_connect_event_shape(gw: GatewayUnderTest) -> None:
    async def scenario() -> str:
        async with websockets.connect(gw.connect_url("shape-user") + "&lang=en") as ws:
            await ws.send("plain text is not JSON")
            return await ws.recv()

    assert run(scenario()) == "plain text is not JSON"
    connect = [
        e for e in gw.handler.of_route("$connect") if e["requestContext"]["authorizer"]["userId"] == "shape-user"
    ][0]
    context = connect["requestContext"]
    assert context["eventType"] == "CONNECT" and context["stage"] == "dev"
    assert context["authorizer"] == {"userId": "shape-user", "principalId": "shape-user"}
    assert connect["queryStringParameters"]["lang"] == "en"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert {"connectedAt", "requestTimeEpoch", "requestId", "domainName", "apiId", "requestTime"} <= set(context)
    message = gw.handler.wait_for("$default", context["connectionId"])[0]
    assert message["body"] == "plain text is not JSON" and message["isBase64Encoded"] is False
    assert "headers" not in message and "messageId" in message["requestContext"]
    assert message["requestContext"]["authorizer"]["userId"] == "shape-user"


def test_action_selects_route_and_unknown_action_goes_to_default(gw: GatewayUnderTest) -> None:
    async def scenario() -> list[str]:
        async with websockets.connect(gw.connect_url("router")) as ws:
            await ws.send(json.dumps({"action": "echo", "n": 1}))
            first = await ws.recv()
            await ws.send(json.dumps({"action": "no-such-route", "n": 2}))
            second = await ws.recv()
            return [first, second]

    first, second = run(scenario())
    assert json.loads(first)["n"] == 1 and json.loads(second)["n"] == 2
    echo_events = [e for e in gw.handler.of_route("echo") if json.loads(e["body"])["n"] == 1]
    assert echo_events and echo_events[0]["requestContext"]["routeKey"] == "echo"
    assert any(
        json.loads(e["body"]).get("action") == "no-such-route"
        for e in gw.handler.of_route("$default")
        if e["body"].startswith("{")
    )


def test_crashing_integration_sends_internal_server_error_without_details(gw: GatewayUnderTest) -> None:
    async def scenario() -> dict[str, Any]:
        async with websockets.connect(gw.connect_url("crasher")) as ws:
            await ws.send(json.dumps({"action": "crash"}))
            return json.loads(await ws.recv())

    frame = run(scenario())
    assert frame["message"] == "Internal server error"
    assert frame["connectionId"] and frame["requestId"]
    assert "stack" not in json.dumps(frame)
    assert gw.gateway.metrics_json()["routes"]["crash"]["ExecutionError"] >= 1


def test_binary_frames_are_base64_encoded_in_events(gw: GatewayUnderTest) -> None:
    payload = bytes(range(256))

    async def scenario() -> str:
        async with websockets.connect(gw.connect_url("binary-user")) as ws:
            connection_id = _connection_id(gw, "binary-user")
            await ws.send(payload)
            await ws.recv()
            return connection_id

    connection_id = run(scenario())
    event = gw.handler.wait_for("$default", connection_id)[0]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_messages_of_one_connection_reach_the_integration_in_order(gw: GatewayUnderTest) -> None:
    async def scenario() -> tuple[str, list[str]]:
        async with websockets.connect(gw.connect_url("orderly")) as ws:
            connection_id = _connection_id(gw, "orderly")
            for index in range(50):
                await ws.send(json.dumps({"action": "echo", "i": index}))
            replies = [json.loads(await ws.recv())["i"] for _ in range(50)]
            return connection_id, replies

    connection_id, replies = run(scenario())
    assert replies == list(range(50))
    assert [json.loads(e["body"])["i"] for e in gw.handler.of_route("echo", connection_id)] == list(range(50))


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 401), ("?token=", 401), ("?token=forged.signature", 403), ("?token=abc", 403)],
)
def test_handshake_without_a_valid_token_is_refused(gw: GatewayUnderTest, query: str, status: int) -> None:
    async def scenario() -> None:
        async with websockets.connect(gw.ws_url + query):
            pytest.fail("the socket opened")

    with pytest.raises(InvalidStatus) as refused:
        run(scenario())
    assert refused.value.response.status_code == status


def test_expired_and_foreign_key_tokens_are_refused(gw: GatewayUnderTest) -> None:
    from causal_common.tokens import issue_token

    expired = issue_token(gw.signing_key, "late", ttl_seconds=10, now=1_000_000)
    foreign = issue_token("another-key-of-32-bytes-or-more-0000", "mallory")
    for token in (expired, foreign):
        with pytest.raises(InvalidStatus) as refused:
            run(websockets.connect(f"{gw.ws_url}?token={token}"))
        assert refused.value.response.status_code == 403
    assert not [c for c in gw.gateway.connections_json() if c["userId"] in ("late", "mallory")]


def test_connect_integration_error_or_non_2xx_rejects_the_handshake(gw: GatewayUnderTest) -> None:
    def connect(event: dict[str, Any]) -> dict[str, Any]:
        verdict = (event.get("queryStringParameters") or {}).get("verdict")
        if verdict == "crash":
            raise RuntimeError("boom")
        if verdict == "deny":
            return {"statusCode": 403}
        return {"statusCode": 200}

    gw.handler.behaviours["$connect"] = connect
    try:
        for verdict, status in (("deny", 403), ("crash", 500)):
            with pytest.raises(InvalidStatus) as refused:
                run(websockets.connect(f"{gw.connect_url('denied')}&verdict={verdict}"))
            assert refused.value.response.status_code == status
    finally:
        del gw.handler.behaviours["$connect"]
    assert not gw.handler.of_route("$disconnect") or all(
        e["requestContext"]["authorizer"]["userId"] != "denied" for e in gw.handler.of_route("$disconnect")
    )


def test_wrong_stage_is_refused(gw: GatewayUnderTest) -> None:
    url = gw.connect_url().replace("/dev?", "/prod?")
    with pytest.raises(InvalidStatus) as refused:
        run(websockets.connect(url))
    assert refused.value.response.status_code == 403


def test_disconnect_event_carries_the_client_close_code(gw: GatewayUnderTest) -> None:
    async def scenario() -> str:
        ws = await websockets.connect(gw.connect_url("leaver"))
        connection_id = _connection_id(gw, "leaver")
        await ws.close(code=4001, reason="bye now")
        return connection_id

    connection_id = run(scenario())
    event = gw.handler.wait_for("$disconnect", connection_id)[0]
    assert event["requestContext"]["eventType"] == "DISCONNECT"
    assert event["requestContext"]["disconnectStatusCode"] == 4001
    assert event["requestContext"]["disconnectReason"] == "bye now"


def test_dropped_tcp_connection_runs_disconnect_with_1006(gw: GatewayUnderTest) -> None:
    async def scenario() -> str:
        ws = await websockets.connect(gw.connect_url("dropper"))
        connection_id = _connection_id(gw, "dropper")
        ws.transport.abort()  # no close frame
        return connection_id

    connection_id = run(scenario())
    event = gw.handler.wait_for("$disconnect", connection_id)[0]
    assert event["requestContext"]["disconnectStatusCode"] == 1006


def test_frame_over_32_kb_closes_with_1009_and_disconnects(gw: GatewayUnderTest) -> None:
    async def scenario() -> tuple[str, int]:
        async with websockets.connect(gw.connect_url("big-frame"), max_size=None) as ws:
            connection_id = _connection_id(gw, "big-frame")
            await ws.send("x" * (32 * 1024 + 1))
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return connection_id, ws.close_code

    connection_id, code = run(scenario())
    assert code == 1009
    assert gw.handler.wait_for("$disconnect", connection_id)[0]["requestContext"]["disconnectStatusCode"] == 1009
    assert not gw.handler.of_route("$default", connection_id)


def test_fragmented_message_under_128_kb_passes_and_over_128_kb_closes_1009(gw: GatewayUnderTest) -> None:
    chunk = "y" * (30 * 1024)

    async def scenario(chunks: int) -> tuple[str | None, int | None]:
        async with websockets.connect(gw.connect_url(f"fragments-{chunks}"), max_size=None) as ws:
            await ws.send(iter([chunk] * chunks))  # one message, one frame per chunk
            try:
                return await ws.recv(), ws.close_code
            except ConnectionClosed:
                return None, ws.close_code

    reply, _ = run(scenario(4))  # 120 KB in 30 KB frames: allowed
    assert reply == chunk * 4
    reply, code = run(scenario(5))  # 150 KB: over the message limit
    assert reply is None and code == 1009


def test_no_route_and_no_default_sends_forbidden_frame(moto_endpoint: str) -> None:
    with running_gateway(moto_endpoint, routes={"$connect": "c", "ping": "p"}, route_responses=["ping"]) as gw:

        async def scenario() -> list[Any]:
            async with websockets.connect(gw.connect_url()) as ws:
                await ws.send(json.dumps({"action": "unknown"}))
                forbidden = json.loads(await ws.recv())
                await ws.send("not json")
                also_forbidden = json.loads(await ws.recv())
                await ws.send(json.dumps({"action": "ping", "x": 1}))
                return [forbidden, also_forbidden, await ws.recv()]

        forbidden, also_forbidden, pong = run(scenario())
    assert forbidden["message"] == "Forbidden" and forbidden["connectionId"] and forbidden["requestId"]
    assert also_forbidden["message"] == "Forbidden"
    assert json.loads(pong) == {"action": "ping", "x": 1}


def test_idle_timeout_and_max_duration_close_with_1001(moto_endpoint: str) -> None:
    with running_gateway(moto_endpoint, idle_timeout_seconds=0.4, max_connection_seconds=30) as gw:

        async def idle() -> int | None:
            async with websockets.connect(gw.connect_url("idler")) as ws:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 10)
                return ws.close_code

        assert run(idle()) == 1001
        event = gw.handler.wait_for("$disconnect")[0]["requestContext"]
        assert event["disconnectStatusCode"] == 1001 and "idle" in event["disconnectReason"]

    with running_gateway(moto_endpoint, idle_timeout_seconds=30, max_connection_seconds=0.6) as gw:

        async def busy() -> tuple[int, int | None]:
            sent = 0
            async with websockets.connect(gw.connect_url("chatty")) as ws:
                with pytest.raises(ConnectionClosed):
                    for _ in range(200):  # keeps the connection active until the cap hits
                        await ws.send("hi")
                        await ws.recv()
                        sent += 1
                        await asyncio.sleep(0.05)
                return sent, ws.close_code

        sent, code = run(busy())
        assert code == 1001 and sent < 200
        reason = gw.handler.wait_for("$disconnect")[0]["requestContext"]["disconnectReason"]
        assert "maximum" in reason


@pytest.mark.slow
def test_two_hundred_connections_at_once(gw: GatewayUnderTest) -> None:
    count = 200

    async def one(index: int) -> str:
        async with websockets.connect(gw.connect_url(f"crowd-{index}")) as ws:
            await ws.send(json.dumps({"action": "echo", "i": index}))
            return json.loads(await ws.recv())["i"]

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(one(index) for index in range(count)))

    assert sorted(run(scenario())) == list(range(count))
    gw.handler.wait_for("$disconnect", count=count, timeout=20)
    assert not [c for c in gw.gateway.connections_json() if c["userId"].startswith("crowd-")]
