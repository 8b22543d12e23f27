"""The state machine definition: structure, contracts with the Lambdas, and what moto can run."""

from __future__ import annotations

import json
import re

from support import LAMBDAS

from causal_common.names import EVENT_FUNCTIONS, FUNCTIONS

DEFINITION_PATH = LAMBDAS / "state-machine.asl.json"
DEFINITION = json.loads(DEFINITION_PATH.read_text())
STATES = DEFINITION["States"]


def _targets(state: dict) -> list[str]:
    targets = [state["Next"]] if "Next" in state else []
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [state["Default"]] if "Default" in state else []
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def test_every_target_exists_and_every_state_is_reachable():
    reachable, todo = set(), [DEFINITION["StartAt"]]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        assert name in STATES, f"{name} is a target but not a state"
        reachable.add(name)
        todo.extend(_targets(STATES[name]))
    assert reachable == set(STATES)


AWS_TRANSIENT_LAMBDA_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


def test_every_task_retries_transient_errors_and_catches_everything():
    for name, state in STATES.items():
        if state["Type"] != "Task":
            continue
        catches = [error for catcher in state["Catch"] for error in catcher["ErrorEquals"]]
        assert "States.ALL" in catches, name
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], f"{name}: States.ALL must come last"
        transient = [
            retrier for retrier in state.get("Retry", []) if "Lambda.ServiceException" in retrier["ErrorEquals"]
        ]
        assert len(transient) == 1, f"{name}: one retrier for AWS's transient Lambda errors"
        retrier = transient[0]
        assert set(AWS_TRANSIENT_LAMBDA_ERRORS) <= set(retrier["ErrorEquals"]), name
        # AWS's recommendation for Lambda tasks.
        assert (
            1 <= retrier["IntervalSeconds"] <= 2 and retrier["BackoffRate"] == 2 and 3 <= retrier["MaxAttempts"] <= 6
        ), name
    assert "LlmRateLimitedError" in {e for r in STATES["InvokeLLM"]["Retry"] for e in r["ErrorEquals"]}
    assert "TransientError" in {e for r in STATES["InvokeLLM"]["Retry"] for e in r["ErrorEquals"]}


def test_failures_and_timeouts_end_in_fail_states():
    assert STATES[STATES["HandleError"]["Next"]]["Type"] == "Fail"
    assert STATES[STATES["HandleTimeout"]["Next"]]["Type"] == "Fail"
    prompt = STATES["SendPrompt"]
    assert prompt["Resource"].endswith("lambda:invoke.waitForTaskToken")
    assert prompt["Catch"][0]["Next"] == STATES["RunAnalysisJob"]["Catch"][0]["Next"] == "CancelledByUser"
    assert prompt["Catch"][1] == {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "HandleTimeout"}
    assert prompt["TimeoutSecondsPath"] == "$.config.promptTimeoutSeconds"
    job = STATES["RunAnalysisJob"]
    assert job["Resource"].endswith("lambda:invoke.waitForTaskToken")
    assert job["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
    assert 0 < job["HeartbeatSeconds"] < job["TimeoutSeconds"]


def test_jsonpath_only_and_placeholders_name_real_functions():
    text = DEFINITION_PATH.read_text()
    assert "QueryLanguage" not in text and "{%" not in text and "Assign" not in text and "Arguments" not in text
    placeholders = set(re.findall(r"\$\{FunctionArn:([a-z-]+)\}", text))
    assert placeholders == set(FUNCTIONS) - {"websocket-handler", *EVENT_FUNCTIONS}


def test_the_turn_limit_is_checked_before_routing():
    first = STATES["CheckResponse"]["Choices"][0]
    assert first == {"Variable": "$.turn", "NumericGreaterThanPath": "$.config.maxTurns", "Next": "HandleFinish"}


def test_moto_parses_the_definition():
    # moto is pinned, so its parser is always there: an import error is a failure, not a skip.
    from moto.stepfunctions.parser.asl.parse import asl_parser as parser

    text = DEFINITION_PATH.read_text().replace("${FunctionArn:", "arn:aws:lambda:eu-central-1:000000000000:function:x-")
    text = text.replace('}"', '"')
    program, _ = parser.AmazonStateLanguageParser.parse(text)
    assert program is not None
