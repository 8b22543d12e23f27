"""Start and stop a whole embedded stack the way `make run` does (`causal-stack up`)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import ROOT, free_port, port_is_free

from causal_stack.launcher import RESOURCES_PORT

CLI = ROOT / ".venv" / "bin" / "causal-stack"
READY_LIMIT_SECONDS = 240


@dataclass
class RunningStack:
    process: subprocess.Popen
    aws_port: int
    gateway_port: int
    ecs_port: int
    resources_port: int
    output: list[str] = field(default_factory=list)
    # Where this stack keeps its state (a directory of its own: never the checkout's .stack/state).
    state_dir: Path | None = None

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def websocket_url(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/dev"

    @property
    def ecs_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ecs_port}"

    @property
    def login_url(self) -> str:
        """The one-time dashboard login link from the ready line."""
        ready = next(line for line in self.output if "ready" in line and "causal-stack" in line)
        return next(word for word in ready.split() if "/login?code=" in word)

    def operator_key(self) -> str:
        return (ROOT / ".stack" / f"operator-key-{self.gateway_port}").read_text().strip()

    def operator_client(self) -> Any:
        """An httpx client logged in to the dashboard with the operator key (as the login page does)."""
        import httpx

        client = httpx.Client(base_url=self.gateway_url, timeout=30)
        response = client.post("/login", data={"key": self.operator_key(), "next": "/dashboard"})
        assert response.status_code in (200, 303), response.text
        return client

    def sign_in_page(self, page: Any) -> None:
        """Log a browser page in to the dashboard with the operator key on the login page."""
        page.goto(f"{self.gateway_url}/login")
        page.get_by_test_id("operator-key").fill(self.operator_key())
        page.get_by_test_id("login-button").click()
        page.wait_for_url(f"{self.gateway_url}/dashboard")

    def env(self) -> dict[str, str]:
        """Environment for CLI commands aimed at this stack."""
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_ENDPOINT_URL_ECS": self.ecs_endpoint,
                "WEBSOCKET_CALLBACK_URL": f"{self.gateway_url}/dev",
                "ARTIFACTS_BASE_URL": f"{self.gateway_url}/artifacts",
                "CAUSAL_GATEWAY_URL": self.gateway_url,
            }
        )
        return env


def start_stack(
    resources_port: int | None = None,
    state_dir: Path | None = None,
    extra_args: Sequence[str] = (),
    extra_env: dict[str, str] | None = None,
) -> RunningStack:
    """A stack on free ports; by default it serves the old dashboard address :4567 when that port is free.

    ``state_dir``: where it keeps its state (default: a new temporary directory, so a test stack neither
    restores nor overwrites the developer's own state); give the same one again to restart a stack.
    ``extra_env``: variables for ``causal-stack up`` on top of this process's."""
    if resources_port is None:
        resources_port = RESOURCES_PORT if port_is_free(RESOURCES_PORT) else free_port()
    state_dir = state_dir or Path(tempfile.mkdtemp(prefix="causal-stack-state-"))
    ports = free_port(), free_port(), free_port(), resources_port
    process = subprocess.Popen(
        [
            str(CLI),
            "up",
            "--aws-port",
            str(ports[0]),
            "--gateway-port",
            str(ports[1]),
            "--ecs-port",
            str(ports[2]),
            "--resources-port",
            str(ports[3]),
            "--state-dir",
            str(state_dir),
            *extra_args,
        ],
        cwd=ROOT,
        env={**os.environ, **extra_env} if extra_env else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    stack = RunningStack(process, *ports, state_dir=state_dir)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            stack.output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + READY_LIMIT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        if "ready" in line and "causal-stack" in line:
            return stack
    stop_stack(stack)
    raise AssertionError("causal-stack up did not become ready:\n" + "".join(stack.output[-40:]))


def stop_stack(stack: RunningStack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait()


@contextmanager
def running_stack() -> Iterator[RunningStack]:
    """A stack for as long as the block runs."""
    stack = start_stack()
    try:
        yield stack
    finally:
        stop_stack(stack)
