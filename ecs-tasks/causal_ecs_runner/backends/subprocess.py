"""Run a task's container as a local process.

``python -m <module> …`` commands go to a warm worker (``causal_ecs_runner.zygote``)
that has already imported pandas and DoWhy and forks a child per task, saving
the ~3 s import on every task. Anything else, or a dead worker, falls back to
a plain subprocess.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from causal_common.errors import CausalStackError
from causal_ecs_runner.backends.base import ContainerSpec

logger = logging.getLogger(__name__)

_PYTHONS = {"python", "python3", sys.executable}


@dataclass
class ProcessContainer:
    id: str
    pid: int
    log_path: Path
    popen: subprocess.Popen | None = None
    exit: int | None = None
    done: threading.Event = field(default_factory=threading.Event)


class WarmWorker:
    """The zygote process and the thread that reads its replies."""

    def __init__(self, modules: str, log_dir: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "causal_ecs_runner.zygote", modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(log_dir / "warm-worker.log", "ab"),
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._started: dict[int, tuple[threading.Event, list[int]]] = {}
        self._containers: dict[int, ProcessContainer] = {}
        # A fast task can end before start() has registered it.
        self._early_exits: dict[int, int] = {}
        self.ready = threading.Event()
        self.import_seconds: float | None = None
        threading.Thread(target=self._read, name="warm-worker", daemon=True).start()

    def alive(self) -> bool:
        return self._process.poll() is None

    def start(self, spec: ContainerSpec, module: str, args: list[str], env: dict[str, str], log_path: Path) -> ProcessContainer:
        request_id = next(self._ids)
        started: tuple[threading.Event, list[int]] = (threading.Event(), [])
        self._started[request_id] = started
        request = {"id": request_id, "module": module, "args": args, "env": env, "log": str(log_path)}
        with self._lock:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        if not started[0].wait(10):
            raise CausalStackError("the warm worker did not start the task within 10 s")
        container = ProcessContainer(id=f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}", pid=started[1][0], log_path=log_path)
        with self._lock:
            self._containers[container.pid] = container
            early = self._early_exits.pop(container.pid, None)
        if early is not None:
            container.exit = early
            container.done.set()
        return container

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            if message.get("ready"):
                self.import_seconds = message.get("import_seconds")
                self.ready.set()
            elif "id" in message:
                event, holder = self._started.pop(message["id"])
                holder.append(message["pid"])
                event.set()
            elif "exit" in message:
                with self._lock:
                    container = self._containers.pop(message["pid"], None)
                    if container is None:
                        self._early_exits[message["pid"]] = message["exit"]
                        continue
                container.exit = message["exit"]
                container.done.set()
        logger.warning("the warm worker exited with %s", self._process.wait())

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()


class SubprocessBackend:
    name = "subprocess"

    def __init__(self, log_dir: Path, warm_modules: str | None = None) -> None:
        self._log_dir = Path(log_dir)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._worker = WarmWorker(warm_modules, self._log_dir) if warm_modules else None

    @property
    def warm_import_seconds(self) -> float | None:
        return self._worker.import_seconds if self._worker else None

    def wait_warm(self, timeout: float = 60.0) -> bool:
        return bool(self._worker and self._worker.ready.wait(timeout))

    def start(self, spec: ContainerSpec) -> ProcessContainer:
        if not spec.command:
            raise CausalStackError(f"task {spec.family} has no command to run")
        env = {**os.environ, **spec.environment}
        log_path = self._log_dir / f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}.log"
        command = list(spec.command)
        warm = self._worker is not None and self._worker.alive() and self._worker.ready.is_set()
        if warm and len(command) >= 3 and command[0] in _PYTHONS and command[1] == "-m":
            return self._worker.start(spec, command[2], command[3:], env, log_path)
        if command[0] in ("python", "python3"):
            command[0] = sys.executable
        try:
            with open(log_path, "ab") as log:
                popen = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise CausalStackError(f"cannot start {command[0]!r}: {exc.strerror}") from exc
        return ProcessContainer(id=f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}", pid=popen.pid,
                                log_path=log_path, popen=popen)

    def exit_code(self, container: ProcessContainer) -> int | None:
        if container.popen is not None:
            code = container.popen.poll()
            if code is None:
                return None
            return 128 - code if code < 0 else code
        return container.exit

    def stop(self, container: ProcessContainer, timeout_seconds: float = 10.0) -> None:
        if self.exit_code(container) is not None:
            return
        self._signal(container, signal.SIGTERM)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.exit_code(container) is not None:
                return
            time.sleep(0.05)
        self._signal(container, signal.SIGKILL)

    def _signal(self, container: ProcessContainer, signum: int) -> None:
        try:
            os.killpg(container.pid, signum)
        except ProcessLookupError:
            logger.info("process group %s already gone", container.pid)

    def logs(self, container: ProcessContainer, tail: int = 200) -> str:
        try:
            lines = container.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-tail:])

    def healthy(self) -> tuple[bool, str]:
        if self._worker is not None and not self._worker.alive():
            return True, "warm worker down; tasks start as plain subprocesses"
        return True, "ok"

    def close(self) -> None:
        if self._worker:
            self._worker.close()
