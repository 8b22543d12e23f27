"""Time from a killed process to serving again, per service, against its cold start in the same run.

    .venv/bin/python bench/recovery_bench.py

Starts a stack with `causal-stack up`, then for each service: a cold start of
the same service started alone beside it (the baseline), and the time from
SIGKILL to the stack serving again (the supervisor's back-off included, and
for the emulator the deploy into the new one and the gateway's restart; the
ECS runner keeps its registrations, so it needs no deploy).
Lambda workers and the ECS runner's warm worker are measured the same way.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import psutil
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from stack_support import CLI, RunningStack, start_stack, stop_stack  # noqa: E402
from support import free_port  # noqa: E402

from causal_stack.launcher import stack_environment  # noqa: E402

REGION = "eu-central-1"
LIMIT_SECONDS = 180
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION})


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except OSError:
        return False


def wait_until(predicate, what: str, limit: float = LIMIT_SECONDS) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"{what}: not within {limit:.0f} s")


def service_process(stack: RunningStack, module: str) -> psutil.Process:
    return next(child for child in psutil.Process(stack.process.pid).children() if module in child.cmdline())


def warm_worker(url: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return json.load(response).get("warmWorker") or {}
    except OSError:
        return {}


def cold_start(argv: list[str], env: dict[str, str], ready) -> tuple[float, subprocess.Popen]:
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(ready, " ".join(argv[:3]))
    return time.monotonic() - started, process


def stop(process: subprocess.Popen) -> None:
    for child in psutil.Process(process.pid).children(recursive=True):
        child.kill()
    process.terminate()
    process.wait(timeout=10)


def kill_and_time(stack: RunningStack, module: str, line: str) -> float:
    mark = len(stack.output)
    process = service_process(stack, module)
    started = time.monotonic()
    process.send_signal(signal.SIGKILL)
    wait_until(lambda: any(line in text for text in stack.output[mark:]), line)
    return time.monotonic() - started


def lambda_figures(stack: RunningStack) -> tuple[float, float, float]:
    """(cold invoke, warm invoke p50, invoke right after the idle worker was killed), seconds."""

    def client(service):
        return boto3.client(
            service, endpoint_url=stack.aws_endpoint, region_name=REGION, config=Config(retries={"max_attempts": 1})
        )

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    client("iam").create_role(RoleName="bench-recovery", AssumeRolePolicyDocument=json.dumps(trust))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "import os\n\ndef pid(event, context):\n    return os.getpid()\n")
    awslambda = client("lambda")
    awslambda.create_function(
        FunctionName="bench-recovery",
        Runtime="python3.12",
        Handler="handler.pid",
        Role="arn:aws:iam::000000000000:role/bench-recovery",
        Code={"ZipFile": buffer.getvalue()},
    )

    def invoke() -> tuple[float, int]:
        started = time.monotonic()
        response = awslambda.invoke(FunctionName="bench-recovery", Payload=b"{}")
        assert not response.get("FunctionError"), response
        return time.monotonic() - started, json.loads(response["Payload"].read())

    time.sleep(1)  # let the prewarmed worker start, so the cold figure is a real cold start below
    awslambda.update_function_configuration(FunctionName="bench-recovery", Timeout=4)  # retires the warm worker
    cold, pid = invoke()
    warm = statistics.median(invoke()[0] for _ in range(20))
    replaced = []
    for _ in range(5):
        pid = invoke()[1]
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda pid=pid: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
            "worker gone",
        )
        replaced.append(invoke()[0])
    return cold, warm, statistics.median(replaced)


def main() -> int:
    print("starting a stack with `causal-stack up` …", flush=True)
    stack = start_stack()
    try:
        ready = next(line for line in stack.output if "causal-stack ready in" in line)
        up_seconds = float(re.search(r"ready in ([\d.]+) s", ready).group(1))
        env = stack_environment("127.0.0.1", stack.aws_port, stack.gateway_port, stack.ecs_port)
        env["PATH"] = os.environ["PATH"]
        python = sys.executable
        rows = []

        # Gateway: a second one beside the stack is its cold start.
        port = free_port()
        baseline, process = cold_start(
            [python, "-m", "causal_gateway", "--port", str(port)],
            env,
            lambda: answers(f"http://127.0.0.1:{port}/health"),
        )
        stop(process)
        recovered = kill_and_time(stack, "causal_gateway", "gateway is serving again")
        rows.append(("gateway", baseline, recovered, "cold start of a second gateway; recovery includes 1 s back-off"))

        # ECS runner: serving = /health answers; its warm worker comes after (measured below).
        port = free_port()
        baseline, process = cold_start(
            [python, "-m", "causal_ecs_runner", "--port", str(port), "--backend", "subprocess"],
            {**env, "ECS_RUNNER_LOG_DIR": f"/tmp/bench-recovery-{port}"},
            lambda: answers(f"http://127.0.0.1:{port}/health"),
        )
        stop(process)
        recovered = kill_and_time(stack, "causal_ecs_runner", "ecs-runner is serving again")
        rows.append(
            (
                "ecs-runner",
                baseline,
                recovered,
                "cold start of a second runner; recovery includes 1 s back-off and failing lost jobs",
            )
        )

        # Emulator: its own cold start plus a deploy into it is what a recovery repeats.
        port = free_port()
        baseline, process = cold_start(
            [python, "-m", "causal_embedded", "--port", str(port)],
            env,
            lambda: answers(f"http://127.0.0.1:{port}/_causal/health"),
        )
        started = time.monotonic()
        subprocess.run(
            [
                str(CLI),
                "deploy",
                "--endpoint-url",
                f"http://127.0.0.1:{port}",
                "--ecs-endpoint-url",
                stack.ecs_endpoint,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=LIMIT_SECONDS,
        )
        baseline += time.monotonic() - started
        stop(process)
        recovered = kill_and_time(stack, "causal_embedded", "aws is serving again")
        rows.append(
            (
                "aws (emulator)",
                baseline,
                recovered,
                "second emulator + deploy; recovery: 1 s back-off, emulator, deploy, gateway restart",
            )
        )

        # The ECS runner's warm worker: its first start (DoWhy imported) against a restart after SIGKILL.
        first = warm_worker(stack.ecs_endpoint)
        wait_until(lambda: warm_worker(stack.ecs_endpoint).get("state") == "up", "warm worker up")
        first = warm_worker(stack.ecs_endpoint)
        started = time.monotonic()
        os.kill(first["pid"], signal.SIGKILL)
        wait_until(
            lambda: (w := warm_worker(stack.ecs_endpoint)).get("state") == "up" and w.get("pid") != first["pid"],
            "warm worker restarted",
        )
        rows.append(
            (
                "ECS warm worker",
                first["importSeconds"],
                time.monotonic() - started,
                "its import time at start; recovery includes 1 s back-off",
            )
        )

        cold, warm, replaced = lambda_figures(stack)

        print()
        print(f"stack cold start (`causal-stack up` to ready): {up_seconds:.1f} s")
        print(f"{'service':<18}{'cold start':>12}{'killed → serving':>19}{'ratio':>8}  baseline")
        for name, base, recovery, note in rows:
            print(f"{name:<18}{base:>10.2f} s{recovery:>17.2f} s{recovery / base:>7.1f}×  {note}")
        print(
            f"{'Lambda worker':<18}{cold:>10.3f} s{replaced:>17.3f} s{replaced / cold:>7.1f}×  "
            f"cold invoke; warm invoke p50 {warm * 1000:.1f} ms (killed idle worker → next invoke answered, "
            f"median of 5)"
        )
        return 0
    finally:
        stop_stack(stack)


if __name__ == "__main__":
    sys.exit(main())
