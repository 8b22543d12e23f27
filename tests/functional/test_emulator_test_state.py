"""Step Functions TestState on the embedded emulator through boto3, with AWS's request and response shapes,
on the agent's own state machine definition and on a real Lambda function."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support import ROOT, create_execution_role, running_emulator

AGENT = (ROOT / "lambdas" / "state-machine.asl.json").read_text()
AGENT_STATES = json.loads(AGENT)["States"]
HANDLER = """
def double(event, context):
    print("doubling", event["n"])
    return {"n": event["n"] * 2, "note": "doubled"}
"""


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    with running_emulator() as url:
        # boto3 sends TestState to a "sync-" host; a local endpoint has none, as with LocalStack.
        config = Config(inject_host_prefix=False, retries={"max_attempts": 1})
        sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="eu-central-1", config=config)
        lam = boto3.client("lambda", endpoint_url=url, region_name="eu-central-1", config=config)
        role = create_execution_role(url, "test-state-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        function = lam.create_function(
            FunctionName="double",
            Runtime="python3.12",
            Handler="handler.double",
            Role=role,
            Code={"ZipFile": buffer.getvalue()},
        )
        yield {"sfn": sfn, "role": role, "function": function["FunctionArn"]}


def _invoke_state(function_arn: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.job",
        "Parameters": {"FunctionName": function_arn, "Payload": {"n.$": "$.n"}},
        "ResultSelector": {"n.$": "$.Payload.n", "requestId.$": "$.SdkResponseMetadata.RequestId"},
        "ResultPath": "$.result",
        "Next": "After",
    }


def test_a_choice_state_of_the_agent_names_the_next_state(aws) -> None:
    llm_reply = {"sessionId": "s1", "turn": 1, "config": {"maxTurns": 8}, "decision": {"kind": "tool"}}
    answer = aws["sfn"].test_state(definition=AGENT, stateName="CheckResponse", input=json.dumps(llm_reply))
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "DispatchTool"
    over = {**llm_reply, "turn": 9}
    assert aws["sfn"].test_state(definition=AGENT, stateName="CheckResponse", input=json.dumps(over))["nextState"] == (
        "HandleFinish"
    ), "past the turn limit the agent finishes"
    assert json.loads(answer["output"]) == llm_reply
    assert "inspectionData" not in answer, "INFO shows no inspection data"


def test_a_real_lambda_task_at_debug_shows_each_processing_step(aws) -> None:
    state = _invoke_state(aws["function"])
    answer = aws["sfn"].test_state(
        definition=json.dumps(state),
        roleArn=aws["role"],
        input=json.dumps({"job": {"n": 21}, "keep": True}),
        inspectionLevel="DEBUG",
    )
    assert answer["status"] == "SUCCEEDED" and answer["nextState"] == "After"
    output = json.loads(answer["output"])
    assert output["result"]["n"] == 42 and output["keep"] is True
    assert len(output["result"]["requestId"]) == 36, "lambda:invoke carries the Lambda request id"
    data = answer["inspectionData"]
    assert json.loads(data["input"]) == {"job": {"n": 21}, "keep": True}
    assert json.loads(data["afterInputPath"]) == {"n": 21}
    assert json.loads(data["afterParameters"])["Payload"] == {"n": 21}
    assert json.loads(data["result"])["Payload"] == {"n": 42, "note": "doubled"}
    assert json.loads(data["afterResultSelector"])["n"] == 42
    assert json.loads(data["afterResultPath"]) == output


def test_a_mocked_result_is_processed_without_calling_the_function(aws) -> None:
    state = _invoke_state("arn:aws:lambda:eu-central-1:000000000000:function:not-deployed")
    mocked = {"StatusCode": 200, "Payload": {"n": 7}, "SdkResponseMetadata": {"RequestId": "mocked-id"}}
    answer = aws["sfn"].test_state(
        definition=json.dumps(state), input='{"job": {"n": 1}}', mock={"result": json.dumps(mocked)}
    )
    assert answer["status"] == "SUCCEEDED", answer
    assert json.loads(answer["output"])["result"]["n"] == 7


def test_a_mocked_error_is_retriable_until_the_retrier_is_spent_then_caught(aws) -> None:
    sfn = aws["sfn"]
    retrier = AGENT_STATES["InvokeLLM"]["Retry"][0]
    assert retrier["ErrorEquals"] == ["LlmRateLimitedError"]
    mock = {"errorOutput": {"error": "LlmRateLimitedError", "cause": "429 from the model"}}
    first = sfn.test_state(
        definition=AGENT, stateName="InvokeLLM", input='{"sessionId": "s1"}', mock=mock, inspectionLevel="DEBUG"
    )
    assert first["status"] == "RETRIABLE" and first["error"] == "LlmRateLimitedError"
    assert first["inspectionData"]["errorDetails"] == {
        "retryIndex": 0,
        "retryBackoffIntervalSeconds": retrier["IntervalSeconds"],
    }
    second = sfn.test_state(
        definition=AGENT,
        stateName="InvokeLLM",
        input='{"sessionId": "s1"}',
        mock=mock,
        stateConfiguration={"retrierRetryCount": 2},
    )
    assert second["status"] == "RETRIABLE"
    expected = int(retrier["IntervalSeconds"] * retrier["BackoffRate"] ** 2)
    assert second["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == expected

    spent = sfn.test_state(
        definition=AGENT,
        stateName="InvokeLLM",
        input='{"sessionId": "s1"}',
        mock=mock,
        stateConfiguration={"retrierRetryCount": retrier["MaxAttempts"]},
    )
    catcher = AGENT_STATES["InvokeLLM"]["Catch"][0]
    assert spent["status"] == "CAUGHT_ERROR" and spent["nextState"] == catcher["Next"]
    assert spent["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    assert json.loads(spent["output"]) == {
        "sessionId": "s1",
        "error": {"Error": "LlmRateLimitedError", "Cause": "429 from the model"},
    }


def test_an_error_no_retrier_or_catcher_names_fails_the_state(aws) -> None:
    state = {**_invoke_state(aws["function"]), "Retry": [{"ErrorEquals": ["Other"]}]}
    answer = aws["sfn"].test_state(
        definition=json.dumps(state), input='{"job": {"n": 1}}', mock={"errorOutput": {"error": "Boom", "cause": "x"}}
    )
    assert answer["status"] == "FAILED" and answer["error"] == "Boom" and answer["cause"] == "x"
    assert "nextState" not in answer


def test_variables_are_refused_with_the_reason_and_a_way_out(aws) -> None:
    state = {"Type": "Pass", "Parameters": {"limit.$": "$maxTurns", "n.$": "$.n"}, "End": True}
    with pytest.raises(aws["sfn"].exceptions.ValidationException) as refused:
        aws["sfn"].test_state(definition=json.dumps(state), input='{"n": 3}', variables='{"maxTurns": 8}')
    message = refused.value.response["Error"]["Message"]
    assert "$maxTurns" in message and "JSONata" in message and "leave 'variables' out" in message


@pytest.mark.parametrize(
    ("request_fields", "error"),
    [
        ({"definition": AGENT, "stateName": "NoSuchState"}, "ValidationException"),
        ({"definition": AGENT}, "ValidationException"),
        ({"definition": "{not json"}, "InvalidDefinition"),
        ({"definition": '{"Type": "Pass", "End": true}', "input": "{oops"}, "InvalidExecutionInput"),
        (
            {"definition": '{"Type": "Pass", "End": true}', "mock": {"result": "{}"}},
            "ValidationException",
        ),
        ({"definition": AGENT, "stateName": "SendPrompt"}, "ValidationException"),
        (
            {
                "definition": AGENT,
                "stateName": "InvokeLLM",
                "mock": {"errorOutput": {"error": "X"}},
                "stateConfiguration": {"mapIterationFailureCount": 1},
            },
            "ValidationException",
        ),
    ],
    ids=[
        "unknown-state",
        "machine-without-state-name",
        "bad-json",
        "bad-input",
        "mock-on-pass",
        "callback-unmocked",
        "map-configuration",
    ],
)
def test_bad_requests_get_the_modelled_error(aws, request_fields, error) -> None:
    sfn = aws["sfn"]
    with pytest.raises(sfn.exceptions.ClientError) as raised:
        sfn.test_state(**request_fields)
    assert raised.value.response["Error"]["Code"] == error
    assert raised.value.response["Error"]["Message"]
