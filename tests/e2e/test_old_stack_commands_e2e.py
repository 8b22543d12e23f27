"""The three operator commands of the old stack's report, typed verbatim,
against a stack started with `causal-stack up`; and the old dashboard address
:4567 when its port is taken."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from contextlib import closing

import pytest
from stack_support import start_stack, stop_stack
from support import ROOT, free_port

from causal_common.names import FUNCTIONS, ResourceNames
from causal_stack.launcher import RESOURCES_PORT

pytestmark = pytest.mark.slow
NAMES = ResourceNames()

# Exactly as the old report's "Command Reference" prints them.
CHECK_LAMBDA_STATUS = (
    "awslocal --region eu-central-1 lambda get-function --function-name causal-analysis-dev-parse-initial-query "
    "--query 'Configuration.[State,StateReason]'"
)
TEST_STEP_FUNCTIONS = (
    "awslocal --region eu-central-1 stepfunctions start-execution --state-machine-arn "
    "arn:aws:states:eu-central-1:000000000000:stateMachine:causal-analysis-dev-agent-sm --input "
    """'{"sessionId":"test","query":{"text":"test"},"networkConfig":{"subnets":["subnet-local"],"securityGroups":["sg-local"]}}'"""
)
VIEW_RESOURCES = "curl -s http://localhost:4567/api/resources | jq"


def shell(stack, command: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator types it, in bash, with the project's tools on PATH."""
    env = stack.env()
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], env=env, capture_output=True, text=True, timeout=120
    )


def gateway_resources(stack) -> dict:
    with closing(stack.operator_client()) as client:
        return client.get("/api/resources").json()


def test_the_old_lambda_status_command(stack):
    result = shell(stack, CHECK_LAMBDA_STATUS)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == "Active"


def test_the_old_start_execution_command(stack):
    result = shell(stack, TEST_STEP_FUNCTIONS)

    assert result.returncode == 0, result.stderr
    started = json.loads(result.stdout)
    assert started["executionArn"].startswith(f"{NAMES.state_machine_arn.replace(':stateMachine:', ':execution:')}:")


def test_the_old_view_resources_command(stack, tmp_path):
    if stack.resources_port != RESOURCES_PORT:
        pytest.skip(
            f"port {RESOURCES_PORT} was taken by another program when the stack started; "
            "the old command names that port literally"
        )
    with_jq = shutil.which("jq") is not None
    command = VIEW_RESOURCES if with_jq else VIEW_RESOURCES.removesuffix(" | jq")

    # Typed as in the old report, verbatim, it lists this stack's resources (names and counts need no login).
    result = shell(stack, command)

    assert result.returncode == 0, result.stderr
    resources = json.loads(result.stdout)
    assert {"tables", "buckets", "secrets", "stateMachines", "functions", "ecs"} <= set(resources)
    assert {row["name"] for row in resources["tables"]} == {row["name"] for row in gateway_resources(stack)["tables"]}
    assert {row["name"] for row in resources["functions"]} >= {NAMES.function(name) for name in FUNCTIONS}
    # Secret names only, never values.
    assert "SecretString" not in result.stdout
    # The old dashboard page is there too, behind the dashboard's login.
    jar = tmp_path / "cookies"
    login = shell(
        stack,
        f"curl -s -o /dev/null -w '%{{http_code}}' -c {jar} --data-urlencode key={stack.operator_key()} "
        f"-d next=/dashboard http://localhost:{RESOURCES_PORT}/login",
    )
    assert login.stdout == "303", login.stdout + login.stderr
    page = shell(
        stack, f"curl -s -b {jar} -o /dev/null -w '%{{http_code}}' http://localhost:{RESOURCES_PORT}/dashboard"
    )
    assert page.stdout == "200"
    anonymous_page = shell(
        stack, f"curl -s -o /dev/null -w '%{{http_code}}' http://localhost:{RESOURCES_PORT}/dashboard"
    )
    assert anonymous_page.stdout == "303"


def test_a_taken_resources_port_is_reported_and_the_stack_still_starts():
    holder = socket.socket()
    holder.bind(("127.0.0.1", free_port()))
    holder.listen()
    taken = holder.getsockname()[1]
    try:
        stack = start_stack(resources_port=taken)
        try:
            output = "".join(stack.output)
            assert f"port {taken} on 127.0.0.1 is in use" in output
            assert "--resources-port" in output
            ready = next(line for line in stack.output if "causal-stack ready" in line)
            assert "resources on the gateway port only" in ready
            with closing(stack.operator_client()) as client:
                assert client.get("/api/resources").status_code == 200
        finally:
            stop_stack(stack)
    finally:
        holder.close()


def test_doctor_checks_the_old_dashboard_address(stack):
    cli = ROOT / ".venv" / "bin" / "causal-stack"
    served = f"http://127.0.0.1:{stack.resources_port}"
    down = f"http://127.0.0.1:{free_port()}"

    healthy = subprocess.run(
        [str(cli), "doctor", "--gateway-url", stack.gateway_url, "--resources-url", served],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    broken = subprocess.run(
        [str(cli), "doctor", "--gateway-url", stack.gateway_url, "--resources-url", down],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert f"ok    old dashboard address: {served}/api/resources answers with this stack's resources" in healthy.stdout
    assert broken.returncode == 1
    assert f"FAIL  old dashboard address: {down}/api/resources: nothing answers" in broken.stdout
    assert "--resources-port" in broken.stdout
