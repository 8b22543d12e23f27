"""The one factory for boto3 clients: every endpoint comes from settings."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from causal_common.settings import AwsSettings

_RETRIES = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
_LOCAL = Config(inject_host_prefix=False)


def client(
    service: str,
    settings: AwsSettings,
    *,
    endpoint_url: str | None = None,
    config: Config | None = None,
    credentials: tuple[str, str] | None = None,
) -> Any:
    """A boto3 client for ``service`` at the endpoint the settings name.

    ``endpoint_url`` wins when given (the management API's callback URL is
    per-stage, not per-service); ``credentials`` (key id, secret) replace the
    default chain's.
    """
    keys = {"aws_access_key_id": credentials[0], "aws_secret_access_key": credentials[1]} if credentials else {}
    endpoint = endpoint_url or settings.endpoint_for(service)
    merged = _RETRIES.merge(config) if config else _RETRIES
    if endpoint:
        # A local endpoint has no "sync-<host>" (Step Functions' TestState, StartSyncExecution) to send to.
        merged = merged.merge(_LOCAL)
    return boto3.client(service, region_name=settings.region, endpoint_url=endpoint, config=merged, **keys)


def management_client(settings: AwsSettings, endpoint_url: str, secretsmanager: Any) -> Any:
    """The ``apigatewaymanagementapi`` client for ``endpoint_url``, signing with the stack's management
    credentials (from Secrets Manager) when the settings name that secret, else with the default chain."""
    if not settings.management_credentials_secret:
        return client("apigatewaymanagementapi", settings, endpoint_url=endpoint_url)
    from causal_common.errors import ConfigurationError
    from causal_common.secret_values import read_secret

    try:
        parsed = json.loads(read_secret(secretsmanager, settings.management_credentials_secret))
        keys = (str(parsed["accessKeyId"]), str(parsed["secretAccessKey"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f'secret {settings.management_credentials_secret} must be JSON {{"accessKeyId", "secretAccessKey"}}; '
            "deploy the stack again"
        ) from exc
    return client("apigatewaymanagementapi", settings, endpoint_url=endpoint_url, credentials=keys)


# The codes S3 answers for a missing key or bucket: GetObject says NoSuchKey or NoSuchBucket, a HEAD (which has
# no body) only its status, "404", and some emulators say "NotFound".
S3_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound", "404"})


def error_code(exc: ClientError) -> str:
    """The AWS error code of ``exc`` (``ConditionalCheckFailedException``, ``NoSuchKey``…); "" if it has none."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_not_found(exc: ClientError) -> bool:
    """Whether S3 answered that the key or the bucket does not exist."""
    return error_code(exc) in S3_NOT_FOUND_CODES


def error_message(exc: ClientError) -> str:
    """The message AWS gave with ``exc``; "" if it gave none."""
    return str(exc.response.get("Error", {}).get("Message", ""))
