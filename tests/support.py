"""Helpers shared by the test tiers (importable as ``support``)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def load_lambda_module(function: str, module: str = "handler") -> ModuleType:
    """Import ``lambdas/<function>/<module>.py`` (function folders are not packages)."""
    path = LAMBDAS / function / f"{module}.py"
    name = f"lambda_{function.replace('-', '_')}_{module}"
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


@contextmanager
def running_emulator(*flags: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``python -m causal_embedded`` on a free port, as `causal-stack up` starts it; yields its URL.

    ``env`` adds environment variables (e.g. ``EMULATOR_ALLOWED_HOSTS``)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "causal_embedded", "--port", str(port), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    for line in process.stdout:
        if "ready" in line or time.monotonic() > deadline:
            break
    # Keep reading its log so a chatty emulator never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def create_execution_role(endpoint: str, name: str) -> str:
    """An IAM role Lambda and Step Functions may assume (the emulator checks the trust policy); its ARN."""
    import json

    import boto3

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            }
        ],
    }
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="eu-central-1")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
