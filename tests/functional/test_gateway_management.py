"""The management API through boto3's `apigatewaymanagementapi` client, as Lambda code calls it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
import websockets
from botocore.exceptions import ClientError
from gateway_testing import GatewayUnderTest, running_gateway

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def gw(moto_endpoint: str) -> Iterator[GatewayUnderTest]:
    with running_gateway(moto_endpoint) as running:
        yield running


class OpenSocket:
    """A client connection held open in a background event loop, collecting what it receives."""

    def __init__(self, url: str) -> None:
        self.received: list[str | bytes] = []
        self.close_code: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._ws = self._call(self._open(url))
        self._reader = asyncio.run_coroutine_threadsafe(self._read(), self._loop)

    @staticmethod
    async def _open(url: str) -> Any:
        return await websockets.connect(url)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                self.received.append(message)
        except websockets.ConnectionClosed:
            pass
        self.close_code = self._ws.close_code

    def wait_closed(self, timeout: float = 5) -> int | None:
        self._reader.result(timeout)
        return self.close_code

    def wait_for(self, count: int, timeout: float = 5) -> list[str | bytes]:
        async def poll() -> None:
            while len(self.received) < count:
                await asyncio.sleep(0.01)

        self._call(asyncio.wait_for(poll(), timeout))
        return self.received

    def close(self) -> None:
        if self.close_code is None:
            self._call(self._ws.close())
        self._reader.result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@pytest.fixture
def client_socket(gw: GatewayUnderTest) -> Iterator[tuple[OpenSocket, str]]:
    socket = OpenSocket(gw.connect_url("managed"))
    connection_id = next(c["connectionId"] for c in gw.gateway.connections_json() if c["userId"] == "managed")
    try:
        yield socket, connection_id
    finally:
        socket.close()


def test_post_get_delete_with_the_stage_prefix(gw: GatewayUnderTest, client_socket: tuple[OpenSocket, str]) -> None:
    socket, connection_id = client_socket
    management = gw.management()
    response = management.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"progress"}')
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert socket.wait_for(1) == ['{"type":"progress"}']

    details = management.get_connection(ConnectionId=connection_id)
    assert details["Identity"]["SourceIp"] == "127.0.0.1"
    assert details["ConnectedAt"] <= details["LastActiveAt"]

    assert management.delete_connection(ConnectionId=connection_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert socket.wait_closed() == 1000
    event = gw.handler.wait_for("$disconnect", connection_id)[0]
    assert event["requestContext"]["disconnectStatusCode"] == 1000


def test_path_without_stage_and_binary_payloads(gw: GatewayUnderTest, client_socket: tuple[OpenSocket, str]) -> None:
    socket, connection_id = client_socket
    management = boto3.client("apigatewaymanagementapi", endpoint_url=gw.url, region_name=gw.settings.region)
    management.post_to_connection(ConnectionId=connection_id, Data=b"\xff\x00binary")
    assert socket.wait_for(1) == [b"\xff\x00binary"]


def test_stale_connection_raises_gone_exception_for_every_operation(gw: GatewayUnderTest) -> None:
    socket = OpenSocket(gw.connect_url("stale"))
    connection_id = next(c["connectionId"] for c in gw.gateway.connections_json() if c["userId"] == "stale")
    socket.close()
    gw.handler.wait_for("$disconnect", connection_id)
    management = gw.management()
    for call in (
        lambda: management.post_to_connection(ConnectionId=connection_id, Data=b"late"),
        lambda: management.get_connection(ConnectionId=connection_id),
        lambda: management.delete_connection(ConnectionId=connection_id),
        lambda: management.post_to_connection(ConnectionId="never-existed=", Data=b"x"),
    ):
        with pytest.raises(management.exceptions.GoneException) as gone:
            call()
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    timeline = gw.gateway.timeline_json(connection_id)
    assert [event["type"] for event in timeline][-3:] == ["gone", "gone", "gone"]


def test_payload_over_128_kb_is_413(gw: GatewayUnderTest, client_socket: tuple[OpenSocket, str]) -> None:
    socket, connection_id = client_socket
    management = gw.management()
    management.post_to_connection(ConnectionId=connection_id, Data=b"a" * 131072)  # exactly the limit: fine
    with pytest.raises(ClientError) as too_large:
        management.post_to_connection(ConnectionId=connection_id, Data=b"a" * 131073)
    assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert too_large.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert len(socket.wait_for(1)) == 1


def test_unsigned_or_wrongly_signed_requests_are_403(
    gw: GatewayUnderTest, client_socket: tuple[OpenSocket, str]
) -> None:
    socket, connection_id = client_socket
    url = f"{gw.url}/dev/@connections/{connection_id}"
    assert httpx.post(url, content=b"unsigned").status_code == 403
    assert httpx.get(url).status_code == 403

    wrong_secret = gw.management(aws_access_key_id="test", aws_secret_access_key="not-the-secret")
    unknown_key = gw.management(aws_access_key_id="AKIAUNKNOWN", aws_secret_access_key="test")
    wrong_region = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{gw.url}/dev",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for client in (wrong_secret, unknown_key, wrong_region):
        with pytest.raises(client.exceptions.ForbiddenException):
            client.post_to_connection(ConnectionId=connection_id, Data=b"forged")
    assert socket.received == []


def test_tampered_body_fails_the_signature(gw: GatewayUnderTest, client_socket: tuple[OpenSocket, str]) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    socket, connection_id = client_socket
    url = f"{gw.url}/dev/@connections/{connection_id}"
    request = AWSRequest(method="POST", url=url, data=b"original")
    SigV4Auth(Credentials("test", "test"), "execute-api", gw.settings.region).add_auth(request)
    headers = dict(request.headers.items())
    assert httpx.post(url, content=b"tampered", headers=headers).status_code == 403
    assert httpx.post(url, content=b"original", headers=headers).status_code == 200
    assert socket.wait_for(1) == ["original"]


def test_post_to_a_connection_still_in_connect_is_gone(moto_endpoint: str) -> None:
    started = threading.Event()
    release = threading.Event()

    def slow_connect(event: dict[str, Any]) -> dict[str, Any]:
        started.set()
        release.wait(10)
        return {"statusCode": 200}

    with running_gateway(moto_endpoint) as gw:
        gw.handler.behaviours["$connect"] = slow_connect
        socket_holder: list[OpenSocket] = []
        opener = threading.Thread(target=lambda: socket_holder.append(OpenSocket(gw.connect_url("slow"))))
        opener.start()
        assert started.wait(10)
        connection_id = next(iter(gw.gateway.registry)).connection_id
        with pytest.raises(gw.management().exceptions.GoneException):
            gw.management().post_to_connection(ConnectionId=connection_id, Data=b"too early")
        release.set()
        opener.join(10)
        socket_holder[0].close()


def test_credentials_fall_back_to_the_gateways_own_without_the_secret_only_when_asked(moto_endpoint: str) -> None:
    with running_gateway(
        moto_endpoint, create_secrets=False, auth_mode="none", management_credentials_fallback=True
    ) as gw:
        socket = OpenSocket(gw.ws_url)
        try:
            connection_id = gw.gateway.connections_json()[0]["connectionId"]
            gw.management().post_to_connection(ConnectionId=connection_id, Data=b"via env credentials")
            assert socket.wait_for(1) == ["via env credentials"]
        finally:
            socket.close()
    with running_gateway(moto_endpoint, create_secrets=False, auth_mode="none") as gw:  # the default: refuse
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = f"{gw.url}/@connections/x"
        assert httpx.post(url, content=b"unsigned").status_code == 403
        request = AWSRequest(method="POST", url=url, data=b"signed")
        SigV4Auth(Credentials("test", "test"), "execute-api", gw.settings.region).add_auth(request)
        response = httpx.post(url, content=b"signed", headers=dict(request.headers.items()))
        assert response.status_code == 500  # no credentials to check against: refuse, never accept
