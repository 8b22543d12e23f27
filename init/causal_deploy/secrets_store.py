"""The four secrets. Values are never logged or put in the report.

- ``openai-api-key``: ``OPENAI_API_KEY`` when set. Secrets Manager refuses empty
  strings, so "no key" is a secret without a value (read it with
  ``causal_common.secret_values.read_secret``, which returns ""); an existing
  value is kept when the variable is unset (it may have been put by hand);
- ``llm-settings``: ``{"model", "baseUrl"}`` from ``OPENAI_MODEL`` / ``OPENAI_BASE_URL``;
- ``gateway-token-signing-key``: 32 random bytes (hex), generated once and kept;
- ``management-api-credentials``: the credentials this deploy runs with.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import boto3

from causal_deploy.config import DeployConfig
from causal_deploy.manifest import SecretSpec
from causal_deploy.report import Action, DeployReport


def ensure_secret(client: Any, spec: SecretSpec, config: DeployConfig, report: DeployReport) -> None:
    desired, keep_existing, same = _desired(spec, config)
    try:
        described = client.describe_secret(SecretId=spec.name)
    except client.exceptions.ResourceNotFoundException:
        value = desired()
        client.create_secret(
            Name=spec.name, Description=spec.description, **({"SecretString": value} if value else {})
        )
        report.add("secret", spec.name, Action.CREATED, "" if value else "no value")
        return
    restored = False
    if described.get("DeletedDate"):
        client.restore_secret(SecretId=spec.name)
        restored = True
    try:
        current = client.get_secret_value(SecretId=spec.name).get("SecretString")
    except client.exceptions.ResourceNotFoundException:
        current = None  # exists, but no value yet
    in_place = current is not None and (keep_existing or same(current))
    value = "" if in_place else desired()
    if in_place or not value:  # nothing to write (an unset OpenAI key stays as it is)
        report.add("secret", spec.name, Action.UPDATED if restored else Action.UNCHANGED, "restored" if restored else "")
        return
    client.put_secret_value(SecretId=spec.name, SecretString=value)
    report.add("secret", spec.name, Action.UPDATED, "new value")


def _desired(spec: SecretSpec, config: DeployConfig) -> tuple[Callable[[], str], bool, Callable[[str], bool]]:
    """(value to write, keep any existing value, does the current value already match)."""
    if spec.kind == "openai-api-key":
        if config.openai_api_key is None:
            return (lambda: ""), True, lambda current: True
        key = config.openai_api_key.get_secret_value()
        return (lambda: key), False, lambda current: current == key
    if spec.kind == "llm-settings":
        value = {"model": config.openai_model, "baseUrl": config.openai_base_url}
        return (lambda: json.dumps(value)), False, lambda current: _json_equal(current, value)
    if spec.kind == "token-signing-key":
        return (lambda: secrets.token_hex(32)), True, lambda current: True
    credentials = _stack_credentials(config)
    return (lambda: json.dumps(credentials)), False, lambda current: _json_equal(current, credentials)


def _stack_credentials(config: DeployConfig) -> dict[str, str]:
    found = boto3.Session(region_name=config.region).get_credentials()
    if found is None:
        # Local emulators accept any; this is what LocalStack and moto expect.
        return {"accessKeyId": "test", "secretAccessKey": "test"}
    frozen = found.get_frozen_credentials()
    return {"accessKeyId": frozen.access_key, "secretAccessKey": frozen.secret_key}


def _json_equal(current: str, expected: dict[str, Any]) -> bool:
    try:
        return json.loads(current) == expected
    except ValueError:
        return False
