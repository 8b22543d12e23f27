"""Deploy timings against a moto server: first deploy with a cold and a warm
zip cache, and a no-op re-deploy (the baseline it is compared with); then the
AWS target against moto as the AWS double (in-process): first deploy, no-op
re-deploy, a plan, and a deploy after one change (one function's memory).

    .venv/bin/python bench/deploy_bench.py [--no-datasets] [--repeat N] [--no-aws]
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("OPENAI_API_KEY", None)

from moto.server import ThreadedMotoServer  # noqa: E402

from causal_deploy import DeployConfig, deploy, manifest  # noqa: E402
from causal_deploy.config import Target  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(config: DeployConfig, plan: bool = False) -> tuple[float, int]:
    started = time.perf_counter()
    report = deploy(config, plan=plan)
    elapsed = time.perf_counter() - started
    if not report.ok:
        sys.exit(f"deploy reported problems: {report.problems}")
    return elapsed, len(report.changed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-datasets", action="store_true", help="skip publishing the bundled datasets")
    parser.add_argument("--repeat", type=int, default=3, help="no-op re-deploys to time (median reported)")
    parser.add_argument("--no-aws", action="store_true", help="skip the AWS target against moto")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="deploy-bench-") as state_dir:

            def config(prefix: str) -> DeployConfig:
                return DeployConfig(
                    endpoint_url=endpoint,
                    endpoint_url_ecs=endpoint,
                    resource_prefix=prefix,
                    state_dir=Path(state_dir),
                    publish_datasets=not args.no_datasets,
                )

            cold_prefix, warm_prefix = f"b{uuid.uuid4().hex[:6]}-", f"b{uuid.uuid4().hex[:6]}-"
            cold, cold_changed = timed(config(cold_prefix))
            warm, warm_changed = timed(config(warm_prefix))
            noops = [timed(config(warm_prefix)) for _ in range(args.repeat)]
            noop = statistics.median(seconds for seconds, _ in noops)
            noop_changed = max(changed for _, changed in noops)
    finally:
        server.stop()

    print(f"deploy bench against moto at {endpoint} (datasets {'off' if args.no_datasets else 'on'})")
    print(f"  first deploy, cold zip cache : {cold:6.2f} s  ({cold_changed} resources created)")
    print(f"  first deploy, warm zip cache : {warm:6.2f} s  ({warm_changed} resources created)")
    print(f"  no-op re-deploy (median of {args.repeat}): {noop:6.2f} s  ({noop_changed} resources changed)")
    print(f"  ratio no-op / first (cold)   : {noop / cold:6.3f}")
    print(f"  ratio no-op / first (warm)   : {noop / warm:6.3f}")
    if not args.no_aws:
        aws_target(args)


def aws_target(args: argparse.Namespace) -> None:
    """The AWS target (API Gateway, ECR, log groups, tags and all) against moto's in-process AWS double."""
    import boto3
    from moto import mock_aws

    with mock_aws(), tempfile.TemporaryDirectory(prefix="deploy-bench-aws-") as state_dir:
        subnets = [
            subnet["SubnetId"]
            for subnet in boto3.client("ec2", region_name="eu-central-1").describe_subnets()["Subnets"]
            if subnet["DefaultForAz"]
        ]
        config = DeployConfig(
            target=Target.AWS,
            resource_prefix=f"a{uuid.uuid4().hex[:6]}-",
            state_dir=Path(state_dir),
            publish_datasets=not args.no_datasets,
            ecs_subnets=subnets[:2],
            deps_source="local",  # the zips of the warm runs above; pip wheels would time the network
        )
        first, first_changed = timed(config)
        noops = [timed(config) for _ in range(args.repeat)]
        noop = statistics.median(seconds for seconds, _ in noops)
        noop_changed = max(changed for _, changed in noops)
        memory_seconds, memory = manifest.FUNCTION_LIMITS["data-query"]
        manifest.FUNCTION_LIMITS["data-query"] = (memory_seconds, memory * 2)
        try:
            plan, plan_changed = timed(config, plan=True)
            changed, changed_count = timed(config)
        finally:
            manifest.FUNCTION_LIMITS["data-query"] = (memory_seconds, memory)
    print("deploy bench, target aws against moto's in-process AWS double (mock_aws)")
    print(f"  first deploy, cold zip cache : {first:6.2f} s  ({first_changed} resources created)")
    print(f"  no-op re-deploy (median of {args.repeat}): {noop:6.2f} s  ({noop_changed} resources changed)")
    print(f"  plan after one change        : {plan:6.2f} s  ({plan_changed} resources would change)")
    print(f"  deploy after one change      : {changed:6.2f} s  ({changed_count} resources changed)")
    print(f"  ratio no-op / first          : {noop / first:6.3f}")
    print(f"  ratio one change / first     : {changed / first:6.3f}")


if __name__ == "__main__":
    main()
