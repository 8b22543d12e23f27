"""The warm worker: the zygote process (``causal_ecs_runner.zygote``) and the thread reading its replies."""

from __future__ import annotations

import itertools
import json
import logging
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from causal_common.errors import CausalStackError
from causal_ecs_runner.backends.base import ContainerSpec

logger = logging.getLogger(__name__)


class WarmWorkerGone(CausalStackError):
    """The warm worker died before it got the task: nothing started, start it another way."""

    code = "WarmWorkerGone"


@dataclass
class ProcessContainer:
    id: str
    pid: int
    log_path: Path
    popen: subprocess.Popen | None = None
    exit: int | None = None
    # Why it exited, when the runner knows better than the exit code (e.g. its warm worker died).
    exit_reason: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class WarmWorker:
    """The zygote process and the thread that reads its replies."""

    def __init__(self, modules: str, log_dir: Path) -> None:
        with open(log_dir / "warm-worker.log", "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "causal_ecs_runner.zygote", modules],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
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

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def exit_description(self) -> str:
        code = self._process.poll()
        if code is None:
            return "running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit status {code}"

    def running_containers(self) -> list[ProcessContainer]:
        with self._lock:
            return [container for container in self._containers.values() if container.exit is None]

    def report_exit(self, container: ProcessContainer, code: int, reason: str) -> None:
        with self._lock:
            self._containers.pop(container.pid, None)
        container.exit_reason = reason
        container.exit = code
        container.done.set()

    def start(
        self, spec: ContainerSpec, module: str, args: list[str], env: dict[str, str], log_path: Path
    ) -> ProcessContainer:
        request_id = next(self._ids)
        started: tuple[threading.Event, list[int]] = (threading.Event(), [])
        self._started[request_id] = started
        request = {"id": request_id, "module": module, "args": args, "env": env, "log": str(log_path)}
        with self._lock:
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
            except OSError as exc:
                self._started.pop(request_id, None)
                raise WarmWorkerGone(f"the warm worker is gone ({exc})") from exc
        if not started[0].wait(10):
            raise CausalStackError("the warm worker did not start the task within 10 s")
        container = ProcessContainer(
            id=f"{spec.task_arn.rsplit('/', 1)[-1]}-{spec.container_name}", pid=started[1][0], log_path=log_path
        )
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
