"""Agent orchestration overhead: query → answer through agent-sm vs the same analysis called directly.

    .venv/bin/python bench/agent_bench.py [--questions 10] [--concurrent 10]

agent-sm runs in moto's ASL interpreter in this process (moto's decorator
mode, as in tests/functional/test_agent_state_machine.py): every state, every
Lambda handler (websocket-handler, planner, dispatch, append, finish), the
DynamoDB/S3/Step Functions calls and the outbox are real; the ECS tasks and
data-query run the real tool code in threads. The compute floor is the same
data query, EDA and causal analysis called directly on the DataFrame. The
difference is what the agent adds (turns, state, frames); the whole-stack
figure over real sockets (gateway, Lambda workers, ECS runner) adds IPC on top.

Then ``--concurrent`` users each ask at once: all must be answered, each on
its own connection, with gap-free seqs.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "WEBSOCKET_CALLBACK_URL": "http://127.0.0.1:9/dev",
        "LOG_LEVEL": "WARNING",
        "ARTIFACTS_BASE_URL": "http://127.0.0.1:8080/artifacts",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import support  # noqa: E402
from functional.test_agent_support import (  # noqa: E402
    EmbeddedAgent,
    FakeManagement,
    create_resources,
    fake_data_query,
)
from moto import mock_aws  # noqa: E402

from causal_agent import runtime  # noqa: E402
from causal_agent.clients import AgentClients  # noqa: E402
from causal_agent.settings import AgentSettings  # noqa: E402

QUESTION = "What is the effect of v0 on y?"
DATASET = "synthetic_linear"


def _answer_frames(management: FakeManagement, connection: str) -> list[dict]:
    return [frame for frame in management.frames.get(connection, []) if frame["type"] in ("answer", "error")]


def ask_and_wait(agent: EmbeddedAgent, connection: str, user: str, seconds: float = 300) -> tuple[float, dict]:
    started = time.perf_counter()
    agent.ask(connection, user, {"action": "query", "text": QUESTION, "datasetId": DATASET})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = _answer_frames(agent.clients.management, connection)
        if done:
            return time.perf_counter() - started, done[0]
        time.sleep(0.005)
    raise RuntimeError(f"no answer on {connection}")


def compute_floor(agent: EmbeddedAgent, csv_bytes: bytes, covariates: list[str]) -> float:
    """The same three tool calls, directly: DuckDB query, EDA with plots, DoWhy with refutations and graph."""
    import pandas as pd

    from causal_agent.planner import naive_query
    from causal_common.models.tools import CausalAnalysisArgs, EdaArgs
    from causal_tasks import plots
    from causal_tasks.causal import run_causal_analysis
    from causal_tasks.eda import run_eda_with_plots

    manifest_columns = list(covariates)
    started = time.perf_counter()
    agent.handlers["data-query"](
        {
            "sessionId": "floor",
            "datasetId": DATASET,
            "callId": "c",
            "arguments": {"sql": naive_query(agent_manifest, "v0", "y"), "limit": 50},
        },
        None,
    )
    frame = pd.read_csv(io.BytesIO(csv_bytes))
    run_eda_with_plots(
        frame, EdaArgs(treatment="v0", outcome="y", covariates=manifest_columns), default_covariates=covariates
    )
    args = CausalAnalysisArgs(treatment="v0", outcome="y", common_causes=manifest_columns)
    result = run_causal_analysis(frame, args, None, default_covariates=covariates)
    plots.causal_graph(result, [])
    return time.perf_counter() - started


def main() -> int:
    global agent_manifest
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=10)
    options = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)
    for noisy in ("dowhy", "causal_tasks", "causal_common"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    from causal_common.datasets import publish
    from causal_datasets.bundled import bundled_datasets

    bundled = {m.id: (m, data) for m, data in bundled_datasets(support.ARTIFACTS / "dataset-cache")}
    agent_manifest, csv_bytes = bundled[DATASET]
    covariates = [c.name for c in agent_manifest.with_role("covariate")]

    from moto.awslambda.models import LambdaFunction

    original_invoke = LambdaFunction._invoke_lambda
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        try:
            clients = AgentClients(AgentSettings())
            clients.management = FakeManagement()
            runtime._clients = clients
            create_resources(clients, [])
            publish(clients.s3, clients.names, agent_manifest, csv_bytes)
            agent = EmbeddedAgent(clients, lambda target, name, value: setattr(target, name, value), real_tools=True)

            ask_and_wait(agent, "warm", "warm-up")  # imports DoWhy, warms DuckDB's cache
            compute_floor(agent, csv_bytes, covariates)

            end_to_end, floors = [], []
            for index in range(options.questions):
                seconds, answer = ask_and_wait(agent, f"seq-{index}", "bench")
                assert answer["type"] == "answer" and answer["result"], answer
                end_to_end.append(seconds)
                floors.append(compute_floor(agent, csv_bytes, covariates))
            p50_e2e, p50_floor = statistics.median(end_to_end), statistics.median(floors)
            estimate = answer["result"]["estimate"]
            truth = agent_manifest.ground_truth.value
            print(
                f"questions: {options.questions} on {DATASET} ({agent_manifest.rows} rows), estimate {estimate:.4f} "
                f"vs true beta {truth:g} ({100 * abs(estimate - truth) / abs(truth):.2f}% off)"
            )
            print(
                f"query → answer through agent-sm  p50 {p50_e2e:.3f} s  (min {min(end_to_end):.3f}, "
                f"max {max(end_to_end):.3f})"
            )
            print(f"same analysis called directly    p50 {p50_floor:.3f} s  (compute floor)")
            print(
                f"orchestration overhead           p50 {p50_e2e - p50_floor:.3f} s  "
                f"(target < 1.5 s); ratio agent/floor {p50_e2e / p50_floor:.2f}x"
            )

            # The loop alone: the same four turns with tools that answer at once (contract fakes).
            agent.player.real_tools, agent.player.delay_seconds = False, 0.05
            real_query = agent.handlers["data-query"]
            agent.handlers["data-query"] = lambda event, context: fake_data_query(event)
            loop_only = [ask_and_wait(agent, f"loop-{index}", "bench")[0] for index in range(options.questions)]
            agent.handlers["data-query"], agent.player.real_tools = real_query, True
            print(
                f"agent loop alone (tools instant) p50 {statistics.median(loop_only):.3f} s  "
                f"(4 turns, 13 states, ~20 frames)"
            )

            results: dict[str, dict] = {}

            def one(user_index: int) -> None:
                results[f"user-{user_index}"] = ask_and_wait(agent, f"conc-{user_index}", f"user-{user_index}")[1]

            started = time.perf_counter()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(options.concurrent)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            wall = time.perf_counter() - started
            answered = sum(1 for a in results.values() if a["type"] == "answer")
            mixed = 0
            for index in range(options.concurrent):
                pushed = clients.management.frames.get(f"conc-{index}", [])
                sessions = {frame["sessionId"] for frame in pushed}
                seqs = [frame["seq"] for frame in pushed]
                if (
                    len(sessions) != 1
                    or seqs != list(range(1, len(seqs) + 1))
                    or pushed[0]["userId"] != f"user-{index}"
                ):
                    mixed += 1
            lost = sum(
                len(clients.outbox.stored_frames(a["sessionId"])) - len(clients.management.frames[f"conc-{i}"])
                for i, a in enumerate(results.values())
            )
            print(
                f"{options.concurrent} concurrent users: {answered} answered, {mixed} mixed up, {lost} frames lost, "
                f"wall {wall:.2f} s ({wall / options.concurrent:.2f} s per question; sequential p50 {p50_e2e:.2f} s)"
            )
            return 0 if answered == options.concurrent and mixed == 0 and lost == 0 else 1
        finally:
            LambdaFunction._invoke_lambda = original_invoke


agent_manifest = None

if __name__ == "__main__":
    sys.exit(main())
