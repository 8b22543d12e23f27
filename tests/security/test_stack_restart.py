"""A wiped or restarted emulator is noticed: by the gateway (503, ``error`` frames) and by `causal-stack up`.

Before, ``POST /moto-api/reset`` left the gateway's ``/health`` at "ok" and the
supervisor idle; questions were answered "unknown dataset" during a restart and a
client mid-analysis got only a close frame.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import boto3
import httpx
import psutil
import pytest
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from gateway_testing import RecordingHandler, create_gateway_secrets, running_gateway
from moto.server import ThreadedMotoServer
from stack_support import RunningStack, running_stack
from support import free_port

from causal_common.names import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY

NOTICE_LIMIT_SECONDS = 15
# The tag the deployer puts on the signing key as its last step (causal_common.names.DEPLOYED_TAG).
DEPLOYED_TAG = "causal-stack:deployed"
RESTARTING = "restarting"


@pytest.fixture
def private_moto() -> Iterator[str]:
    """A moto server of this test's own: resetting it wipes nobody else's resources."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def reset_emulator(endpoint: str) -> None:
    """``POST /moto-api/reset``, signed with the local stack's credentials (harmless where unsigned is accepted)."""
    request = AWSRequest(method="POST", url=f"{endpoint}/moto-api/reset", data=b"")
    SigV4Auth(Credentials(LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY), "s3", "eu-central-1").add_auth(request)
    response = httpx.post(request.url, headers=dict(request.headers), timeout=30)
    assert response.status_code == 200, response.text


def deploy_gateway_resources(endpoint: str, settings) -> str:
    """What the deployer leaves for the gateway: its two secrets, marked as deployed."""
    secretsmanager = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=settings.region)
    key = create_gateway_secrets(secretsmanager, settings)
    mark_deployed(secretsmanager, settings)
    return key


def mark_deployed(secretsmanager, settings) -> None:
    """The deployer's last step."""
    secretsmanager.tag_resource(
        SecretId=settings.names.token_signing_key_secret, Tags=[{"Key": DEPLOYED_TAG, "Value": "now"}]
    )


def wait_for_health(url: str, status: int) -> dict:
    deadline = time.monotonic() + NOTICE_LIMIT_SECONDS
    while True:
        response = httpx.get(f"{url}/health", timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.text
            return response.json()
        time.sleep(0.2)


def test_the_gateway_notices_a_wiped_emulator_refuses_work_and_tells_the_client_mid_analysis(private_moto) -> None:
    handler = RecordingHandler()
    with running_gateway(private_moto, handler, create_secrets=False, require_deployed=True) as gateway:
        from causal_common.tokens import issue_token

        key = deploy_gateway_resources(private_moto, gateway.settings)
        wait_for_health(gateway.url, 200)

        async def scenario() -> dict:
            seen: dict = {}
            url = f"{gateway.ws_url}?token={issue_token(key, 'alice')}"
            async with websockets.connect(url) as socket:
                # The stack pushes the analysis' progress, as the Lambdas do through the management API.
                await socket.send(json.dumps({"action": "query", "text": "effect?", "datasetId": "d"}))
                await asyncio.wait_for(socket.recv(), timeout=10)  # the echo of the integration
                progress = {"type": "progress", "sessionId": "s-1", "seq": 2, "stage": "eda", "message": "working"}
                await asyncio.to_thread(
                    gateway.management().post_to_connection,
                    ConnectionId=handler.of_route("$default")[0]["requestContext"]["connectionId"],
                    Data=json.dumps(progress).encode(),
                )
                assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10))["seq"] == 2

                await asyncio.to_thread(reset_emulator, private_moto)
                seen["lost"] = json.loads(await asyncio.wait_for(socket.recv(), timeout=NOTICE_LIMIT_SECONDS))
                seen["health"] = await asyncio.to_thread(wait_for_health, gateway.url, 503)

                before = len(handler.of_route("$default"))
                await socket.send(json.dumps({"action": "query", "text": "again?", "datasetId": "d"}))
                seen["refused"] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                seen["integration_calls"] = len(handler.of_route("$default")) - before

                with pytest.raises(websockets.InvalidStatus) as refused:
                    async with websockets.connect(url):
                        pass
                seen["connect"] = refused.value.response

                new_key = await asyncio.to_thread(deploy_gateway_resources, private_moto, gateway.settings)
                await asyncio.to_thread(wait_for_health, gateway.url, 200)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(socket.recv(), timeout=NOTICE_LIMIT_SECONDS)
                seen["closed"] = closed.value.rcvd
            async with websockets.connect(f"{gateway.ws_url}?token={issue_token(new_key, 'alice')}") as socket:
                await socket.send(json.dumps({"action": "query", "text": "now?", "datasetId": "d"}))
                seen["after"] = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            return seen

        seen = asyncio.run(scenario())

    lost = seen["lost"]
    assert lost["type"] == "error" and lost["sessionId"] == "s-1" and lost["seq"] == 3, lost
    assert RESTARTING in lost["message"] and lost["errorId"]
    assert seen["health"]["status"] == RESTARTING
    refused = seen["refused"]
    assert refused["type"] == "error" and "your question was not run" in refused["message"], refused
    assert seen["integration_calls"] == 0
    assert seen["connect"].status_code == 503
    assert json.loads(seen["connect"].body)["message"] == "Service Unavailable"
    assert seen["closed"] is not None and seen["closed"].code == 1012
    assert seen["after"]["text"] == "now?"


