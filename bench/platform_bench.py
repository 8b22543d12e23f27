"""Platform figures: `up` to ready, Lambda invoke cold/warm vs moto's echo path,
the cost of verifying every request's SigV4 signature on that hot path,
per-state overhead of Step Functions executions, and the outbox's numbering
transaction as a session's stored frames grow (the emulator's item-level
rollback against moto's whole-table copy).

    .venv/bin/python bench/platform_bench.py [--skip-up] [--invokes 200] [--only transactions]

Every ratio is against a baseline measured in this same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from support import free_port  # noqa: E402

REGION = "eu-central-1"
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION})
os.environ.pop("AWS_ENDPOINT_URL", None)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
            }
        ],
    }
)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, config=Config(retries={"max_attempts": 1}))


def start_emulator(port: int, *flags: str) -> subprocess.Popen:
    log = open(f"/tmp/bench-emulator-{port}.log", "w")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "causal_embedded", "--port", str(port), "--no-prewarm", *flags],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}/_causal/health"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint, timeout=1).read()
            return process
        except OSError:
            time.sleep(0.05)
    raise SystemExit("emulator did not start")


def start_echo_moto(port: int):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto's own echo path: the Docker-less Lambda backend that returns without running code.
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request).read()
    return server


def create_function(endpoint: str, name: str, source: str, handler: str = "handler.handler") -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    iam = client("iam", endpoint)
    try:
        iam.create_role(RoleName="bench", AssumeRolePolicyDocument=TRUST)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    role = iam.get_role(RoleName="bench")["Role"]["Arn"]
    client("lambda", endpoint).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler=handler,
        Code={"ZipFile": buffer.getvalue()},
        Timeout=30,
    )


def time_invokes(endpoint: str, name: str, count: int) -> list[float]:
    lam = client("lambda", endpoint)
    samples = []
    for index in range(count):
        started = time.perf_counter()
        lam.invoke(FunctionName=name, Payload=json.dumps({"i": index}).encode())["Payload"].read()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_interleaved(endpoints: list[str], name: str, count: int) -> list[list[float]]:
    """``count`` invokes on each endpoint, one after the other in turn, so load from
    anything else on the machine falls on every variant alike."""
    clients = [client("lambda", endpoint) for endpoint in endpoints]
    samples: list[list[float]] = [[] for _ in endpoints]
    for index in range(count):
        for position in range(len(clients)):
            which = (index + position) % len(clients)
            started = time.perf_counter()
            clients[which].invoke(FunctionName=name, Payload=json.dumps({"i": index}).encode())["Payload"].read()
            samples[which].append((time.perf_counter() - started) * 1000)
    return samples


def wait_execution(sfn, arn: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.01)
    raise SystemExit(f"execution {arn} did not finish")


def bench_invoke(count: int) -> None:
    emulator_port, unverified_port, echo_port = free_port(), free_port(), free_port()
    emulator = start_emulator(emulator_port)
    # The same emulator without signature verification: the baseline for its cost.
    unverified = start_emulator(unverified_port, "--accept-any-credentials")
    echo = start_echo_moto(echo_port)
    try:
        local = f"http://127.0.0.1:{emulator_port}"
        loose = f"http://127.0.0.1:{unverified_port}"
        plain = f"http://127.0.0.1:{echo_port}"
        trivial = "def handler(event, context):\n    return event\n"
        create_function(local, "trivial", trivial)
        create_function(local, "imports-boto3", "import boto3\n\ndef handler(event, context):\n    return event\n")
        create_function(loose, "trivial", trivial)
        create_function(plain, "trivial", trivial)
        cold_trivial = time_invokes(local, "trivial", 1)[0]
        cold_boto3 = time_invokes(local, "imports-boto3", 1)[0]
        time_invokes(plain, "trivial", 5)
        time_invokes(loose, "trivial", 5)
        warm, warm_unverified, echo_samples = time_interleaved([local, loose, plain], "trivial", count)
        p50, p99 = statistics.median(warm), percentile(warm, 99)
        u50, u99 = statistics.median(warm_unverified), percentile(warm_unverified, 99)
        e50, e99 = statistics.median(echo_samples), percentile(echo_samples, 99)
        print(f"lambda invoke cold (trivial handler):      {cold_trivial:8.1f} ms")
        print(f"lambda invoke cold (handler imports boto3): {cold_boto3:8.1f} ms")
        print(
            f"lambda invoke warm  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  (n={len(warm)}, SigV4 verified; target p50 < 20 ms)"
        )
        print(f"  same, unverified  p50 {u50:6.2f} ms  p99 {u99:6.2f} ms  (--accept-any-credentials, same run)")
        print(f"  SigV4 verification cost p50 {p50 - u50:+6.2f} ms per request (ratio {p50 / u50:.2f})")
        print(f"moto echo path      p50 {e50:6.2f} ms  p99 {e99:6.2f} ms  (same run, no code executed)")
        print(f"ratio warm/echo     p50 {p50 / e50:6.2f}         (target <= 2)")

        # Per-state overhead.
        sfn = client("stepfunctions", local)
        role = client("iam", local).get_role(RoleName="bench")["Role"]["Arn"]
        pass_states = {
            f"P{i}": {"Type": "Pass", **({"Next": f"P{i + 1}"} if i < 19 else {"End": True})} for i in range(20)
        }
        one_pass = {"StartAt": "P0", "States": {"P0": {"Type": "Pass", "End": True}}}
        arn_prefix = f"arn:aws:lambda:{REGION}:000000000000:function:"
        chain = {
            f"L{i}": {
                "Type": "Task",
                "Resource": arn_prefix + "trivial",
                **({"Next": f"L{i + 1}"} if i < 9 else {"End": True}),
            }
            for i in range(10)
        }
        machines = {
            "pass-1": one_pass,
            "pass-20": {"StartAt": "P0", "States": pass_states},
            "lambda-10": {"StartAt": "L0", "States": chain},
        }
        durations: dict[str, float] = {}
        for name, definition in machines.items():
            machine = sfn.create_state_machine(name=f"bench-{name}", definition=json.dumps(definition), roleArn=role)[
                "stateMachineArn"
            ]
            samples = []
            for run in range(5):
                started = time.perf_counter()
                arn = sfn.start_execution(stateMachineArn=machine, name=f"r{run}", input="{}")["executionArn"]
                result = wait_execution(sfn, arn)
                assert result["status"] == "SUCCEEDED", result
                samples.append((time.perf_counter() - started) * 1000)
            durations[name] = statistics.median(samples)
        per_pass = (durations["pass-20"] - durations["pass-1"]) / 19
        per_lambda = (durations["lambda-10"] - durations["pass-1"]) / 10
        print(f"execution, 1 Pass state:   {durations['pass-1']:8.1f} ms (p50 of 5, incl. polling at 10 ms)")
        print(f"execution, 20 Pass states: {durations['pass-20']:8.1f} ms -> {per_pass:6.2f} ms per Pass state")
        print(
            f"execution, 10 Lambda tasks:{durations['lambda-10']:8.1f} ms -> {per_lambda:6.2f} ms per Lambda state "
            f"(vs a direct warm invoke p50 {p50:.2f} ms: ratio {per_lambda / p50:.2f})"
        )
    finally:
        for process in (emulator, unverified):
            process.terminate()
            process.wait()
        echo.stop()


def bench_up() -> None:
    ports = [free_port() for _ in range(3)]
    state_dir = tempfile.mkdtemp(prefix="platform-bench-state-")
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/causal-stack"),
            "up",
            "--aws-port",
            str(ports[0]),
            "--gateway-port",
            str(ports[1]),
            "--ecs-port",
            str(ports[2]),
            # A state directory of its own: an empty start, and the developer's kept state left alone.
            "--state-dir",
            state_dir,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready_at = None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "ready" in line and "causal-stack" in line:
            ready_at = time.perf_counter()
            break
    process.terminate()
    process.wait(timeout=30)
    if ready_at is None:
        print("causal-stack up did not reach ready:\n" + "".join(lines[-20:]))
        return
    print(f"causal-stack up -> ready: {ready_at - started:6.2f} s (target < 15 s)")


def time_transactions(stored: tuple[int, ...], repeats: int = 20) -> list[float]:
    """p50 ms of one outbox-shaped transaction (counter update + frame put) per count of frames stored."""
    from moto import mock_aws

    results = []
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for name, keys in (("sessions", ["sessionId"]), ("frames", ["sessionId", "seq"])):
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"} for i, k in enumerate(keys)],
                AttributeDefinitions=[
                    {"AttributeName": k, "AttributeType": "S" if i == 0 else "N"} for i, k in enumerate(keys)
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        seq = 0
        for count in stored:
            while seq < count:
                seq += 1
                item = {"sessionId": {"S": f"old{seq % 50}"}, "seq": {"N": str(seq)}, "frame": {"S": "x" * 800}}
                dynamodb.put_item(TableName="frames", Item=item)
            times = []
            for _ in range(repeats):
                seq += 1
                started = time.perf_counter()
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": "sessions",
                                "Key": {"sessionId": {"S": "s"}},
                                "UpdateExpression": "SET lastSeq = :seq",
                                "ExpressionAttributeValues": {":seq": {"N": str(seq)}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": "frames",
                                "Item": {"sessionId": {"S": "s"}, "seq": {"N": str(seq)}, "frame": {"S": "{}"}},
                                "ConditionExpression": "attribute_not_exists(seq)",
                            }
                        },
                    ]
                )
                times.append((time.perf_counter() - started) * 1000)
            results.append(statistics.median(times))
    return results


def bench_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    from causal_embedded import seams

    stored = (0, 1000, 5000)
    moto_own = time_transactions(stored)
    original = DynamoDBBackend.transact_write_items
    seams._transactions_back_up_only_their_items()
    try:
        item_level = time_transactions(stored)
    finally:
        DynamoDBBackend.transact_write_items = original
    print("outbox numbering transaction (counter update + frame put), p50 by frames already stored:")
    for count, whole, items in zip(stored, moto_own, item_level, strict=True):
        print(
            f"  {count:5d} stored: {items:6.2f} ms  (moto's whole-table backup, same run: {whole:6.2f} ms; "
            f"ratio {items / whole:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-up", action="store_true")
    parser.add_argument("--invokes", type=int, default=200)
    parser.add_argument("--only", choices=["transactions"], help="run one part only")
    args = parser.parse_args()
    bench_transactions()
    if args.only:
        return
    bench_invoke(args.invokes)
    if not args.skip_up:
        bench_up()
        bench_up()


if __name__ == "__main__":
    main()
