"""connect-authorizer, the WebSocket API's $connect REQUEST authorizer on AWS, as a handler against moto."""

from __future__ import annotations

import time

import boto3
import pytest
from support import load_lambda_module

from causal_common.tokens import issue_token

PREFIX = "authz-test-"
KEY = "0123456789abcdef" * 4
METHOD_ARN = "arn:aws:execute-api:eu-central-1:123456789012:abc123/dev/$connect"


class Context:
    aws_request_id = "request-1"


@pytest.fixture
def handler(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "RESOURCE_PREFIX": PREFIX,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name="eu-central-1")
        secrets.create_secret(Name=f"{PREFIX}gateway-token-signing-key", SecretString=KEY)
        yield load_lambda_module("connect-authorizer").handler


def event(query: dict[str, str] | None) -> dict:
    """What API Gateway sends a REQUEST authorizer on $connect (the fields it reads, and some it does not)."""
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {"Host": "abc123.execute-api.eu-central-1.amazonaws.com"},
        "queryStringParameters": query,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "conn-1"},
    }


def test_a_valid_token_is_allowed_with_the_user_id_in_the_context(handler):
    response = handler(event({"token": issue_token(KEY, "alice", 600)}), Context())

    assert response["principalId"] == "alice"
    assert response["context"] == {"userId": "alice"}
    (statement,) = response["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}


@pytest.mark.parametrize(
    "token",
    [
        issue_token("fedcba9876543210" * 4, "alice", 600),  # forged
        issue_token(KEY, "alice", 60, now=time.time() - 3600),  # expired
        issue_token(KEY, "alice", 7 * 86400),  # minted to live longer than the gateway accepts
        "not-a-token",
    ],
    ids=["forged", "expired", "too long-lived", "malformed"],
)
def test_a_bad_token_is_denied(handler, token):
    response = handler(event({"token": token}), Context())

    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert response["context"] == {}


@pytest.mark.parametrize("query", [None, {}, {"other": "x"}])
def test_no_token_raises_unauthorized_which_api_gateway_answers_with_401(handler, query):
    with pytest.raises(Exception, match="^Unauthorized$"):
        handler(event(query), Context())


def test_the_gateways_lambda_authorizer_reads_its_answer_as_the_token_authorizer_would(handler):
    """The local gateway's LambdaRequestAuthorizer (GATEWAY_AUTH_MODE=lambda) parses this function's answer."""
    import asyncio

    from causal_gateway.authorizers import LambdaRequestAuthorizer
    from causal_gateway.registry import Connection

    class Direct:
        def invoke(self, function_name, payload):
            return handler(payload, Context())

    async def run_blocking(function, *args):
        return function(*args)

    authorizer = LambdaRequestAuthorizer("connect-authorizer", Direct(), run_blocking, "eu-central-1")
    connection = Connection(
        connection_id="conn-2",
        stage="dev",
        api_id="abc123",
        domain_name="127.0.0.1:8080",
        source_ip="127.0.0.1",
        user_agent="test",
    )
    token = issue_token(KEY, "bob", 600)

    context = asyncio.run(authorizer.authorize(connection, [], [("token", token)], "request-2"))

    assert context["userId"] == "bob"
