"""The Lambda integration's reading of Invoke answers (botocore Stubber, no network)."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from causal_gateway.errors import IntegrationError, IntegrationTimeoutError
from causal_gateway.integration import LambdaIntegration
from causal_gateway.settings import GatewaySettings


def _stubbed(response: dict | None = None, error: str | None = None) -> tuple[LambdaIntegration, Stubber]:
    client = boto3.client("lambda", region_name="eu-central-1", endpoint_url="http://127.0.0.1:9")
    stubber = Stubber(client)
    if error:
        stubber.add_client_error("invoke", service_error_code=error, http_status_code=404)
    else:
        stubber.add_response("invoke", response)
    stubber.activate()
    return LambdaIntegration(GatewaySettings(), client=client), stubber


def _payload(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_invoke_returns_the_function_answer_and_sends_the_event() -> None:
    integration, stubber = _stubbed({"StatusCode": 200, "Payload": _payload(b'{"statusCode": 200, "body": "hi"}')})
    assert integration.invoke("fn", {"body": "x"}) == {"statusCode": 200, "body": "hi"}
    stubber.assert_no_pending_responses()


def test_function_error_is_an_integration_error() -> None:
    integration, _ = _stubbed(
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": _payload(json.dumps({"errorType": "KeyError"}).encode()),
        }
    )
    with pytest.raises(IntegrationError, match="KeyError"):
        integration.invoke("fn", {})


def test_missing_function_and_empty_or_bad_payloads() -> None:
    integration, _ = _stubbed(error="ResourceNotFoundException")
    with pytest.raises(IntegrationError, match="ResourceNotFoundException"):
        integration.invoke("missing", {})
    integration, _ = _stubbed({"StatusCode": 200, "Payload": _payload(b"")})
    assert integration.invoke("fn", {}) is None
    integration, _ = _stubbed({"StatusCode": 200, "Payload": _payload(b"not json")})
    with pytest.raises(IntegrationError, match="not JSON"):
        integration.invoke("fn", {})


def test_read_timeout_is_the_integration_timeout() -> None:
    class SlowClient:
        def invoke(self, **kwargs: object) -> dict:
            raise ReadTimeoutError(endpoint_url="http://lambda")

    integration = LambdaIntegration(GatewaySettings(), client=SlowClient())
    with pytest.raises(IntegrationTimeoutError, match="29"):
        integration.invoke("fn", {})
