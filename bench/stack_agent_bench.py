"""Query → answer over real sockets against a whole stack (`causal-stack up`),
versus the same analysis run directly in this process (the compute floor).

    .venv/bin/python bench/stack_agent_bench.py [--questions 10] [--concurrent 10]

The stack path is everything a user pays for: gateway, websocket-handler, the
state machine in the emulator, Lambda workers, the ECS runner's warm worker,
DynamoDB/S3 round trips and every progress frame. The floor is the same data
query, EDA (with plots) and DoWhy analysis (with refutations and the graph)
called directly on the DataFrame, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-central-1"})

import boto3  # noqa: E402
import httpx  # noqa: E402
import websockets  # noqa: E402
from stack_support import start_stack, stop_stack  # noqa: E402

from causal_common.jobs import JobRepository  # noqa: E402
from causal_common.names import ResourceNames  # noqa: E402
from causal_dashboard.execution_history import fold, jobs_in, read_history  # noqa: E402

QUESTION = "What is the effect of v0 on y?"
DATASET = "synthetic_linear"
NAMES = ResourceNames()


async def ask(stack, user: str) -> tuple[float, dict]:
    token = httpx.post(f"{stack.gateway_url}/auth/token", json={"userId": user}, timeout=10).json()["token"]
    async with websockets.connect(f"{stack.websocket_url}?token={token}") as socket:
        started = time.perf_counter()
        await socket.send(json.dumps({"action": "query", "text": QUESTION, "datasetId": DATASET}))
        frames = []
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=300))
            frames.append(frame)
            if frame["type"] in ("answer", "error"):
                elapsed = time.perf_counter() - started
                seqs = [f["seq"] for f in frames]
                assert seqs == list(range(1, len(seqs) + 1)), seqs
                return elapsed, {"frames": frames, "user": user}


def compute_floor(csv_bytes: bytes, covariates: list[str], manifest: dict) -> float:
    """The same work the ECS tasks do: the manifest's roles are the analysis' defaults there too."""
    import duckdb
    import pandas as pd

    from causal_common.models.datasets import DatasetManifest
    from causal_common.models.tools import CausalAnalysisArgs, EdaArgs
    from causal_tasks import plots
    from causal_tasks.causal import run_causal_analysis
    from causal_tasks.design import DatasetRoles
    from causal_tasks.eda import run_eda_with_plots

    roles = DatasetRoles.from_manifest(DatasetManifest.model_validate(manifest))

    started = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(csv_bytes))
    connection = duckdb.connect()
    connection.register("data", frame)
    connection.execute("SELECT v0, COUNT(*), AVG(y), STDDEV_SAMP(y) FROM data GROUP BY v0").fetchall()
    run_eda_with_plots(frame, EdaArgs(treatment="v0", outcome="y", covariates=covariates), roles=roles)
    result = run_causal_analysis(
        frame, CausalAnalysisArgs(treatment="v0", outcome="y", common_causes=covariates), None, roles=roles
    )
    plots.causal_graph(result, list(roles.instruments) if result.design == "iv" else [])
    return time.perf_counter() - started


def timeline_split(stack, session_ids: list[str]) -> list[str]:
    """Where each question's time went inside the state machine, from its execution history (p50 over questions)."""
    sfn = boto3.client("stepfunctions", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    listed = sfn.list_executions(stateMachineArn=NAMES.state_machine_arn, maxResults=1000)["executions"]
    jobs = JobRepository(boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name="eu-central-1"), NAMES)
    summaries, queued, ran = [], [], []
    for session_id in session_ids:
        for item in listed:
            if item["name"].startswith(f"{session_id}-") and item["status"] == "SUCCEEDED":
                summaries.append(fold(read_history(sfn, item["executionArn"]), "SUCCEEDED")["summary"])
                window = [int(item[key].timestamp() * 1000) for key in ("startDate", "stopDate")]
                ecs = jobs_in([job.shown() for job in jobs.list(session_id=session_id)], *window)
                queued.append(sum(job["queuedMs"] or 0 for job in ecs) / 1000)
                ran.append(sum(job["runMs"] or 0 for job in ecs) / 1000)
    if not summaries:
        return ["timeline: no finished execution found"]

    def p50(key: str) -> float:
        return statistics.median(summary[key] or 0 for summary in summaries) / 1000

    lines = [
        f"inside the state machine (timeline p50 over {len(summaries)}): total {p50('totalMs'):.2f} s · "
        f"in tasks {p50('inTasksMs'):.2f} s · waiting for callbacks (ECS jobs) {p50('waitingForCallbacksMs'):.2f} s · "
        f"between retries {p50('waitingBetweenRetriesMs'):.2f} s · between states {p50('betweenStatesMs'):.2f} s"
    ]
    lines.append(
        f"  of the callbacks, ECS jobs queued p50 {statistics.median(queued):.2f} s, ran p50 {statistics.median(ran):.2f} s "
        "(the rest: the task's result reaching the workflow)"
    )
    states = sorted({name for summary in summaries for name in summary["byStateMs"]})
    by_state = {name: statistics.median(s["byStateMs"].get(name, 0) for s in summaries) / 1000 for name in states}
    for name, seconds in sorted(by_state.items(), key=lambda item: -item[1]):
        lines.append(f"  {name:<24} p50 {seconds:6.2f} s")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=10)
    args = parser.parse_args()
    stack = start_stack()
    try:
        asyncio.run(ask(stack, "warmup"))  # first run pays cold Lambda workers
        stack_times = []
        estimates = []
        sessions_asked = []
        for index in range(args.questions):
            elapsed, outcome = asyncio.run(ask(stack, f"seq{index}"))
            stack_times.append(elapsed)
            estimates.append(outcome["frames"][-1]["result"]["estimate"])
            sessions_asked.append(outcome["frames"][0]["sessionId"])
        split = timeline_split(stack, sessions_asked)
        s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
        manifest = json.loads(
            s3.get_object(Bucket=NAMES.datasets_bucket, Key=f"{DATASET}/manifest.json")["Body"].read()
        )
        csv_bytes = s3.get_object(Bucket=NAMES.datasets_bucket, Key=f"{DATASET}/data.csv")["Body"].read()
        covariates = [c["name"] for c in manifest["columns"] if c["role"] == "covariate"]
        compute_floor(csv_bytes, covariates, manifest)  # imports, once
        floor_times = [compute_floor(csv_bytes, covariates, manifest) for _ in range(min(args.questions, 5))]

        async def everyone():
            return await asyncio.gather(*(ask(stack, f"user{i}") for i in range(args.concurrent)))

        started = time.perf_counter()
        concurrent = asyncio.run(everyone())
        wall = time.perf_counter() - started
    finally:
        stop_stack(stack)
    p50_stack, p50_floor = statistics.median(stack_times), statistics.median(floor_times)
    beta = manifest["ground_truth"]["value"]
    print(
        f"questions: {args.questions} on {DATASET} ({manifest['rows']} rows); estimates {min(estimates):.4f}..{max(estimates):.4f} vs true beta {beta}"
    )
    print(
        f"query -> answer over the stack   p50 {p50_stack:6.2f} s  (min {min(stack_times):.2f}, max {max(stack_times):.2f})"
    )
    print(
        f"same analysis directly (floor)   p50 {p50_floor:6.2f} s  (min {min(floor_times):.2f}, max {max(floor_times):.2f})"
    )
    print(
        f"orchestration overhead           p50 {p50_stack - p50_floor:6.2f} s  (target ≤ 1.0 s); ratio stack/floor {p50_stack / p50_floor:.2f} (target ≤ 1.3)"
    )
    print("\n".join(split))
    users = [outcome["frames"][0]["userId"] for _, outcome in concurrent]
    answered = sum(outcome["frames"][-1]["type"] == "answer" for _, outcome in concurrent)
    mixed = sum(outcome["frames"][0]["userId"] != outcome["user"] for _, outcome in concurrent)
    sessions = len({outcome["frames"][0]["sessionId"] for _, outcome in concurrent})
    print(
        f"{args.concurrent} concurrent users: {answered} answered, {mixed} mixed up, {sessions} distinct sessions, "
        f"wall {wall:.1f} s ({wall / args.concurrent:.2f} s per question; sequential p50 {p50_stack:.2f} s); users {len(set(users))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
