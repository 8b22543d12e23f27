"""Causal-analysis and EDA task cost: through the local ECS runner vs a bare DoWhy script vs numpy lstsq,
and each estimator of each design on its own.

    .venv/bin/python bench/tools_bench.py [--rows 10000 100000] [--simulations 5] [--estimators-only]

Starts a moto server and the runner (subprocess backend, warm worker) in this
process, runs the causal task end to end at each size, then the same
``run_causal_analysis`` call in a fresh bare Python process, and a numpy
least-squares fit of the same adjustment (the floor). Then, per size, the time
of every estimator and check the pipeline runs (doubly robust, linear
regression, matching, weighting, refuters, sensitivity, 2SLS, two-way fixed
effects, local linear RDD), in this process, against the same lstsq floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import free_port  # noqa: E402

from causal_common.datasets import publish  # noqa: E402
from causal_common.models.datasets import DatasetManifest, data_key  # noqa: E402
from causal_common.names import ResourceNames  # noqa: E402
from causal_datasets.inference import columns_of  # noqa: E402
from causal_ecs_runner.__main__ import build, front_door  # noqa: E402
from causal_ecs_runner.api import make_server  # noqa: E402
from causal_ecs_runner.backends.subprocess import SubprocessBackend  # noqa: E402
from causal_ecs_runner.settings import RunnerSettings  # noqa: E402

# Local moto only: fixed dummy credentials, as the tests use.
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-central-1"})
NAMES = ResourceNames(prefix="bench-")
REGION = "eu-central-1"

BARE = """
import resource, sys, time, json
started = time.perf_counter()
import pandas as pd
from causal_tasks.causal import run_causal_analysis
from causal_common.models.tools import CausalAnalysisArgs
imported = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
run_causal_analysis(frame, CausalAnalysisArgs(treatment="v0", outcome="y", refutation_simulations=int(sys.argv[2])),
                    lambda *a: None, default_covariates=["W0", "W1", "W2", "W3", "W4"])
