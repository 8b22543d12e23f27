"""Runs deployed Lambda zips locally in warm worker processes.

One pool of workers per function. A worker is started on the first (cold)
invoke and reused while the function's code and configuration stay the same;
an update retires the old workers. The function's ``Timeout`` is enforced by
killing the worker; a crash of the worker during an invoke is reported in
Lambda's error shape (``Runtime.ExitError``) and the next invoke gets a fresh
worker. A worker that dies while idle (killed from outside, out of memory) is
noticed before an invoke is sent to it and replaced, so no call fails for it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.names import LOCAL_CREDENTIALS
from causal_embedded.worker_deaths import WorkerDeaths

logger = logging.getLogger(__name__)

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# What the python3.12 Lambda runtime provides besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
UNZIPPED_LIMIT_BYTES = 262_144_000
INIT_LIMIT_SECONDS = 10.0
# A synchronous invoke's response, as Lambda limits it.
RESPONSE_LIMIT_BYTES = 6_291_556
MAX_WORKERS_PER_FUNCTION = 16
# Like Lambda reclaiming idle execution environments: a worker idle this long is stopped.
IDLE_WORKER_SECONDS = 600.0
# How often idle workers are checked for having died on their own.
LIVENESS_CHECK_SECONDS = 1.0
# A warm worker found dead when the request is written to it is replaced; this bounds the retries.
SEND_ATTEMPTS = 3


@dataclass(frozen=True)
class FunctionSnapshot:
    """What the runner needs of a deployed function, copied from the emulator's model."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    version: str
    region: str
    code_sha256: str
    environment: tuple[tuple[str, str], ...]
    code_bytes: bytes = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        """Changes whenever the code or the configuration changes."""
        config = json.dumps(
            [self.handler, self.runtime, self.timeout, self.memory_size, list(self.environment)]
        ).encode()
        return f"{self.code_sha256}:{hashlib.sha256(config).hexdigest()[:16]}"


@dataclass
class InvokeResult:
    payload: str
    errored: bool
    logs: list[str]
    request_id: str
    duration_ms: float
    cold: bool
    max_memory_mb: int | None = None


LogSink = Callable[[FunctionSnapshot, str, list[str]], None]


class _WorkerGone(Exception):
    """The worker closed its pipe: it crashed or was killed."""


class Worker:
    def __init__(self, snapshot: FunctionSnapshot, code_dir: Path, runtime_dir: Path, environment: dict[str, str]):
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
            raise _WorkerGone("truncated message")
        return json.loads(body)

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        try:
            os.write(self._request_write, struct.pack(">I", len(data)) + data)
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerGone(str(exc)) from exc

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
                raise _WorkerGone("pipe closed")
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


