"""`causal-stack up` keeps serving when one of its services is killed, and says what it cost."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
import websockets
from stack_support import CLI, RunningStack, running_stack

pytestmark = pytest.mark.slow
ANSWER_LIMIT_SECONDS = 180
RECOVERY_LIMIT_SECONDS = 120
QUESTION = ("What is the effect of treat on re78?", "lalonde_nsw")


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running


def service_process(stack: RunningStack, module: str) -> psutil.Process:
    for child in psutil.Process(stack.process.pid).children():
        if module in child.cmdline():
            return child
    raise AssertionError(f"no {module} process under causal-stack up")


def kill(stack: RunningStack, module: str) -> int:
    process = service_process(stack, module)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return process.pid


def wait_for_line(stack: RunningStack, text: str, after: int) -> str:
    deadline = time.monotonic() + RECOVERY_LIMIT_SECONDS
    while time.monotonic() < deadline:
        for line in stack.output[after:]:
            if text in line:
                return line
        assert stack.process.poll() is None, "causal-stack up stopped:\n" + "".join(stack.output[-30:])
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed within {RECOVERY_LIMIT_SECONDS} s:\n" + "".join(stack.output[after:]))


def token_for(stack: RunningStack, user: str) -> str:
    response = httpx.post(f"{stack.gateway_url}/auth/token", json={"userId": user}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


async def _frames(socket, until=("answer", "error"), on_frame=None) -> list[dict]:
    frames: list[dict] = []
    deadline = time.monotonic() + ANSWER_LIMIT_SECONDS
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        frame = json.loads(raw)
        frames.append(frame)
        if on_frame is not None:
            on_frame(frame)
        if frame.get("type") in until:
            return frames
    raise AssertionError(f"no {until} frame within {ANSWER_LIMIT_SECONDS} s; got {[f.get('type') for f in frames]}")


async def _ask(stack: RunningStack, user: str, on_frame=None) -> list[dict]:
    async with websockets.connect(f"{stack.websocket_url}?token={token_for(stack, user)}") as socket:
        await socket.send(json.dumps({"action": "query", "text": QUESTION[0], "datasetId": QUESTION[1]}))
        return await _frames(socket, on_frame=on_frame)


def ask(stack: RunningStack, user: str, on_frame=None) -> list[dict]:
    return asyncio.run(_ask(stack, user, on_frame))


def assert_answered(frames: list[dict]) -> None:
    assert frames[-1]["type"] == "answer", frames[-1]
    assert frames[-1]["result"]["treatment"] == "treat"


def test_a_killed_gateway_is_restarted_and_the_next_question_is_answered(stack):
    mark = len(stack.output)
    old = kill(stack, "causal_gateway")
    wait_for_line(stack, "gateway is serving again", mark)
    assert service_process(stack, "causal_gateway").pid != old
    assert_answered(ask(stack, "gateway-user"))


def test_a_killed_warm_worker_fails_the_job_in_flight_with_an_error_frame_and_comes_back(stack):
    runner = service_process(stack, "causal_ecs_runner")
    killed: list[int] = []

    def kill_the_warm_worker_when_the_task_runs(frame: dict) -> None:
        if not killed and frame.get("type") == "progress" and str(frame.get("message", "")).startswith("Started the"):
            zygote = next(child for child in runner.children() if "causal_ecs_runner.zygote" in child.cmdline())
            zygote.send_signal(signal.SIGKILL)
            killed.append(zygote.pid)

    frames = ask(stack, "warm-user", kill_the_warm_worker_when_the_task_runs)
    assert killed, "no task was started"
    assert frames[-1]["type"] == "error" and "was lost" in frames[-1]["message"], frames[-1]
    deadline = time.monotonic() + RECOVERY_LIMIT_SECONDS
    while time.monotonic() < deadline:
        restarted = [c for c in runner.children() if "causal_ecs_runner.zygote" in c.cmdline() and c.pid != killed[0]]
        if restarted:
            break
        time.sleep(0.2)
    assert restarted, "the warm worker was not restarted"
    assert_answered(ask(stack, "warm-user"))


def test_a_killed_ecs_runner_fails_the_job_in_flight_with_an_error_frame_and_comes_back(stack):
    mark = len(stack.output)
    killed: list[int] = []

    def kill_when_the_task_runs(frame: dict) -> None:
        if not killed and frame.get("type") == "progress" and str(frame.get("message", "")).startswith("Started the"):
            killed.append(kill(stack, "causal_ecs_runner"))

    frames = ask(stack, "ecs-user", kill_when_the_task_runs)
    assert killed, "no task was started"
    error = frames[-1]
    assert error["type"] == "error", error
    assert "ECS runner" in error["message"] and "was lost" in error["message"] and error["errorId"]
    line = wait_for_line(stack, "ecs-runner is serving again", mark)
    assert "job(s) in flight failed" in line and "registrations kept" in line, line
    assert_answered(ask(stack, "ecs-user"))


def test_a_killed_emulator_is_restarted_deployed_again_and_answers(stack):
    mark = len(stack.output)
    kill(stack, "causal_embedded")
    line = wait_for_line(stack, "aws is serving again", mark)
    assert "lost" in line, "the log says what the restart cost"
    assert_answered(ask(stack, "emulator-user"))


def test_doctor_reports_the_restarts_with_their_reasons(stack):
    result = subprocess.run(
        [str(CLI), "doctor", "--json"], env=stack.env(), capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    checks = {check["name"]: check for check in report["checks"]}
    for service in ("aws", "ecs-runner", "gateway"):
        check = checks[f"service {service}"]
        assert check["ok"] and check["warning"], check
        assert "restarted 1 time(s)" in check["detail"] and "SIGKILL" in check["detail"], check
    assert "lost" in checks["service aws"]["detail"]
