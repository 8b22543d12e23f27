"""One worker process running a function's handler, and the pipe protocol the runner speaks with it.

Messages are JSON, each preceded by its length (4 bytes, big-endian), on a pair
of pipes the worker inherits (``CAUSAL_WORKER_FDS``); ``worker.py`` is the
other end.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from causal_embedded.lambda_function import FunctionSnapshot

WORKER_SCRIPT = Path(__file__).with_name("worker.py")


class WorkerGone(Exception):
    """The worker closed its pipe: it crashed or was killed."""


class Worker:
    def __init__(
        self, snapshot: FunctionSnapshot, code_dir: Path, runtime_dir: Path, environment: dict[str, str]
    ) -> None:
        self.snapshot = snapshot
        self.idle_since = time.monotonic()
        self.stream_name = time.strftime("%Y/%m/%d/", time.gmtime()) + f"[{snapshot.version}]{uuid.uuid4().hex}"
        request_read, self._request_write = os.pipe()
        self._response_read, response_write = os.pipe()
        env = {
            **environment,
            "CAUSAL_WORKER_FDS": f"{request_read},{response_write}",
            "CAUSAL_RUNTIME_DIR": str(runtime_dir),
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream_name,
        }
        self._stderr_path = code_dir.parent / f"{snapshot.name}-{self.stream_name.rsplit(']', 1)[1]}.stderr"
        with open(self._stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(WORKER_SCRIPT)],
                env=env,
                cwd=str(code_dir),
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                pass_fds=(request_read, response_write),
                start_new_session=True,
            )
        os.close(request_read)
        os.close(response_write)

    def receive(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or ``None`` if the deadline passes first."""
        header = self._read_exactly(4, deadline)
        if header is None:
            return None
        (length,) = struct.unpack(">I", header)
        body = self._read_exactly(length, time.monotonic() + 30)
        if body is None:
            raise WorkerGone("truncated message")
        message: dict[str, Any] = json.loads(body)
        return message

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        try:
            os.write(self._request_write, struct.pack(">I", len(data)) + data)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerGone(str(exc)) from exc

    def _read_exactly(self, size: int, deadline: float) -> bytes | None:
        chunks = bytearray()
        while len(chunks) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([self._response_read], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(self._response_read, size - len(chunks))
            if not chunk:
                raise WorkerGone("pipe closed")
            chunks.extend(chunk)
        return bytes(chunks)

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_description(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "unknown"
        if code < 0:
            return f"signal: {signal.Signals(-code).name.lower().removeprefix('sig')}"
        return f"exit status {code}"

    def stderr_tail(self, lines: int = 20) -> list[str]:
        try:
            return self._stderr_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for fd in (self._request_write, self._response_read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr_path.unlink(missing_ok=True)


def worker_environment(
    snapshot: FunctionSnapshot, *, endpoint_url: str, credentials: tuple[str, str], home: Path
) -> dict[str, str]:
    """What a worker of the function sees in ``os.environ``: the Lambda runtime's variables, then the function's."""
    access_key, secret_key = credentials
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_REGION": snapshot.region,
        "AWS_DEFAULT_REGION": snapshot.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{snapshot.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": snapshot.name,
        "AWS_LAMBDA_FUNCTION_VERSION": snapshot.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(snapshot.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(snapshot.timeout)),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{snapshot.name}",
        "_HANDLER": snapshot.handler,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # The function's own variables win, as on AWS (except reserved names).
    env.update(dict(snapshot.environment))
    return env
