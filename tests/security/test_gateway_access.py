"""The gateway answers its own pages and local programs only; tokens are a development feature.

Ways in that worked before: DNS rebinding (any Host), a web page opening the
WebSocket API with a user's token or minting tokens with POST /auth/token,
POST /auth/token always on, tokens living as long as their minter wanted, and
a deeply nested JSON frame that got no reply at all.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import support
import websockets
from functional.test_agent_support import LALONDE, create_resources, make_clients, ws_event
from gateway_testing import running_gateway
from moto import mock_aws

from causal_common.tokens import issue_token
from causal_gateway.settings import GatewaySettings

NESTED = '{"action": "query", "text": ' + "[" * 15000 + "]" * 15000 + "}"


@pytest.fixture(scope="module")
def gateway(moto_endpoint):
    with running_gateway(moto_endpoint) as running:
        yield running


def test_a_rebinding_host_is_refused_on_http_and_websocket(gateway) -> None:
    response = httpx.get(f"{gateway.url}/api/metrics", headers={"Host": "attacker.example:8080"})
    assert response.status_code == 403 and "GATEWAY_ALLOWED_HOSTS" in response.json()["reason"]

    async def handshake() -> None:
        async with websockets.connect(gateway.connect_url(), additional_headers={"Host": "attacker.example"}):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake())
    assert refused.value.response.status_code == 403


def test_a_web_page_cannot_open_the_websocket_or_mint_tokens(gateway) -> None:
    async def handshake(origin: str) -> None:
        async with websockets.connect(gateway.connect_url("alice"), origin=origin):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake("http://evil.example"))
    assert refused.value.response.status_code == 403
    asyncio.run(handshake(gateway.url))  # the gateway's own chat page may

    minted = httpx.post(
        f"{gateway.url}/auth/token", json={"userId": "alice"}, headers={"Origin": "http://evil.example"}
    )
    assert minted.status_code == 403
    assert (
        httpx.post(f"{gateway.url}/auth/token", json={"userId": "alice"}, headers={"Origin": gateway.url}).status_code
        == 200
    )


def test_configured_hosts_and_origins_are_answered(moto_endpoint) -> None:
    with running_gateway(
        moto_endpoint, allowed_hosts=["laptop.lan"], allowed_origins=["http://laptop.lan:3000"]
    ) as running:
        assert httpx.get(f"{running.url}/api/metrics", headers={"Host": "laptop.lan:8080"}).status_code != 403
        assert httpx.get(f"{running.url}/health", headers={"Origin": "http://laptop.lan:3000"}).status_code != 403
        assert httpx.get(f"{running.url}/health", headers={"Origin": "http://other.lan:3000"}).status_code == 403


def test_dev_tokens_are_off_unless_switched_on_and_never_on_against_aws(moto_endpoint) -> None:
    with running_gateway(moto_endpoint, dev_tokens=False) as running:
        response = httpx.post(f"{running.url}/auth/token", json={"userId": "alice"})
        assert response.status_code == 403 and "causal-stack token" in response.json()["message"]
        assert httpx.get(f"{running.url}/health").json()["devTokens"] is False
    with pytest.raises(ValueError, match="cannot be enabled against real AWS"):
        GatewaySettings(dev_tokens=True, endpoint_url=None)
    with pytest.raises(ValueError, match="cannot be enabled against real AWS"):
        GatewaySettings(dev_tokens=True, endpoint_url="http://127.0.0.1:4566", target="aws")


def test_a_token_minted_to_live_too_long_is_refused(gateway) -> None:
    token = issue_token(gateway.signing_key, "alice", ttl_seconds=30 * 86400)

    async def handshake() -> None:
        async with websockets.connect(f"{gateway.ws_url}?token={token}"):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake())
    assert refused.value.response.status_code == 403


def test_a_deeply_nested_frame_reaches_the_default_route_instead_of_vanishing(gateway) -> None:
    async def send_nested() -> str:
        async with websockets.connect(gateway.connect_url("alice"), max_size=2**20) as socket:
            await socket.send(NESTED)
            return await asyncio.wait_for(socket.recv(), timeout=10)

    reply = asyncio.run(send_nested())
    assert "Internal server error" not in reply
    assert gateway.handler.of_route("$default"), "the frame reached the integration"


def test_the_handler_answers_a_deeply_nested_frame_with_a_clear_error(monkeypatch) -> None:
    with mock_aws():
        clients = make_clients(monkeypatch)
        create_resources(clients, [LALONDE])
        handler = support.load_lambda_module("websocket-handler").handler
        assert handler(ws_event("$connect", "c1", "alice"), None)["statusCode"] == 200
        response = handler(ws_event("$default", "c1", "alice", body=NESTED), None)
    assert response["statusCode"] == 400
    frame = json.loads(response["body"])
    assert frame["type"] == "error" and "levels deep" in frame["message"]
