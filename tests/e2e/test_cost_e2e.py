"""The AWS cost estimate from a real local run: a question that runs the whole path gives every
category usage, and `causal-stack status` prints the estimate."""

from __future__ import annotations

import asyncio
import subprocess

import boto3
import pytest
from e2e.test_agent_e2e import ask
from stack_support import CLI

from causal_common.names import ResourceNames
from causal_dashboard.cost import collect_usage

pytestmark = pytest.mark.slow
NAMES = ResourceNames()


def test_a_real_question_gives_usage_in_every_category_it_used(stack):
    frames = asyncio.run(ask(stack, "cora", "What is the effect of treat on re78?", "lalonde_nsw"))
    assert frames[-1]["type"] == "answer"

    def client(service: str, endpoint: str | None = None):
        return boto3.client(service, endpoint_url=endpoint or stack.aws_endpoint, region_name="eu-central-1")

    usage = collect_usage(
        names=NAMES,
        stepfunctions=client("stepfunctions"),
        awslambda=client("lambda"),
        logs=client("logs"),
        dynamodb=client("dynamodb"),
        ecs=client("ecs", stack.ecs_endpoint),
    )
    assert usage.conversations >= 1 and usage.executions >= 1
    assert usage.state_transitions > 0
    assert usage.lambda_requests > 0 and usage.lambda_gb_seconds > 0
    assert usage.websocket_messages >= len(frames) and usage.websocket_connection_minutes > 0
    assert usage.fargate_vcpu_seconds > 0 and usage.fargate_gb_seconds > 0  # the EDA and analysis tasks
    assert usage.dynamodb_read_units > 0 and usage.dynamodb_write_units > 0

    status = subprocess.run([str(CLI), "status"], env=stack.env(), capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    print(status.stdout)
    section = status.stdout.split("cost on AWS (estimate):", 1)[1]
    assert "per conversation $" in section and "per 1,000 conversations $" in section
    assert "Fargate vCPU" in section and "Step Functions transitions" in section
