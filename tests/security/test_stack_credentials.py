"""The embedded stack signs with a pair of its own, which only its owner can read; the owner's old
commands work verbatim, and another local user is refused even with the well-known pair ``test``/``test``.

Before, ``test``/``test`` was the stack's credential: any local user could CreateFunction + Invoke and
run code as the stack's user, or RunTask on the ECS runner.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator

import pytest
from security.conftest import as_other_user, curl_as_other_user, needs_other_user, signed_headers
from stack_support import RunningStack, running_stack
from support import ROOT

from causal_common.names import ResourceNames

pytestmark = pytest.mark.slow

NAMES = ResourceNames()
STACK_DIR = ROOT / ".stack"
# As the README prints it.
CHECK_LAMBDA_STATUS = (
    "awslocal --region eu-central-1 lambda get-function --function-name causal-analysis-dev-parse-initial-query "
    "--query 'Configuration.[State,StateReason]'"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running


def owner_shell(stack: RunningStack, command: str) -> subprocess.CompletedProcess[str]:
    """``command`` in the owner's fresh shell: no AWS credentials or profile of its own, the project's
    tools on PATH, the stack's address where awslocal looks for it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["AWS_ENDPOINT_URL"] = stack.aws_endpoint
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_stack_has_its_own_pair_and_only_its_owner_can_read_it(stack) -> None:
    for name in ("credentials", "env"):
        mode = stat.S_IMODE((STACK_DIR / name).stat().st_mode)
        assert mode == 0o600, f".stack/{name} is {oct(mode)}"
    assert stat.S_IMODE(STACK_DIR.stat().st_mode) == 0o700
    text = (STACK_DIR / "env").read_text()
    assert "AWS_ACCESS_KEY_ID=test\n" not in text and "AWS_SECRET_ACCESS_KEY=test\n" not in text
    # Every tool of the owner's signs with it: the env file, the profile, the CLI.
    identity = owner_shell(stack, ". .stack/env && aws --endpoint-url $AWS_ENDPOINT_URL sts get-caller-identity")
    assert identity.returncode == 0, identity.stderr
    profile = owner_shell(
        stack,
        "AWS_SHARED_CREDENTIALS_FILE=.stack/credentials AWS_PROFILE=causal-stack "
        "aws --endpoint-url $AWS_ENDPOINT_URL --region eu-central-1 dynamodb list-tables",
    )
    assert profile.returncode == 0, profile.stderr
    assert NAMES.jobs_table in profile.stdout
    status = owner_shell(stack, f"causal-stack status --endpoint-url {stack.aws_endpoint} --json")
    assert status.returncode == 0, status.stderr


def test_the_owners_old_awslocal_command_works_verbatim(stack) -> None:
    result = owner_shell(stack, CHECK_LAMBDA_STATUS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == "Active"


@needs_other_user
def test_another_user_cannot_read_the_pair(stack) -> None:
    for name in ("credentials", "env"):
        assert "aws_secret_access_key" in (STACK_DIR / name).read_text().lower()  # the owner reads it
        done = as_other_user(["cat", str(STACK_DIR / name)])
        assert done.returncode != 0 and "aws_secret_access_key" not in done.stdout.lower()


@needs_other_user
def test_another_user_with_the_well_known_pair_can_neither_list_nor_invoke_functions(stack) -> None:
    function = f"{stack.aws_endpoint}/2015-03-31/functions/{NAMES.function('parse-initial-query')}/invocations"
    body = json.dumps({"sessionId": "from-another-user", "query": {"text": "id"}}).encode()
    headers = {
        **signed_headers("POST", function, "test", "test", service="lambda", body=body),
        "Content-Type": "application/json",
    }
    status, text = curl_as_other_user("POST", function, headers, body)
    assert status == 403 and "security token included in the request is invalid" in text, text
    listing = f"{stack.aws_endpoint}/2015-03-31/functions/"
    status, text = curl_as_other_user("GET", listing, signed_headers("GET", listing, "test", "test", service="lambda"))
    assert status == 403 and NAMES.function("parse-initial-query") not in text


@needs_other_user
def test_another_user_with_the_well_known_pair_cannot_run_a_task(stack, tmp_path) -> None:
    body = json.dumps(
        {
            "cluster": NAMES.cluster,
            "taskDefinition": NAMES.task_family("causal-analysis"),
            "overrides": {"containerOverrides": [{"command": ["sh", "-c", f"id > {tmp_path / 'ran'}"]}]},
        }
    ).encode()
    url = f"{stack.ecs_endpoint}/"
    headers = {
        **signed_headers("POST", url, "test", "test", service="ecs", body=body),
        "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.RunTask",
        "Content-Type": "application/x-amz-json-1.1",
    }
    status, text = curl_as_other_user("POST", url, headers, body)
    assert status in (400, 403) and "UnrecognizedClient" in text, text
    assert not (tmp_path / "ran").exists()
