"""The developer loop on the embedded stack, measured.

    .venv/bin/python bench/devloop_bench.py --part restore [--items 10000] [--objects 1000]
    .venv/bin/python bench/devloop_bench.py --part reload [--saves 8]
    .venv/bin/python bench/devloop_bench.py --part teststate [--runs 20]
    .venv/bin/python bench/devloop_bench.py --part all

``restore``: state kept across a restart. An emulator with a state directory is
filled with ``--items`` DynamoDB items (about 400 bytes each, one table with a
global index) and ``--objects`` S3 objects (1 to 16 KB), stopped with SIGTERM as
`causal-stack up` stops it (the state is saved), and started again (the state is
restored before the port answers). Prints the save time, the snapshot's size, the
restore time the emulator reports, and start-to-ready with that state against an
empty start in the same run (target: restore ≤ 5 s).

``reload``: save → new code serving. `causal-stack up --watch` runs on a temporary
copy of the functions; a real handler file is saved ``--saves`` times with a new
answer each time, and the function is invoked every 20 ms until it gives the new
answer. Prints p50/p90 of save-to-serving and of the redeploy the stack reports
(target: ≤ 1.5 s p50).

``teststate``: TestState on one Lambda task state (the function called, and its
result mocked) against a full execution of the same state, same run
(``bench/state_test_bench.py``'s measurement).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-central-1"})

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from support import free_port  # noqa: E402

REGION = "eu-central-1"
_SECONDS = re.compile(r" in ([0-9.]+) s")


class _Emulator:
    def __init__(self, state_dir: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.lines: list[str] = []
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "causal_embedded", "--port", self.url.rsplit(":", 1)[1], "--no-prewarm"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "EMULATOR_SNAPSHOT_DIR": str(state_dir), "EMULATOR_SNAPSHOT_INTERVAL": "0"},
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "ready" in line:
                break
        else:
            raise RuntimeError("the emulator did not start:\n" + "".join(self.lines[-20:]))
        self.ready_seconds = time.monotonic() - started

    def client(self, service: str):  # noqa: ANN201 - a boto3 client
        return boto3.client(
            service, endpoint_url=self.url, region_name=REGION, config=Config(retries={"max_attempts": 2})
        )

    def stop(self) -> float:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=300)
        self.lines.append(output)
        return time.monotonic() - started

    def reported(self, verb: str) -> float:
        """The seconds the emulator's log gives for ``verb`` ("saved" / "restored")."""
        for line in self.lines:
            for text in line.splitlines():
                if f'"{verb} ' in text or text.startswith(verb) or f" {verb} " in text:
                    found = _SECONDS.search(text)
                    if found:
                        return float(found.group(1))
        raise RuntimeError(f"no '{verb}' line in the emulator's log:\n" + "".join(self.lines[-20:]))