def test_the_gateway_is_not_ready_until_the_deploy_finished(private_moto) -> None:
    """Secrets alone (the deploy's first steps) are not a deployed stack: no "unknown dataset" answers then."""
    with running_gateway(private_moto, create_secrets=False, require_deployed=True) as gateway:
        secretsmanager = boto3.client("secretsmanager", endpoint_url=private_moto, region_name=gateway.settings.region)
        create_gateway_secrets(secretsmanager, gateway.settings)
        time.sleep(2)
        report = httpx.get(f"{gateway.url}/health", timeout=10)
        assert report.status_code == 503 and report.json()["status"] == RESTARTING, report.text
        mark_deployed(secretsmanager, gateway.settings)
        wait_for_health(gateway.url, 200)


# -- a whole stack ------------------------------------------------------------------------------------------------


def _token(stack: RunningStack, user: str) -> str:
    deadline = time.monotonic() + 180
    while True:
        response = httpx.post(f"{stack.gateway_url}/auth/token", json={"userId": user}, timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            response.raise_for_status()
            return response.json()["token"]
        time.sleep(0.5)


async def _ask(stack: RunningStack, user: str, on_frame=None, limit: float = 180) -> list[dict]:
    frames: list[dict] = []
    async with websockets.connect(f"{stack.websocket_url}?token={_token(stack, user)}") as socket:
        await socket.send(
            json.dumps({"action": "query", "text": "What is the effect of treat on re78?", "datasetId": "lalonde_nsw"})
        )
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            frame = json.loads(raw)
            frames.append(frame)
            if on_frame is not None:
                await asyncio.to_thread(on_frame, frame)
            if frame.get("type") in ("answer", "error"):
                return frames
    raise AssertionError(f"no answer or error frame; got {[frame.get('type') for frame in frames]}")


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running


def _wait_for_line(stack: RunningStack, text: str, after: int) -> str:
    deadline = time.monotonic() + 180
    while True:
        found = [line for line in stack.output[after:] if text in line]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"{text!r} not printed:\n" + "".join(stack.output[after:])
        assert stack.process.poll() is None, "".join(stack.output[-30:])
        time.sleep(0.5)


def _emulator(stack: RunningStack) -> psutil.Process:
    return next(child for child in psutil.Process(stack.process.pid).children() if "causal_embedded" in child.cmdline())


@pytest.mark.slow
def test_a_reset_emulator_is_redeployed_and_the_client_mid_analysis_gets_an_error_frame(stack) -> None:
    mark = len(stack.output)
    reset: list[float] = []

    def reset_on_first_progress(frame: dict) -> None:
        if not reset and frame.get("type") == "progress":
            reset_emulator(stack.aws_endpoint)
            reset.append(time.monotonic())

    frames = asyncio.run(_ask(stack, "mid-analysis", reset_on_first_progress, limit=60))
    assert reset, "the analysis sent no progress frame"
    last = frames[-1]
    assert last["type"] == "error" and RESTARTING in last["message"], last
    print(f"error frame {time.monotonic() - reset[0]:.1f} s after the reset")

    print(_wait_for_line(stack, "deployed again", mark).strip())
    answered = asyncio.run(_ask(stack, "after-reset"))
    assert answered[-1]["type"] == "answer", answered[-1]


@pytest.mark.slow
def test_a_killed_emulator_gives_the_client_mid_analysis_an_error_frame_before_any_close(stack) -> None:
    mark = len(stack.output)
    killed: list[float] = []

    def kill_on_first_progress(frame: dict) -> None:
        if not killed and frame.get("type") == "progress":
            emulator = _emulator(stack)
            emulator.kill()
            emulator.wait(timeout=10)
            killed.append(time.monotonic())

    frames = asyncio.run(_ask(stack, "mid-analysis-killed", kill_on_first_progress, limit=60))
    assert killed, "the analysis sent no progress frame"
    last = frames[-1]
    assert last["type"] == "error" and RESTARTING in last["message"], last
    print(f"error frame {time.monotonic() - killed[0]:.1f} s after the kill")

    print(_wait_for_line(stack, "aws is serving again", mark).strip())
    answered = asyncio.run(_ask(stack, "after-kill"))
    assert answered[-1]["type"] == "answer", answered[-1]