done = time.perf_counter()
print(json.dumps({"total": done - started, "import": imported - started, "analysis": done - imported,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def synthetic(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    common = rng.normal(size=(rows, 5))
    treated = (common @ np.array([0.8, 0.5, -0.4, 0.3, 0.2]) + rng.normal(size=rows) > 0).astype(int)
    outcome = 10 * treated + common @ np.array([1.0, 2.0, -1.0, 0.5, 0.3]) + rng.normal(size=rows)
    frame = pd.DataFrame(common, columns=[f"W{i}" for i in range(5)])
    frame["v0"], frame["y"] = treated, outcome
    return frame


def lstsq_seconds(frame: pd.DataFrame) -> float:
    started = time.perf_counter()
    design = np.column_stack([np.ones(len(frame)), frame["v0"], frame[[f"W{i}" for i in range(5)]]])
    np.linalg.lstsq(design, frame["y"].to_numpy(), rcond=None)
    return time.perf_counter() - started


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def estimator_times(rows: int, simulations: int) -> list[tuple[str, float]]:
    """Each estimator and check of the pipeline, timed alone on ``rows`` rows (the data of its design)."""
    import warnings

    from causal_common.models.tools import CausalAnalysisArgs
    from causal_tasks import backdoor, did, doubly_robust, iv, rdd, refuters, sensitivity
    from causal_tasks.causal import run_causal_analysis
    from causal_tasks.design import DesignChoice
    from causal_tasks.estimation import dowhy_estimate, dowhy_model

    warnings.simplefilter("ignore")
    frame = synthetic(rows)
    covariates = [f"W{i}" for i in range(5)]
    features, treatment, outcome = frame[covariates].to_numpy(), frame["v0"].to_numpy(), frame["y"].to_numpy()
    model, estimand = dowhy_model(frame, "v0", "y", covariates)
    linear = dowhy_estimate(model, estimand, "backdoor.linear_regression", "ate", confidence_intervals=True)
    times = [
        (
            "doubly robust AIPW (cross-fitted nuisances)",
            _seconds(lambda: doubly_robust.aipw(features, treatment, outcome)),
        ),
        (
            "doubly robust partially linear DML (continuous)",
            _seconds(lambda: doubly_robust.partially_linear(features, features[:, 0] + treatment, outcome)),
        ),
        (
            "linear regression (DoWhy, with interval)",
            _seconds(
                lambda: dowhy_estimate(model, estimand, "backdoor.linear_regression", "ate", confidence_intervals=True)
            ),
        ),
        (
            "propensity-score matching (DoWhy)",
            _seconds(
                lambda: dowhy_estimate(
                    model,
                    estimand,
                    "backdoor.propensity_score_matching",
                    "ate",
                    method_params=backdoor._propensity_params("backdoor.propensity_score_matching"),
                )
            ),
        ),
        (
            "propensity-score weighting (DoWhy)",
            _seconds(
                lambda: dowhy_estimate(
                    model,
                    estimand,
                    "backdoor.propensity_score_weighting",
                    "ate",
                    method_params=backdoor._propensity_params("backdoor.propensity_score_weighting"),
                )
            ),
        ),
        (
            f"refuters ×3 ({refuters.simulations_for(rows, simulations)[0]} simulations each)",
            _seconds(
                lambda: refuters.refute(
                    model,
                    linear,
                    10.0,
                    0.05,
                    refuters.simulations_for(rows, simulations)[0],
                    lambda *_: None,
                    "estimate",
                )
            ),
        ),
        (
            "sensitivity (DoWhy linear partial R²)",
            _seconds(lambda: sensitivity.dowhy_robustness_value(model, linear, "W0")),
        ),
    ]
    rng = np.random.default_rng(1)
    instrumented = frame.assign(z=rng.normal(size=rows))
    instrumented["v0"] = instrumented["v0"] + 0.5 * instrumented["z"]
    times.append(
        (
            "2SLS (linearmodels, first-stage F)",
            _seconds(lambda: iv.two_stage_least_squares(instrumented, "v0", "y", ["z"], covariates)),
        )
    )
    units = rows // 10
    panel = pd.DataFrame({"unit": np.repeat(np.arange(units), 10), "period": np.tile(np.arange(10), units)})
    group = (rng.uniform(size=units) < 0.4)[panel["unit"]]
    panel["t"] = (group & (panel["period"] >= 6)).astype(float)
    panel["y"] = rng.normal(size=rows) + 2 * panel["t"] + group
    times.append(
        (
            "two-way fixed effects + pre-trend test",
            _seconds(
                lambda: did.estimate(
                    panel,
                    CausalAnalysisArgs(treatment="t", outcome="y"),
                    [],
                    DesignChoice("did", "", time="period", unit="unit"),
                    lambda *_: None,
                )
            ),
        )
    )
    running = rng.uniform(0, 100, rows)
    cutoff_frame = pd.DataFrame({"score": running, "t": (running >= 60).astype(float)})
    cutoff_frame["y"] = 2 * cutoff_frame["t"] + 0.05 * running + rng.normal(size=rows)
    times.append(
        (
            "local linear RDD (rdrobust)",
            _seconds(
                lambda: rdd.estimate(
                    cutoff_frame,
                    CausalAnalysisArgs(treatment="t", outcome="y"),
                    [],
                    DesignChoice("rdd", "", running="score", cutoff=60.0),
                    lambda *_: None,
                )
            ),
        )
    )
    times.append(
        (
            "whole backdoor analysis (run_causal_analysis)",
            _seconds(
                lambda: run_causal_analysis(
                    frame,
                    CausalAnalysisArgs(treatment="v0", outcome="y", refutation_simulations=simulations),
                    lambda *_: None,
                    default_covariates=covariates,
                )
            ),
        )
    )
    return times


def print_estimator_times(row_counts: list[int], simulations: int) -> None:
    import os as _os

    # Warm up imports and first-fit costs so the table measures the work, not the imports.
    estimator_times(2_000, 1)
    table = {rows: estimator_times(rows, simulations) for rows in row_counts}
    print(f"\nper estimator (seconds, this process; load average {_os.getloadavg()[0]:.1f} on {_os.cpu_count()} cores)")
    print(f"{'estimator':<52}" + "".join(f"{rows:>12,}" for rows in row_counts))
    for index, (name, _) in enumerate(table[row_counts[0]]):
        print(f"{name:<52}" + "".join(f"{table[rows][index][1]:>12.3f}" for rows in row_counts))
    floors = [min(lstsq_seconds(synthetic(rows)) for _ in range(5)) for rows in row_counts]
    print(f"{'numpy lstsq of the same adjustment (floor)':<52}" + "".join(f"{floor:>12.4f}" for floor in floors))
    whole = [table[rows][-1][1] for rows in row_counts]
    print(f"{'ratio whole analysis / floor':<52}" + "".join(f"{w / f:>12.0f}" for w, f in zip(whole, floors)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--simulations", type=int, default=5)
    parser.add_argument("--estimators-only", action="store_true", help="only the per-estimator table")
    options = parser.parse_args()
    if options.estimators_only:
        print_estimator_times(options.rows, options.simulations)
        return

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto._port}"
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    for table, keys in (
        (NAMES.jobs_table, [("jobId", "S")]),
        (NAMES.sessions_table, [("sessionId", "S")]),
        (NAMES.pending_messages_table, [("sessionId", "S"), ("seq", "N")]),
    ):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys],
            KeySchema=[{"AttributeName": n, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (n, _) in enumerate(keys)],
        )
    for bucket in (NAMES.datasets_bucket, NAMES.artifacts_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    workdir = Path(tempfile.mkdtemp(prefix="tools-bench-"))
    environ = {
        "AWS_ENDPOINT_URL": endpoint,
        "RESOURCE_PREFIX": NAMES.prefix,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "LOG_LEVEL": "WARNING",
        "ARTIFACTS_BASE_URL": "http://127.0.0.1:8080/artifacts",
    }
    settings = RunnerSettings(AWS_ENDPOINT_URL=endpoint, RESOURCE_PREFIX=NAMES.prefix, ECS_RUNNER_POLL_SECONDS=0.05)
    results = {}
    for warm in (True, False):
        backend = SubprocessBackend(workdir / ("warm" if warm else "cold"), settings.warm_modules if warm else None)
        service, watcher = build(settings, backend, environ)
        server = make_server("127.0.0.1", free_port(), service, front_door(RunnerSettings()))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        watcher.start()
        if warm:
            backend.wait_warm(120)
            print(f"warm worker import: {backend.warm_import_seconds:.2f} s (paid once, at runner start)")
        ecs = boto3.client("ecs", region_name=REGION, endpoint_url=f"http://127.0.0.1:{server.server_address[1]}")
        ecs.create_cluster(clusterName=NAMES.cluster)
        for family in ("causal-analysis", "eda"):
            ecs.register_task_definition(
                family=NAMES.task_family(family),
                containerDefinitions=[
                    {"name": "task", "image": "local", "command": ["python", "-m", "causal_tasks", family]}
                ],
            )

        def run_task(family: str, dataset_id: str, arguments: dict) -> float:
            job_id = f"{family}-{dataset_id}-{warm}"
            item = {
                "jobId": job_id,
                "sessionId": "bench",
                "callId": "c",
                "datasetId": dataset_id,
                "arguments": json.dumps(arguments),
                "taskToken": "",
                "status": "PENDING",
            }
            dynamodb.put_item(TableName=NAMES.jobs_table, Item={k: {"S": v} for k, v in item.items()})
            started = time.perf_counter()
            arn = ecs.run_task(
                cluster=NAMES.cluster,
                taskDefinition=NAMES.task_family(family),
                overrides={
                    "containerOverrides": [{"name": "task", "environment": [{"name": "JOB_ID", "value": job_id}]}]
                },
            )["tasks"][0]["taskArn"]
            while ecs.describe_tasks(cluster=NAMES.cluster, tasks=[arn])["tasks"][0]["lastStatus"] != "STOPPED":
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            status = dynamodb.get_item(TableName=NAMES.jobs_table, Key={"jobId": {"S": job_id}})["Item"]["status"]["S"]
            assert status == "SUCCEEDED", (job_id, status)
            return elapsed

        for rows in options.rows:
            frame = synthetic(rows)
            dataset_id = f"bench-{rows}"
            manifest = DatasetManifest(
                id=dataset_id,
                title=dataset_id,
                description="bench",
                rows=rows,
                columns=columns_of(frame),
                data_key=data_key(dataset_id),
                origin="uploaded",
            )
            csv_bytes = frame.to_csv(index=False).encode()
            publish(s3, NAMES, manifest, csv_bytes)
            (workdir / f"{dataset_id}.csv").write_bytes(csv_bytes)
            seconds = run_task(
                "causal-analysis",
                dataset_id,
                {"treatment": "v0", "outcome": "y", "refutation_simulations": options.simulations},
            )
            results.setdefault(rows, {})["runner_warm" if warm else "runner_cold"] = seconds
            if warm:
                results[rows]["eda"] = run_task("eda", dataset_id, {"treatment": "v0", "outcome": "y"})
        watcher.close()
        server.shutdown()
        backend.close()

    print(
        f"\n{'rows':>8} {'runner(warm) s':>15} {'runner(cold) s':>15} {'bare script s':>14} {'(import s)':>10} "
        f"{'ratio warm/bare':>16} {'lstsq ms':>9} {'bare peak MB':>13} {'EDA task s':>11}"
    )
    for rows in options.rows:
        bare = json.loads(
            subprocess.run(
                [sys.executable, "-c", BARE, str(workdir / f"bench-{rows}.csv"), str(options.simulations)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        floor = min(lstsq_seconds(synthetic(rows)) for _ in range(5))
        r = results[rows]
        print(
            f"{rows:>8} {r['runner_warm']:>15.2f} {r['runner_cold']:>15.2f} {bare['total']:>14.2f} {bare['import']:>10.2f} "
            f"{r['runner_warm'] / bare['total']:>16.2f} {floor * 1000:>9.2f} {bare['maxrss_mb']:>13.0f} {r['eda']:>11.2f}"
        )
    print(
        "\nratio warm/bare < 1 means the runner (with S3, DynamoDB, plots and heartbeats) beats a cold bare script,"
        " because the warm worker already imported DoWhy; runner(cold) - runner(warm) is the import saved per task."
    )
    moto.stop()
    print_estimator_times(options.rows, options.simulations)


if __name__ == "__main__":
    main()
