"""Runs deployed Lambda zips locally in warm worker processes.

One pool of workers per function (``lambda_pool``). A worker (``lambda_worker``)
is started on the first (cold) invoke and reused while the function's code
(``lambda_code``) and configuration stay the same; an update retires the old
workers. The function's ``Timeout`` is enforced by killing the worker; a crash
of the worker during an invoke is reported in Lambda's error shape
(``Runtime.ExitError``, ``lambda_function``) and the next invoke gets a fresh
worker. A worker that dies while idle (killed from outside, out of memory) is
noticed before an invoke is sent to it and replaced, so no call fails for it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from causal_common.names import LOCAL_CREDENTIALS
from causal_embedded.lambda_code import CodeError, build_runtime_dir, unpack_code
from causal_embedded.lambda_function import FunctionSnapshot, InvokeResult, LogSink, error_result, log_lines
from causal_embedded.lambda_pool import IDLE_WORKER_SECONDS, INIT_LIMIT_SECONDS, WorkerPool
from causal_embedded.lambda_worker import Worker, WorkerGone, worker_environment
from causal_embedded.worker_deaths import WorkerDeaths

__all__ = ["FunctionSnapshot", "InvokeResult", "LambdaRunner", "LogSink"]

logger = logging.getLogger(__name__)

# A synchronous invoke's response, as Lambda limits it.
RESPONSE_LIMIT_BYTES = 6_291_556
# A warm worker found dead when the request is written to it is replaced; this bounds the retries.
SEND_ATTEMPTS = 3


class _InitTimeout(Exception):
    pass


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
        self._runtime_dir = build_runtime_dir(work_dir / "runtime")
        self._endpoint_url = endpoint_url
        self._log_sink = log_sink
        self._credentials = credentials
        self._pool = WorkerPool(self._start_worker, self.prewarm, idle_worker_seconds=idle_worker_seconds)
        self._prewarm_queue: queue.Queue[FunctionSnapshot | None] = queue.Queue()
        threading.Thread(target=self._prewarm_loop, name="lambda-prewarm", daemon=True).start()

    @property
    def deaths(self) -> WorkerDeaths:
        return self._pool.deaths

    @property
    def pool(self) -> WorkerPool:
        return self._pool

    def invoke(self, snapshot: FunctionSnapshot, event: Any) -> InvokeResult:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        try:
            code_dir = unpack_code(self._code_root, snapshot)
        except CodeError as exc:
            return self._finish(snapshot, None, error_result(request_id, exc.error_type, str(exc), [], started, True))
        worker, cold = self._pool.acquire(snapshot, code_dir)
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
                        self._pool.discard(worker)
                        return self._finish(
                            snapshot,
                            worker,
                            error_result(
                                request_id, error["errorType"], error["errorMessage"], logs, started, cold, error
                            ),
                        )
                deadline = time.time() + snapshot.timeout
                try:
                    worker.send(
                        {"requestId": request_id, "event": event, "deadline": deadline, "functionArn": snapshot.arn}
                    )
                    break
                except WorkerGone:
                    if cold or attempt == SEND_ATTEMPTS:
                        raise
                    # It died while idle, after _acquire looked at it: the request never
                    # reached it, so this invoke goes to a fresh worker instead of failing.
                    self._pool.died_idle(worker)
                    self._pool.discard(worker)
                    worker, cold = self._pool.acquire(snapshot, code_dir)
            during_invoke = True
            response = worker.receive(time.monotonic() + snapshot.timeout)
        except _InitTimeout:
            self._pool.discard(worker)
            return self._finish(
                snapshot,
                worker,
                error_result(request_id, "Runtime.InitTimeout", "Init phase timed out", logs, started, cold),
            )
        except WorkerGone:
            reason = worker.exit_description()
            logs.extend(worker.stderr_tail())
            if during_invoke:
                self._pool.deaths.died(snapshot.name, reason, during_invoke=True)
                logger.warning("a worker of %s died during invoke %s (%s)", snapshot.name, request_id, reason)
            self._pool.discard(worker)
            message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
            return self._finish(
                snapshot, worker, error_result(request_id, "Runtime.ExitError", message, logs, started, cold)
            )
        if response is None:
            self._pool.discard(worker)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
            message = f"{stamp} {request_id} Task timed out after {snapshot.timeout:.2f} seconds"
            return self._finish(
                snapshot, worker, error_result(request_id, "Sandbox.Timedout", message, logs, started, cold)
            )
        logs.extend(response.get("logs", []))
        self._pool.release(worker)
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
            result = error_result(request_id, "Function.ResponseSizeTooLarge", message, logs, started, cold)
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

    def warm_workers(self, function_arn: str) -> int:
        return self._pool.workers(function_arn)

    def status(self) -> dict[str, Any]:
        """Workers per function and the deaths seen since start (for doctor and the dashboard)."""
        return {
            "workers": [{"functionName": name, **counts} for name, counts in sorted(self._pool.counts().items())],
            "deaths": self._pool.deaths.report(),
        }

    def shutdown(self) -> None:
        self._prewarm_queue.put(None)
        self._pool.shutdown()

    def _prewarm_loop(self) -> None:
        # One at a time: starting ten interpreters at once would starve the deploy.
        while (snapshot := self._prewarm_queue.get()) is not None:
            try:
                code_dir = unpack_code(self._code_root, snapshot)
            except CodeError:
                continue  # the first invoke reports it
            worker, cold = self._pool.acquire(snapshot, code_dir, prewarming=True)
            if not cold:
                self._pool.release(worker)
                continue
            try:
                ready = worker.receive(time.monotonic() + max(INIT_LIMIT_SECONDS, snapshot.timeout))
            except WorkerGone:
                ready = None
            if ready is None or ready.get("kind") != "ready":
                self._pool.discard(worker)  # the first invoke will report the init error
            else:
                self._pool.release(worker)
            self._pool.prewarmed(snapshot)

    def _start_worker(self, snapshot: FunctionSnapshot, code_dir: Path) -> Worker:
        environment = worker_environment(
            snapshot, endpoint_url=self._endpoint_url, credentials=self._credentials, home=self._work_dir
        )
        return Worker(snapshot, code_dir, self._runtime_dir, environment)

    def _finish(self, snapshot: FunctionSnapshot, worker: Worker | None, result: InvokeResult) -> InvokeResult:
        if self._log_sink is not None:
            stream = worker.stream_name if worker else time.strftime("%Y/%m/%d/") + f"[{snapshot.version}]failed"
            try:
                self._log_sink(snapshot, stream, log_lines(snapshot, result))
            except Exception:  # noqa: BLE001 - logging must never fail an invoke
                logger.exception("could not write logs of %s", snapshot.name)
        return result
