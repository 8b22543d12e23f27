"""A warm Lambda execution environment: one process, one function, many invocations.

Started by the runner as ``python -I -S worker.py`` so nothing of the host's
site-packages leaks in: ``sys.path`` is the unzipped code, then the runtime
folder (boto3 and what it needs, as the Lambda runtime provides), then the
standard library. Standard library only in this file.

Protocol on two inherited pipes (fds in ``CAUSAL_WORKER_FDS``): each message
is a 4-byte big-endian length and a JSON object. The worker sends ``ready``
(or an init error) first, then one response per request.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import resource
import struct
import sys
import time
import traceback


def _read_message(stream) -> dict | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    return json.loads(stream.read(length).decode("utf-8"))


def _write_message(stream, message: dict) -> None:
    data = json.dumps(message, default=str).encode("utf-8")
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


class _Capture(io.TextIOBase):
    """Stands in for stdout/stderr: records what the handler prints in this invocation."""

    def __init__(self) -> None:
        self.buffer_lines: list[str] = []
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        self.buffer_lines.extend(complete)
        return len(text)

    def drain(self) -> list[str]:
        if self._partial:
            self.buffer_lines.append(self._partial)
            self._partial = ""
        lines, self.buffer_lines = self.buffer_lines, []
        return lines


def _peak_memory_mb() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: the latter
    survives exec and would report the size of the process that started us."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(self, request: dict, deadline: float) -> None:
        environ = os.environ
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = request.get("functionArn", "")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request["requestId"]
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _error(exc: BaseException, error_type: str | None = None) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": [f'  File "{f.filename}", line {f.lineno}, in {f.name}\n    {f.line or ""}\n' for f in frames],
    }


def _load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from exc
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    function = getattr(module, function_name, None)
    if function is None:
        raise _InitError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def main() -> int:
    read_fd, write_fd = (int(fd) for fd in os.environ.pop("CAUSAL_WORKER_FDS").split(","))
    requests = os.fdopen(read_fd, "rb")
    responses = os.fdopen(write_fd, "wb")
    code_dir = os.environ["LAMBDA_TASK_ROOT"]
    runtime_dir = os.environ.pop("CAUSAL_RUNTIME_DIR")
    sys.path[:0] = [code_dir, runtime_dir]
    os.chdir(code_dir)

    capture = _Capture()
    sys.stdout = capture
    sys.stderr = capture
    # As the Python runtime does: a root handler printing level, time and request id.
    request_filter = _RequestIdFilter()
    root_handler = logging.StreamHandler(capture)
    root_handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    )
    root_handler.addFilter(request_filter)
    logging.getLogger().addHandler(root_handler)
    logging.getLogger().setLevel(logging.INFO)

    init_started = time.perf_counter()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        _write_message(responses, {"kind": "init_error", "error": _error(exc, exc.error_type), "logs": capture.drain()})
        return 1
    except BaseException as exc:  # noqa: BLE001 - any failure at import is the function's init error
        _write_message(responses, {"kind": "init_error", "error": _error(exc), "logs": capture.drain()})
        return 1
    init_ms = (time.perf_counter() - init_started) * 1000
    _write_message(responses, {"kind": "ready", "initMs": init_ms, "logs": capture.drain()})

    while True:
        request = _read_message(requests)
        if request is None:
            return 0
        request_filter.request_id = request["requestId"]
        context = LambdaContext(request, request["deadline"])
        started = time.perf_counter()
        message: dict = {"kind": "result"}
        try:
            result = handler(request["event"], context)
            try:
                message["payload"] = json.dumps(result)
            except (TypeError, ValueError) as exc:
                raise _InitError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from exc
        except _InitError as exc:
            message["error"] = _error(exc, exc.error_type)
        except BaseException as exc:  # noqa: BLE001 - returned to the caller in Lambda's error shape
            if isinstance(exc, SystemExit):
                raise
            message["error"] = _error(exc)
            traceback.print_exc()
        message["durationMs"] = (time.perf_counter() - started) * 1000
        message["maxMemoryMB"] = _peak_memory_mb()
        message["logs"] = capture.drain()
        _write_message(responses, message)


if __name__ == "__main__":
    sys.exit(main())
