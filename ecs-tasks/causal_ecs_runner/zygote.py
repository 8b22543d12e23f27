"""The warm worker: imports the heavy modules once, then forks one child per task.

Protocol on stdin/stdout, one JSON object per line:
  in  ``{"id": …, "module": "causal_tasks", "args": [...], "env": {...}, "log": path}``
  out ``{"ready": true}`` once, ``{"id": …, "pid": …}`` per start, ``{"pid": …, "exit": code}`` per end.
Single-threaded on purpose: forking a multi-threaded process is unsafe.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import select
import signal
import sys
import time


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N → 128+N, as Docker and ECS report


def _child(request: dict, out_fd: int) -> None:
    os.setsid()
    os.close(out_fd)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [request["module"], *request["args"]]
    code = 0
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a task's crash is reported as its exit code
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    started = time.perf_counter()
    for name in filter(None, (sys.argv[1] if len(sys.argv) > 1 else "").split(",")):
        module = importlib.import_module(name)
        # A module may warm caches its forked children will use (no threads, no sockets).
        prepare = getattr(module, "prepare_for_fork", None)
        if callable(prepare):
            prepare()
    out_fd = os.dup(1)
    out = os.fdopen(out_fd, "w", buffering=1)

    def emit(message: dict) -> None:
        out.write(json.dumps(message) + "\n")

    emit({"ready": True, "import_seconds": round(time.perf_counter() - started, 3)})
    buffer = b""
    children: set[int] = set()
    while True:
        readable, _, _ = select.select([0], [], [], 0.1)
        if readable:
            chunk = os.read(0, 65536)
            if not chunk:
                # The runner went away: nobody would report these tasks' exits, so they end with it.
                for pid in children:
                    try:
                        os.killpg(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request, out_fd)
                children.add(pid)
                emit({"id": request["id"], "pid": pid})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            emit({"pid": pid, "exit": _exit_code(status)})


if __name__ == "__main__":
    main()
