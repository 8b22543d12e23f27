"""Testing one state (TestState) against running it in a whole execution, on the embedded emulator, same run.

    .venv/bin/python bench/state_test_bench.py [--runs 20]

Three ways to run the same Lambda task state: TestState calling the function, TestState with a mocked
result, and StartExecution of a one-state machine until DescribeExecution says it ended (polled every 5 ms).
Prints p50 and p90 of each and the ratio against the full execution.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-central-1"})

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from support import create_execution_role, running_emulator  # noqa: E402

HANDLER = "def handle(event, context):\n    return {'rows': event['rows'] * 2}\n"


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"


def measure(runs: int) -> dict[str, list[float]]:
    """Seconds per call of each way, ``runs`` each, on one emulator (the full execution last)."""
    with running_emulator() as url:
        config = Config(inject_host_prefix=False, retries={"max_attempts": 1})
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="eu-central-1", config=config)
        lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1", config=config)
        role = create_execution_role(url, "bench-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        function = lam.create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Handler="handler.handle",
            Role=role,
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        }
        definition = json.dumps({"StartAt": "Call", "States": {"Call": state}})
        machine = sfn.create_state_machine(name="bench", definition=definition, roleArn=role)["stateMachineArn"]
        payload = json.dumps({"rows": 21})
        mocked = {"result": json.dumps({"StatusCode": 200, "Payload": {"rows": 42}})}
        sfn.test_state(definition=definition, stateName="Call", roleArn=role, input=payload)  # warm worker

        def test_state() -> None:
            answer = sfn.test_state(definition=definition, stateName="Call", roleArn=role, input=payload)
            assert json.loads(answer["output"]) == {"rows": 42}, answer

        def test_state_mocked() -> None:
            answer = sfn.test_state(definition=definition, stateName="Call", input=payload, mock=mocked)
            assert json.loads(answer["output"]) == {"rows": 42}, answer

        def execution() -> None:
            arn = sfn.start_execution(stateMachineArn=machine, input=payload)["executionArn"]
            while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                time.sleep(0.005)
            assert json.loads(described["output"]) == {"rows": 42}, described

        results = {}
        for label, run in (
            ("TestState, the function called", test_state),
            ("TestState, result mocked", test_state_mocked),
            ("full execution of the same state", execution),
        ):
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                run()
                samples.append(time.perf_counter() - started)
            results[label] = samples
    return results


def report(results: dict[str, list[float]]) -> None:
    full = statistics.median(results["full execution of the same state"])
    for label, samples in results.items():
        print(f"{label:<34} {_quantiles(samples)}   {statistics.median(samples) / full:5.2f}× the full execution")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    report(measure(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
