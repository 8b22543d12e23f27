"""Tokens, the dashboard's JSON endpoints, /health and the event bus."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from gateway_testing import GatewayUnderTest, RecordingHandler, running_gateway

from causal_gateway.app import create_app
from causal_gateway.settings import GatewaySettings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def gw(moto_endpoint: str) -> Iterator[GatewayUnderTest]:
    with running_gateway(moto_endpoint, route_responses=["$default"]) as running:
        yield running


def test_token_endpoint_issues_a_token_that_connects(gw: GatewayUnderTest) -> None:
    response = httpx.post(f"{gw.url}/auth/token", json={"userId": "bob@example.com"})
    assert response.status_code == 200
    body = response.json()
    assert body["userId"] == "bob@example.com" and body["expiresAt"] > 0

    async def scenario() -> str:
        async with websockets.connect(body["websocketUrl"]) as ws:
            await ws.send("hello")
            return await ws.recv()

    assert asyncio.run(scenario()) == "hello"


@pytest.mark.parametrize("payload", [{"userId": ""}, {"userId": "has space"}, {"userId": "x" * 65}, {"user": "a"}, [1]])
def test_token_endpoint_rejects_bad_user_ids(gw: GatewayUnderTest, payload: object) -> None:
    response = httpx.post(f"{gw.url}/auth/token", json=payload)
    assert response.status_code == 400
    assert "userId" in response.json()["message"]


def test_token_endpoint_without_the_signing_secret_is_503(moto_endpoint: str) -> None:
    with running_gateway(moto_endpoint, create_secrets=False) as gw:
        response = httpx.post(f"{gw.url}/auth/token", json={"userId": "alice"})
        assert response.status_code == 503
        assert "signing key" in response.json()["message"]
        assert httpx.get(f"{gw.url}/health").json()["aws"]["signingKey"] == "missing"


def test_connections_timeline_and_metrics(gw: GatewayUnderTest) -> None:
    async def scenario() -> str:
        async with websockets.connect(gw.connect_url("watched")) as ws:
            listed = gw.operator_client().get(f"{gw.url}/api/connections").json()
            mine = [c for c in listed if c["userId"] == "watched"]
            assert len(mine) == 1 and {"connectionId", "connectedAt", "lastActiveAt"} <= set(mine[0])
            await ws.send(json.dumps({"action": "anything"}))
            await ws.recv()
            return mine[0]["connectionId"]

    connection_id = asyncio.run(scenario())
    gw.handler.wait_for("$disconnect", connection_id)
    timeline = gw.operator_client().get(f"{gw.url}/api/connections/{connection_id}/timeline").json()["events"]
    assert [event["type"] for event in timeline] == ["connect", "message", "disconnect"]
    assert timeline[1]["route"] == "$default" and timeline[1]["result"] == "OK" and "latencyMs" in timeline[1]
    assert timeline[2]["code"] == 1000
    assert gw.operator_client().get(f"{gw.url}/api/connections/unknown/timeline").status_code == 404

    metrics = gw.operator_client().get(f"{gw.url}/api/metrics").json()
    assert metrics["routes"]["$connect"]["ConnectCount"] >= 1
    assert metrics["routes"]["$default"]["MessageCount"] >= 1
    assert metrics["routes"]["$default"]["IntegrationLatency"]["count"] >= 1
    refused = gw.operator_client().get(f"{gw.url}/api/metrics").json()["routes"]["$connect"]["ClientError"]
    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(_open(gw.ws_url))
    assert gw.operator_client().get(f"{gw.url}/api/metrics").json()["routes"]["$connect"]["ClientError"] == refused + 1


def test_event_bus_streams_gateway_events(gw: GatewayUnderTest) -> None:
    async def scenario() -> list[str]:
        # The bus lives on the server's loop: subscribe there, then read from it.
        loop = gw_loop(gw)
        subscription = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_subscribe(gw), loop))
        async with websockets.connect(gw.connect_url("bus-user")) as ws:
            await ws.send("ping")
            await ws.recv()
        seen: list[str] = []
        while "disconnect" not in seen:
            event = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(subscription.get(), loop))
            if event.to_json().get("userId") == "bus-user" or seen:
                seen.append(event.type)
        loop.call_soon_threadsafe(subscription.close)
        return seen

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == ["connect", "message", "disconnect"]


async def _open(url: str) -> None:
    async with websockets.connect(url):
        pytest.fail("the socket opened")


async def _subscribe(gw: GatewayUnderTest):  # noqa: ANN202 - returns a Subscription
    return gw.gateway.bus.subscribe()


def gw_loop(gw: GatewayUnderTest) -> asyncio.AbstractEventLoop:
    return gw.gateway.loop


def test_health_is_503_when_the_aws_endpoint_is_down() -> None:
    from support import free_port

    from causal_gateway.server import BackgroundServer

    settings = GatewaySettings(port=free_port(), endpoint_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings, integration=RecordingHandler().integration())
    with BackgroundServer(app, settings) as server:
        response = httpx.get(f"{server.url}/health", timeout=20)
    assert response.status_code == 503
    assert response.json()["aws"]["reachable"] is False


def test_settings_reject_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="route selection expression"):
        GatewaySettings(route_selection_expression="$request.header.x")
    with pytest.raises(ValueError, match="AUTHORIZER_FUNCTION"):
        GatewaySettings(auth_mode="lambda")
    default = GatewaySettings(resource_prefix="p-")
    assert default.routes == {
        "$connect": "p-websocket-handler",
        "$disconnect": "p-websocket-handler",
        "$default": "p-websocket-handler",
    }


def test_lambda_request_authorizer_allows_denies_and_passes_its_context(moto_endpoint: str) -> None:
    def authorizer(event: dict) -> dict:
        assert event["type"] == "REQUEST" and event["methodArn"].endswith("/dev/$connect")
        key = event["queryStringParameters"].get("key")
        if key == "raise":
            raise RuntimeError("Unauthorized")
        effect = "Allow" if key == "good" else "Deny"
        return {
            "principalId": "user-7",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
            },
            "context": {"userId": "carol", "tier": 3},
        }

    handler = RecordingHandler()
    handler.behaviours["authz-fn"] = authorizer
    with running_gateway(moto_endpoint, handler, auth_mode="lambda", authorizer_function="authz-fn") as gw:

        async def allowed() -> None:
            async with websockets.connect(f"{gw.ws_url}?key=good") as ws:
                await ws.send("hi")

        asyncio.run(allowed())
        message = handler.wait_for("$default")[0]
        assert message["requestContext"]["authorizer"] == {"userId": "carol", "tier": "3", "principalId": "user-7"}
        for key, status in (("bad", 403), ("raise", 401)):
            with pytest.raises(websockets.InvalidStatus) as refused:
                asyncio.run(_open(f"{gw.ws_url}?key={key}"))
            assert refused.value.response.status_code == status
