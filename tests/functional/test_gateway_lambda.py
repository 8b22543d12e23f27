"""The real integration path: the gateway invokes a Lambda in the embedded emulator, and the
Lambda answers through the management API with boto3, signed with its own credentials."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Iterator

import boto3
import pytest
import websockets
from gateway_testing import free_port, running_gateway
from support import running_emulator

from causal_gateway.integration import LambdaIntegration
from causal_gateway.settings import GatewaySettings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

HANDLER = """
import json, os
import boto3

def handler(event, context):
    context_ = event["requestContext"]
    route = context_["routeKey"]
    if route == "$connect":
        return {"statusCode": 200 if event.get("queryStringParameters", {}).get("deny") is None else 403}
    if route == "$disconnect":
        return {"statusCode": 200}
    if event.get("body") == "crash":
        raise ValueError("boom")
    management = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["WEBSOCKET_CALLBACK_URL"])
    reply = {"echo": event["body"], "user": context_["authorizer"]["userId"], "route": route}
    management.post_to_connection(ConnectionId=context_["connectionId"], Data=json.dumps(reply).encode())
    try:
        management.post_to_connection(ConnectionId="stale-id=", Data=b"x")
    except management.exceptions.GoneException:
        reply["stale"] = "GoneException"
        management.post_to_connection(ConnectionId=context_["connectionId"], Data=json.dumps(reply).encode())
    return {"statusCode": 200}
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running_emulator() as url:
        yield url


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
    return buffer.getvalue()


def test_lambda_integration_end_to_end(emulator: str) -> None:
    port = free_port()
    prefix = "gwlambda-"
    iam = boto3.client("iam", endpoint_url=emulator, region_name="eu-central-1")
    iam.create_role(RoleName="gateway-lambda", AssumeRolePolicyDocument="{}")
    lambda_client = boto3.client("lambda", endpoint_url=emulator, region_name="eu-central-1")
    lambda_client.create_function(
        FunctionName=f"{prefix}websocket-handler",
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/gateway-lambda",
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Timeout=10,
        Environment={"Variables": {"WEBSOCKET_CALLBACK_URL": f"http://127.0.0.1:{port}/dev"}},
    )
    settings = GatewaySettings(endpoint_url=emulator, resource_prefix=prefix)
    with running_gateway(emulator, integration=LambdaIntegration(settings), port=port, resource_prefix=prefix) as gw:

        async def scenario() -> list[dict]:
            async with websockets.connect(gw.connect_url("lambda-user")) as ws:
                await ws.send(json.dumps({"action": "query", "text": "hi"}))
                first = json.loads(await asyncio.wait_for(ws.recv(), 60))
                second = json.loads(await asyncio.wait_for(ws.recv(), 30))
                await ws.send("crash")
                third = json.loads(await asyncio.wait_for(ws.recv(), 30))
                return [first, second, third]

        first, second, crashed = asyncio.run(scenario())
        assert first == {"echo": '{"action": "query", "text": "hi"}', "user": "lambda-user", "route": "$default"}
        assert second["stale"] == "GoneException"
        assert crashed["message"] == "Internal server error"

        async def denied() -> None:
            async with websockets.connect(f"{gw.connect_url()}&deny=1"):
                pytest.fail("the socket opened")

        with pytest.raises(websockets.InvalidStatus) as refused:
            asyncio.run(denied())
        assert refused.value.response.status_code == 403
        metrics = gw.gateway.metrics_json()["routes"]
        assert metrics["$default"]["ExecutionError"] == 1 and metrics["$connect"]["IntegrationError"] == 1
