"""``causal-stack`` as a user runs it: the console script, against a moto server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from support import LAMBDAS, ROOT, free_port

from causal_common.names import FUNCTIONS

CLI = ROOT / ".venv" / "bin" / "causal-stack"
ASL = {
    "StartAt": "Finish",
    "States": {"Finish": {"Type": "Task", "Resource": "${FunctionArn:handle-finish}", "End": True}},
}


def run(*args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "OPENAI_"))}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-central-1"})
    env.update(extra_env)
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    lambdas = root / "lambdas"
    lambdas.mkdir()
    shutil.copytree(LAMBDAS / "causal_common", lambdas / "causal_common", ignore=shutil.ignore_patterns("__pycache__"))
    for function in FUNCTIONS:
        (lambdas / function).mkdir()
        (lambdas / function / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (lambdas / "state-machine.asl.json").write_text(json.dumps(ASL))
    return root


@pytest.fixture(scope="module")
def deployed(moto_endpoint, source) -> tuple[str, list[str]]:
    """One deployed stack (its prefix, and the flags that reach it) shared by the read-only commands."""
    prefix = f"c{uuid.uuid4().hex[:8]}-"
    flags = ["--endpoint-url", moto_endpoint, "--ecs-endpoint-url", moto_endpoint, "--prefix", prefix]
    result = run("deploy", *flags, "--source-dir", str(source), "--no-datasets")
    assert result.returncode == 0, result.stderr
    assert "created   function" in result.stdout
    return prefix, flags


def test_help_lists_every_command():
    result = run("--help")

    assert result.returncode == 0
    for command in ("up", "deploy", "status", "doctor", "token", "upload", "chat"):
        assert command in result.stdout
    deploy_help = run("deploy", "--help").stdout
    assert "--endpoint-url" in deploy_help and "--target" in deploy_help


def test_second_deploy_says_nothing_changed_and_json_is_machine_readable(deployed, source):
    prefix, flags = deployed

    result = run("deploy", *flags, "--source-dir", str(source), "--no-datasets", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["changed"] == 0
    assert report["counts"]["unchanged"] == len(report["resources"])
    assert {r["name"] for r in report["resources"]} >= {f"{prefix}{f}" for f in FUNCTIONS}


def test_status_shows_tables_buckets_functions_and_executions(deployed, moto_endpoint):
    prefix, flags = deployed
    import boto3

    stepfunctions = boto3.client("stepfunctions", region_name="eu-central-1", endpoint_url=moto_endpoint)
    arn = f"arn:aws:states:eu-central-1:123456789012:stateMachine:{prefix}agent-sm"
    stepfunctions.start_execution(stateMachineArn=arn, name="status-check", input="{}")

    text = run("status", *flags)
    as_json = run("status", *flags, "--json")

    assert text.returncode == 0, text.stderr
    assert f"{prefix}sessions" in text.stdout and f"{prefix}datasets" in text.stdout
    assert f"{prefix}data-query" in text.stdout and "Active" in text.stdout
    assert "status-check" in text.stdout
    status = json.loads(as_json.stdout)
    assert status["tables"][f"{prefix}jobs"] == 0
    assert all(state["state"] == "Active" for state in status["functions"].values())
    assert status["state_machine"] == arn


def test_doctor_passes_on_a_deployed_stack(deployed):
    _, flags = deployed

    result = run("doctor", *flags)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert "FAIL" not in result.stdout


def test_doctor_fails_with_a_hint_when_nothing_is_deployed(moto_endpoint):
    result = run(
        "doctor", "--endpoint-url", moto_endpoint, "--ecs-endpoint-url", moto_endpoint, "--prefix", "absent-", "--json"
    )

    assert result.returncode == 1
    report = json.loads(result.stdout)
    failed = {check["name"]: check for check in report["checks"] if not check["ok"]}
    assert "function absent-parse-initial-query" in failed
    assert "causal-stack deploy" in failed["function absent-parse-initial-query"]["hint"]
    assert "state machine absent-agent-sm" in failed


def test_doctor_reports_a_down_endpoint_and_gateway(deployed):
    down = f"http://127.0.0.1:{free_port()}"

    result = run("doctor", "--endpoint-url", down, "--ecs-endpoint-url", down, "--gateway-url", down, timeout=60)

    assert result.returncode == 1
    assert f"FAIL  AWS endpoint: nothing answers at {down}" in result.stdout
    assert "causal-stack up" in result.stdout
    assert "FAIL  ECS endpoint" in result.stdout and "FAIL  gateway" in result.stdout


def test_deploy_to_a_down_endpoint_exits_with_one_clear_line(source):
    down = f"http://127.0.0.1:{free_port()}"

    result = run("deploy", "--endpoint-url", down, "--source-dir", str(source), timeout=60, DEPLOY_ENDPOINT_WAIT="2")

    assert result.returncode == 2
    assert f"error: nothing answers at {down}" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_is_signed_with_the_deployed_key(deployed, moto_endpoint):
    prefix, flags = deployed
    import boto3

    from causal_common.tokens import verify_token

    result = run("token", *flags, "--user", "alice", "--ttl", "600")

    assert result.returncode == 0, result.stderr
    secrets = boto3.client("secretsmanager", region_name="eu-central-1", endpoint_url=moto_endpoint)
    key = secrets.get_secret_value(SecretId=f"{prefix}gateway-token-signing-key")["SecretString"]
    assert verify_token(key, result.stdout.strip()).user_id == "alice"


def test_upload_publishes_a_csv_through_the_gateway_and_rejects_a_bad_one(deployed, moto_endpoint, tmp_path):
    from gateway_testing import running_gateway

    prefix, _ = deployed
    good = tmp_path / "good.csv"
    good.write_text("treated,earnings\n1,10.5\n0,7.25\n1,12.0\n")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")

    with running_gateway(moto_endpoint, create_secrets=False, resource_prefix=prefix) as gateway:
        uploaded = run("upload", "--gateway-url", gateway.url, str(good), "--id", "my-data")
        refused = run("upload", "--gateway-url", gateway.url, str(bad), "--id", "empty-data")

    assert uploaded.returncode == 0, uploaded.stderr
    assert "uploaded my-data: 3 rows" in uploaded.stdout
    assert refused.returncode == 2
    assert "error: upload refused (400):" in refused.stderr and "is empty" in refused.stderr


def test_local_commands_need_no_aws_credentials_of_the_user(deployed):
    prefix, flags = deployed
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "OPENAI_"))}
    env["HOME"] = str(Path(env.get("TMPDIR", "/tmp")) / f"no-aws-{uuid.uuid4().hex[:6]}")  # no ~/.aws either
    result = subprocess.run(
        [str(CLI), "status", *flags], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "credentials" not in result.stderr.lower()