def _fill(emulator: _Emulator, items: int, objects: int) -> None:
    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(
        TableName="bench-sessions",
        KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "sessionId", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
            {"AttributeName": "userId", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-user",
                "KeySchema": [{"AttributeName": "userId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    rng = random.Random(7)
    rows = [
        {
            "PutRequest": {
                "Item": {
                    "sessionId": {"S": f"session-{index // 20:05d}"},
                    "seq": {"N": str(index % 20)},
                    "userId": {"S": f"user-{index % 50}"},
                    "frame": {"S": json.dumps({"type": "progress", "message": "x" * rng.randint(150, 350)})},
                    "createdAt": {"N": str(1_700_000_000 + index)},
                }
            }
        }
        for index in range(items)
    ]
    for start in range(0, len(rows), 25):
        dynamodb.batch_write_item(RequestItems={"bench-sessions": rows[start : start + 25]})
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket="bench-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    for index in range(objects):
        s3.put_object(
            Bucket="bench-artifacts", Key=f"runs/{index:04d}/plot.png", Body=rng.randbytes(rng.randint(1024, 16384))
        )


def restore_part(items: int = 10_000, objects: int = 1_000) -> None:
    with tempfile.TemporaryDirectory(prefix="devloop-bench-") as directory:
        state_dir = Path(directory) / "state"
        empty = _Emulator(Path(directory) / "empty")
        empty.stop()
        filled = _Emulator(state_dir)
        filling = time.monotonic()
        _fill(filled, items, objects)
        fill_seconds = time.monotonic() - filling
        stop_seconds = filled.stop()
        saved = filled.reported("saved")
        size = (state_dir / "current.zip").stat().st_size
        restarted = _Emulator(state_dir)
        restored = restarted.reported("restored")
        count = restarted.client("dynamodb").describe_table(TableName="bench-sessions")["Table"]["ItemCount"]
        listed = sum(
            page.get("KeyCount", 0)
            for page in restarted.client("s3").get_paginator("list_objects_v2").paginate(Bucket="bench-artifacts")
        )
        restarted.stop()
    print(f"restore: {items:,} DynamoDB items, {objects:,} S3 objects (filled over the API in {fill_seconds:.1f} s)")
    print(f"  save on stop             {saved:6.2f} s   (SIGTERM to exit {stop_seconds:.2f} s)")
    print(f"  snapshot size            {size / 1e6:6.2f} MB")
    print(f"  restore                  {restored:6.2f} s   target ≤ 5 s: {'met' if restored <= 5 else 'NOT met'}")
    print(
        f"  start to ready           {restarted.ready_seconds:6.2f} s   empty start {empty.ready_seconds:.2f} s   "
        f"ratio {restarted.ready_seconds / empty.ready_seconds:.2f}×"
    )
    print(f"  after the restore        {count:,} items, {listed:,} objects")


RELOAD_FUNCTION = "handle-error"
_PROBE = """

_served = handler


def handler(event, context):
    if isinstance(event, dict) and "probe" in event:
        return {{"version": {version}}}
    return _served(event, context)
"""
_RELOAD_SECONDS = re.compile(r"^reload: .* updated in ([0-9.]+) s")


def _quantile_line(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):5.2f} s   p90 {p90:5.2f} s   (n={len(ordered)})"


def reload_part(saves: int = 8) -> None:
    import shutil

    from stack_support import start_stack, stop_stack

    from causal_common.names import ResourceNames

    with tempfile.TemporaryDirectory(prefix="devloop-reload-") as directory:
        source = Path(directory)
        shutil.copytree(ROOT / "lambdas", source / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
        stack = start_stack(
            resources_port=0,
            state_dir=source / "state",
            extra_args=["--watch"],
            extra_env={"CAUSAL_STACK_SOURCE_DIR": str(source), "DEPLOY_DATASETS": "0"},
        )
        try:
            while not any(line.startswith("watching ") for line in stack.output):
                time.sleep(0.05)
            lam = boto3.client("lambda", endpoint_url=stack.aws_endpoint, region_name=REGION)
            name = ResourceNames().function(RELOAD_FUNCTION)
            handler = source / "lambdas" / RELOAD_FUNCTION / "handler.py"
            original = handler.read_text()

            def version() -> object:
                answer = lam.invoke(FunctionName=name, Payload=json.dumps({"probe": 1}))
                return json.loads(answer["Payload"].read()).get("version")

            serving: list[float] = []
            for save in range(saves):
                time.sleep(1.0)  # separate saves, as a developer's are
                saved = time.monotonic()
                handler.write_text(original + _PROBE.format(version=save))
                while version() != save:
                    if time.monotonic() - saved > 30:
                        raise RuntimeError("the new code did not serve within 30 s:\n" + "".join(stack.output[-10:]))
                    time.sleep(0.02)
                serving.append(time.monotonic() - saved)
            reported = [float(m.group(1)) for line in stack.output if (m := _RELOAD_SECONDS.match(line))]
        finally:
            stop_stack(stack)
    p50 = statistics.median(serving)
    print(f"reload: {saves} saves of lambdas/{RELOAD_FUNCTION}/handler.py under causal-stack up --watch")
    print(
        f"  save → new code serving  {_quantile_line(serving)}   target ≤ 1.5 s: {'met' if p50 <= 1.5 else 'NOT met'}"
    )
    if reported:
        print(
            f"  redeploy (stack's line)  {_quantile_line(reported)}   (the rest: noticing the save, the new code's cold start)"
        )


def teststate_part(runs: int = 20) -> None:
    import state_test_bench

    print(f"teststate: one Lambda task state, {runs} runs each, same emulator")
    state_test_bench.report(state_test_bench.measure(runs))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("restore", "reload", "teststate", "all"), default="all")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=1_000)
    parser.add_argument("--saves", type=int, default=8)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if args.part in ("restore", "all"):
        restore_part(args.items, args.objects)
    if args.part in ("reload", "all"):
        reload_part(args.saves)
    if args.part in ("teststate", "all"):
        teststate_part(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
