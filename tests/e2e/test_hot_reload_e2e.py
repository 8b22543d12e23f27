"""``causal-stack up --watch`` on a temporary copy of the functions: a saved handler serves at once.

The stack deploys from the copy (``CAUSAL_STACK_SOURCE_DIR``), so the checkout's files are never edited.
A real handler file is edited and the next invocation runs the new code; a syntax error is reported with
its file and line (terminal and dashboard) while the previous code keeps serving; the ASL updates the
state machine.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from stack_support import ROOT, RunningStack, start_stack, stop_stack

from causal_common.names import ResourceNames

pytestmark = pytest.mark.slow
NAMES = ResourceNames()
FUNCTION = "handle-error"
LIMIT_SECONDS = 30.0

PROBE = """

_served = handler


def handler(event, context):  # a probe answered by the edited code; anything else as before
    if isinstance(event, dict) and "probe" in event:
        return {{"version": "{version}"}}
    return _served(event, context)
"""


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, Path]]:
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT / "lambdas", source / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    stack = start_stack(
        resources_port=0,
        extra_args=["--watch"],
        extra_env={"CAUSAL_STACK_SOURCE_DIR": str(source), "DEPLOY_DATASETS": "0"},
    )
    try:
        _wait_for_line(stack, "watching ")
        yield stack, source
    finally:
        stop_stack(stack)


def _wait_for_line(stack: RunningStack, text: str, after: int = 0) -> str:
    deadline = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < deadline:
        for line in stack.output[after:]:
            if text in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no line with {text!r}:\n" + "".join(stack.output[-20:]))


def _probe(stack: RunningStack) -> dict:
    client = boto3.client("lambda", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    response = client.invoke(FunctionName=NAMES.function(FUNCTION), Payload=json.dumps({"probe": 1}))
    return json.loads(response["Payload"].read())


def _serves(stack: RunningStack, version: str) -> bool:
    deadline = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < deadline:
        if _probe(stack).get("version") == version:
            return True
        time.sleep(0.1)
    return False


def test_a_saved_handler_serves_and_a_syntax_error_keeps_the_previous_code(
    watched: tuple[RunningStack, Path],
) -> None:
    stack, source = watched
    handler = source / "lambdas" / FUNCTION / "handler.py"
    original = handler.read_text()
    # Before the edit the function has no probe: it fails on the event, as the checkout's code does.
    assert "version" not in _probe(stack)

    mark = len(stack.output)
    handler.write_text(original + PROBE.format(version="first"))
    assert _serves(stack, "first")
    assert FUNCTION in _wait_for_line(stack, "reload: ", mark)

    mark = len(stack.output)
    handler.write_text(original + PROBE.format(version="second"))
    assert _serves(stack, "second")

    mark = len(stack.output)
    broken = original + PROBE.format(version="third") + "\ndef broken(:\n"
    handler.write_text(broken)
    line = _wait_for_line(stack, "reload failed", mark)
    bad_line = broken.splitlines().index("def broken(:") + 1
    assert f"lambdas/{FUNCTION}/handler.py:{bad_line}" in line
    assert "previous code keeps serving" in line
    assert _probe(stack) == {"version": "second"}

    client = stack.operator_client()
    try:
        reloads = client.get("/api/reloads").json()["reloads"]
    finally:
        client.close()
    assert reloads[-1]["ok"] is False and f"handler.py:{bad_line}" in reloads[-1]["error"]
    assert reloads[-2]["ok"] is True and reloads[-2]["functions"] == [FUNCTION]

    handler.write_text(original + PROBE.format(version="third"))
    assert _serves(stack, "third")


def test_a_saved_definition_updates_the_state_machine(watched: tuple[RunningStack, Path]) -> None:
    stack, source = watched
    asl = source / "lambdas" / "state-machine.asl.json"
    definition = json.loads(asl.read_text())
    definition["Comment"] = "edited while the stack runs"
    asl.write_text(json.dumps(definition, indent=2))
    sfn = boto3.client("stepfunctions", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    deadline = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < deadline:
        current = json.loads(sfn.describe_state_machine(stateMachineArn=NAMES.state_machine_arn)["definition"])
        if current.get("Comment") == definition["Comment"]:
            return
        time.sleep(0.1)
    raise AssertionError("the state machine kept its old definition")