class LambdaRunner:
    """Invokes functions in warm local workers."""

    def __init__(
        self,
        work_dir: Path,
        endpoint_url: str,
        log_sink: LogSink | None = None,
        credentials: tuple[str, str] = LOCAL_CREDENTIALS,
        idle_worker_seconds: float = IDLE_WORKER_SECONDS,
    ) -> None:
        self._work_dir = work_dir
        self._code_root = work_dir / "code"
        self._code_root.mkdir(parents=True, exist_ok=True)
        self._runtime_dir = self._build_runtime_dir(work_dir / "runtime")
        self._endpoint_url = endpoint_url
        self._log_sink = log_sink
        self._credentials = credentials
        self._lock = threading.Lock()
        self._idle: dict[str, list[Worker]] = {}
        self._busy: dict[str, int] = {}
        self._all: set[Worker] = set()
        self._capacity = threading.Condition(self._lock)
        self._prewarming: dict[str, str] = {}  # function ARN -> key of the worker starting for it
        self._idle_worker_seconds = idle_worker_seconds
        self.deaths = WorkerDeaths()
        self._stopped = threading.Event()
        threading.Thread(target=self._reap_idle_workers, name="lambda-reaper", daemon=True).start()
        self._prewarm_queue: queue.Queue[FunctionSnapshot | None] = queue.Queue()
        threading.Thread(target=self._prewarm_loop, name="lambda-prewarm", daemon=True).start()

    # -- public -----------------------------------------------------------------

    def invoke(self, snapshot: FunctionSnapshot, event: Any) -> InvokeResult:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        try:
            code_dir = self._code_dir(snapshot)
        except _CodeError as exc:
            return self._finish(snapshot, None, _error_result(request_id, exc.error_type, str(exc), [], started, True))
        worker, cold = self._acquire(snapshot, code_dir)
        logs: list[str] = []
        during_invoke = False
        try:
            for attempt in range(1, SEND_ATTEMPTS + 1):
                if cold:
                    ready = worker.receive(time.monotonic() + max(INIT_LIMIT_SECONDS, snapshot.timeout))
                    if ready is None:
                        raise _InitTimeout()
                    logs.extend(ready.get("logs", []))
                    if ready["kind"] == "init_error":
                        error = ready["error"]
                        self._discard(worker)
                        return self._finish(
                            snapshot, worker, _error_result(request_id, error["errorType"], error["errorMessage"], logs, started, cold, error)
                        )
                deadline = time.time() + snapshot.timeout
                try:
                    worker.send({"requestId": request_id, "event": event, "deadline": deadline, "functionArn": snapshot.arn})
                    break
                except _WorkerGone:
                    if cold or attempt == SEND_ATTEMPTS:
                        raise
                    # It died while idle, after _acquire looked at it: the request never
                    # reached it, so this invoke goes to a fresh worker instead of failing.
                    self._died_idle(worker)
                    self._discard(worker)
                    worker, cold = self._acquire(snapshot, code_dir)
            during_invoke = True
            response = worker.receive(time.monotonic() + snapshot.timeout)
        except _InitTimeout:
            self._discard(worker)
            return self._finish(
                snapshot, worker, _error_result(request_id, "Runtime.InitTimeout", "Init phase timed out", logs, started, cold)
            )
        except _WorkerGone:
            reason = worker.exit_description()
            logs.extend(worker.stderr_tail())
            if during_invoke:
                self.deaths.died(snapshot.name, reason, during_invoke=True)
                logger.warning("a worker of %s died during invoke %s (%s)", snapshot.name, request_id, reason)
            self._discard(worker)
            message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            return self._finish(snapshot, worker, _error_result(request_id, "Runtime.ExitError", message, logs, started, cold))
        if response is None:
            self._discard(worker)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
            message = f"{stamp} {request_id} Task timed out after {snapshot.timeout:.2f} seconds"
            return self._finish(snapshot, worker, _error_result(request_id, "Sandbox.Timedout", message, logs, started, cold))
        logs.extend(response.get("logs", []))
        self._release(worker)
        if "error" in response:
            error = response["error"]
            result = InvokeResult(
                payload=json.dumps({**error, "requestId": request_id}),
                errored=True,
                logs=logs,
                request_id=request_id,
                duration_ms=response["durationMs"],
                cold=cold,
                max_memory_mb=response.get("maxMemoryMB"),
            )
        elif len(response["payload"].encode()) > RESPONSE_LIMIT_BYTES:
            size = len(response["payload"].encode())
            message = f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({RESPONSE_LIMIT_BYTES} bytes)."
            result = _error_result(request_id, "Function.ResponseSizeTooLarge", message, logs, started, cold)
        else:
            result = InvokeResult(
                payload=response["payload"],
                errored=False,
                logs=logs,
                request_id=request_id,
                duration_ms=response["durationMs"],
                cold=cold,
                max_memory_mb=response.get("maxMemoryMB"),
            )
        return self._finish(snapshot, worker, result)

    def prewarm(self, snapshot: FunctionSnapshot) -> None:
        """Start one worker for the function in the background (like provisioned
        concurrency of 1), so the first invoke after a deploy is warm."""
        self._prewarm_queue.put(snapshot)

    def _prewarm_loop(self) -> None:
        # One at a time: starting ten interpreters at once would starve the deploy.
        while (snapshot := self._prewarm_queue.get()) is not None:
            try:
                code_dir = self._code_dir(snapshot)
            except _CodeError:
                continue  # the first invoke reports it
            worker, cold = self._acquire(snapshot, code_dir, prewarming=True)
            if not cold:
                self._release(worker)
                continue
            try:
                ready = worker.receive(time.monotonic() + max(INIT_LIMIT_SECONDS, snapshot.timeout))
            except _WorkerGone:
                ready = None
            if ready is None or ready.get("kind") != "ready":
                self._discard(worker)  # the first invoke will report the init error
            else:
                self._release(worker)
            with self._capacity:
                self._prewarming.pop(snapshot.arn, None)
                self._capacity.notify_all()

    def warm_workers(self, function_arn: str) -> int:
        with self._lock:
            return len(self._idle.get(function_arn, [])) + self._busy.get(function_arn, 0)

    def status(self) -> dict[str, Any]:
        """Workers per function and the deaths seen since start (for doctor and the dashboard)."""
        functions: dict[str, dict[str, int]] = {}
        with self._lock:
            idle = {id(worker) for workers in self._idle.values() for worker in workers}
            for worker in self._all:
                entry = functions.setdefault(worker.snapshot.name, {"idle": 0, "busy": 0})
                entry["idle" if id(worker) in idle else "busy"] += 1
        return {
            "workers": [{"functionName": name, **counts} for name, counts in sorted(functions.items())],
            "deaths": self.deaths.report(),
        }

    def shutdown(self) -> None:
        self._stopped.set()
        self._prewarm_queue.put(None)
        with self._lock:
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
        for worker in workers:
            worker.kill()

    # -- workers ------------------------------------------------------------------

    def _acquire(self, snapshot: FunctionSnapshot, code_dir: Path, *, prewarming: bool = False) -> tuple[Worker, bool]:
        """An idle worker (warm) or a slot for a new one (cold). An invoke waits for a
        worker being prewarmed for the same code instead of starting a second one."""
        prewarm_deadline = time.monotonic() + INIT_LIMIT_SECONDS
        with self._capacity:
            idle = self._idle.setdefault(snapshot.arn, [])
            stale = [worker for worker in idle if worker.snapshot.key != snapshot.key]
            for worker in stale:
                idle.remove(worker)
                self._all.discard(worker)
            dead: list[Worker] = []
            while True:
                if idle:
                    worker = idle.pop()
                    if not worker.alive():
                        self._all.discard(worker)
                        dead.append(worker)
                        continue
                    self._busy[snapshot.arn] = self._busy.get(snapshot.arn, 0) + 1
                    cold = False
                    break
                if self._prewarming.get(snapshot.arn) == snapshot.key and time.monotonic() < prewarm_deadline:
                    self._capacity.wait(timeout=0.5)
                    continue
                if self._busy.get(snapshot.arn, 0) < MAX_WORKERS_PER_FUNCTION:
                    self._busy[snapshot.arn] = self._busy.get(snapshot.arn, 0) + 1
                    if prewarming:
                        self._prewarming[snapshot.arn] = snapshot.key
                    worker = None
                    cold = True
                    break
                self._capacity.wait(timeout=1.0)
        for old in stale:
            old.kill()
        for gone in dead:
            self._died_idle(gone)
            gone.kill()
        if worker is None:
            try:
                worker = Worker(snapshot, code_dir, self._runtime_dir, self._environment(snapshot))
            except OSError:
                with self._capacity:
                    self._busy[snapshot.arn] -= 1
                    self._capacity.notify()
                raise
            with self._lock:
                self._all.add(worker)
        return worker, cold

    def _reap_idle_workers(self) -> None:
        """Stop workers idle too long; replace idle workers that died on their own."""
        interval = min(LIVENESS_CHECK_SECONDS, max(0.05, self._idle_worker_seconds / 2))
        while not self._stopped.wait(interval):
            cutoff = time.monotonic() - self._idle_worker_seconds
            with self._lock:
                idle = [w for workers in self._idle.values() for w in workers]
                expired = [w for w in idle if w.idle_since < cutoff]
                dead = [w for w in idle if w not in expired and not w.alive()]
                for worker in expired + dead:
                    self._idle[worker.snapshot.arn].remove(worker)
                    self._all.discard(worker)
            for worker in expired:
                worker.kill()
            for worker in dead:
                self._died_idle(worker)
                worker.kill()
                with self._lock:
                    others = len(self._idle.get(worker.snapshot.arn, [])) + self._busy.get(worker.snapshot.arn, 0)
                if not others and not self._stopped.is_set():
                    self.prewarm(worker.snapshot)  # keep the function warm, as it was

    def _died_idle(self, worker: Worker) -> None:
        reason = worker.exit_description()
        self.deaths.died(worker.snapshot.name, reason, during_invoke=False)
        logger.warning("an idle worker of %s died (%s); a new one replaces it", worker.snapshot.name, reason)

    def _release(self, worker: Worker) -> None:
        worker.idle_since = time.monotonic()
        with self._capacity:
            arn = worker.snapshot.arn
            self._busy[arn] -= 1
            if worker in self._all:
                self._idle.setdefault(arn, []).append(worker)
            self._capacity.notify()

    def _discard(self, worker: Worker) -> None:
        with self._capacity:
            self._busy[worker.snapshot.arn] -= 1
            self._all.discard(worker)
            self._capacity.notify()
        worker.kill()

    def _environment(self, snapshot: FunctionSnapshot) -> dict[str, str]:
        access_key, secret_key = self._credentials
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": str(self._work_dir),
            "AWS_ENDPOINT_URL": self._endpoint_url,
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

    # -- code ---------------------------------------------------------------------

    def _code_dir(self, snapshot: FunctionSnapshot) -> Path:
        # CodeSha256 is base64 (it may hold "/" and "+"): hash it again for a folder name.
        folder = hashlib.sha256(snapshot.code_sha256.encode()).hexdigest()[:16]
        target = self._code_root / f"{snapshot.name}-{folder}"
        if target.exists():
            return target
        try:
            archive = zipfile.ZipFile(io.BytesIO(snapshot.code_bytes))
        except zipfile.BadZipFile as exc:
            raise _CodeError("Runtime.InvalidZip", "The function's code is not a valid zip file") from exc
        unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > UNZIPPED_LIMIT_BYTES:
            raise _CodeError(
                "Runtime.CodeTooLarge",
                f"Unzipped size must be smaller than {UNZIPPED_LIMIT_BYTES} bytes (is {unzipped})",
            )
        staging = self._code_root / f".staging-{uuid.uuid4().hex}"
        archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another thread got there first
        return target

    @staticmethod
    def _build_runtime_dir(runtime_dir: Path) -> Path:
        runtime_dir.mkdir(parents=True, exist_ok=True)
        for name in RUNTIME_PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            source = Path(spec.origin)
            source = source.parent if source.name == "__init__.py" else source
            link = runtime_dir / source.name
            if not link.exists():
                link.symlink_to(source)
        return runtime_dir

    # -- results ------------------------------------------------------------------

    def _finish(self, snapshot: FunctionSnapshot, worker: Worker | None, result: InvokeResult) -> InvokeResult:
        if self._log_sink is not None:
            stream = worker.stream_name if worker else time.strftime("%Y/%m/%d/") + f"[{snapshot.version}]failed"
            lines = [f"START RequestId: {result.request_id} Version: {snapshot.version}"]
            lines.extend(result.logs)
            if result.errored:
                lines.append(result.payload)
            lines.append(f"END RequestId: {result.request_id}")
            report = (
                f"REPORT RequestId: {result.request_id}\tDuration: {result.duration_ms:.2f} ms\t"
                f"Billed Duration: {max(1, int(result.duration_ms + 0.999))} ms\tMemory Size: {snapshot.memory_size} MB"
            )
            if result.max_memory_mb is not None:
                report += f"\tMax Memory Used: {result.max_memory_mb} MB"
            if result.cold:
                report += "\tInit: cold"
            lines.append(report)
            try:
                self._log_sink(snapshot, stream, lines)
            except Exception:  # noqa: BLE001 - logging must never fail an invoke
                logger.exception("could not write logs of %s", snapshot.name)
        return result


class _CodeError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class _InitTimeout(Exception):
    pass


def _error_result(
    request_id: str,
    error_type: str,
    message: str,
    logs: list[str],
    started: float,
    cold: bool,
    error: dict[str, Any] | None = None,
) -> InvokeResult:
    payload = dict(error or {})
    payload.update({"errorType": error_type, "errorMessage": message, "requestId": request_id})
    payload.setdefault("stackTrace", [])
    return InvokeResult(
        payload=json.dumps(payload),
        errored=True,
        logs=logs,
        request_id=request_id,
        duration_ms=(time.monotonic() - started) * 1000,
        cold=cold,
    )
