"""The management API (/@connections) credentials are generated per stack, not the fixed pair test/test.

Before, anyone local could push frames to, or disconnect, any user with test/test.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from gateway_testing import running_gateway
from moto import mock_aws

from causal_agent.clients import AgentClients
from causal_agent.settings import AgentSettings
from causal_common import aws
from causal_deploy.config import DeployConfig
from causal_deploy.manifest import SecretSpec, build_manifest
from causal_deploy.report import DeployReport
from causal_deploy.secrets_store import ensure_secret

SECRET = "causal-analysis-dev-management-api-credentials"
SPEC = SecretSpec(SECRET, "management-credentials", "Credentials for the management API")


def _stored(client) -> dict[str, str]:
    return json.loads(client.get_secret_value(SecretId=SECRET)["SecretString"])


def test_each_stack_gets_its_own_pair_and_keeps_it() -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-central-1")
        config = DeployConfig(endpoint_url="http://127.0.0.1:4566")
        ensure_secret(client, SPEC, config, DeployReport("embedded", "http://127.0.0.1:4566"))
        first = _stored(client)
        assert (
            first["accessKeyId"] != "test"
            and first["accessKeyId"].startswith("AKIA")
            and len(first["secretAccessKey"]) == 40
        )
        ensure_secret(client, SPEC, config, DeployReport("embedded", "http://127.0.0.1:4566"))
        assert _stored(client) == first  # a redeploy keeps it
        client.put_secret_value(
            SecretId=SECRET, SecretString=json.dumps({"accessKeyId": "test", "secretAccessKey": "test"})
        )
        ensure_secret(client, SPEC, config, DeployReport("embedded", "http://127.0.0.1:4566"))
        assert _stored(client)["accessKeyId"] != "test"  # the old fixed pair is replaced
    with mock_aws():
        other = boto3.client("secretsmanager", region_name="eu-central-1")
        ensure_secret(other, SPEC, config, DeployReport("embedded", "http://127.0.0.1:4566"))
        assert _stored(other) != first


def test_local_functions_and_tasks_are_told_where_the_pair_is_and_aws_ones_are_not() -> None:
    local = build_manifest(DeployConfig(endpoint_url="http://127.0.0.1:4566"), "000000000000")
    assert all(f.environment["MANAGEMENT_API_CREDENTIALS_SECRET"] == SECRET for f in local.functions)
    assert all(t.environment["MANAGEMENT_API_CREDENTIALS_SECRET"] == SECRET for t in local.task_definitions)
    remote = build_manifest(DeployConfig(target="aws"), "123456789012")
    assert not any("MANAGEMENT_API_CREDENTIALS_SECRET" in f.environment for f in remote.functions)


def test_the_fixed_pair_no_longer_reaches_a_connection_and_the_stacks_pair_does(moto_endpoint, monkeypatch) -> None:
    with running_gateway(moto_endpoint, create_secrets=False, auth_mode="none") as gateway:
        names = gateway.settings.names
        secretsmanager = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="eu-central-1")
        secretsmanager.create_secret(Name=names.token_signing_key_secret, SecretString="k" * 32)
        pair = {"accessKeyId": "AKIAGENERATED0000001", "secretAccessKey": "s" * 40}
        secretsmanager.create_secret(Name=names.management_credentials_secret, SecretString=json.dumps(pair))
        with pytest.raises(ClientError) as refused:
            gateway.management(aws_access_key_id="test", aws_secret_access_key="test").post_to_connection(
                ConnectionId="anyone", Data=b"pushed by a stranger"
            )
        assert refused.value.response["Error"]["Code"] == "ForbiddenException"

        monkeypatch.setenv("MANAGEMENT_API_CREDENTIALS_SECRET", names.management_credentials_secret)
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        monkeypatch.setenv("WEBSOCKET_CALLBACK_URL", f"{gateway.url}/{gateway.settings.stage}")
        monkeypatch.setenv("RESOURCE_PREFIX", gateway.settings.resource_prefix)
        clients = AgentClients(AgentSettings())
        with pytest.raises(clients.management.exceptions.GoneException):
            clients.management.post_to_connection(ConnectionId="not-connected", Data=b"{}")  # signed right: 410


def test_a_malformed_pair_is_a_clear_configuration_error(moto_endpoint) -> None:
    from causal_common.errors import ConfigurationError
    from causal_common.settings import AwsSettings

    secretsmanager = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="eu-central-1")
    secretsmanager.create_secret(Name="broken-management-pair", SecretString="not json")
    settings = AwsSettings(AWS_ENDPOINT_URL=moto_endpoint, MANAGEMENT_API_CREDENTIALS_SECRET="broken-management-pair")
    with pytest.raises(ConfigurationError, match="deploy the stack again"):
        aws.management_client(settings, "http://127.0.0.1:9/dev", secretsmanager)
