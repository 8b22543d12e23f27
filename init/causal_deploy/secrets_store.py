"""The four secrets. Values are never logged or put in the report.

- ``openai-api-key``: ``OPENAI_API_KEY`` when set. Secrets Manager refuses empty
  strings, so "no key" is a secret without a value (read it with
  ``causal_common.secret_values.read_secret``, which returns ""); an existing
  value is kept when the variable is unset (it may have been put by hand);
- ``llm-settings``: ``{"model", "baseUrl"}`` from ``OPENAI_MODEL`` / ``OPENAI_BASE_URL``;
- ``gateway-token-signing-key``: 32 random bytes (hex), generated once and kept;
- ``management-api-credentials``: a key pair generated once per stack for the management API
  (``/@connections``); the gateway checks SigV4 against it and the Lambdas and tasks sign with it.
  A stored pair from older deploys (the deployer's own credentials, e.g. ``test``/``test``) is replaced.
"""

from __future__ import annotations

import datetime
import json
import secrets
import string
from collections.abc import Callable
from typing import Any

from causal_common.names import DEPLOYED_TAG
from causal_deploy import tagging
from causal_deploy.config import DeployConfig
from causal_deploy.manifest import SecretSpec
from causal_deploy.report import Action, DeployReport


def ensure_secret(
    client: Any, spec: SecretSpec, config: DeployConfig, report: DeployReport, tags: tagging.Tags | None = None
) -> None:
    desired, keep_existing, same = _desired(spec, config)
    try:
        described = client.describe_secret(SecretId=spec.name)
    except client.exceptions.ResourceNotFoundException:
        value = desired()
        if not report.plan:
            client.create_secret(
                Name=spec.name,
                Description=spec.description,
                **({"SecretString": value} if value else {}),
                **({"Tags": tagging.pairs(tags)} if tags else {}),
            )
        report.add("secret", spec.name, Action.CREATED, "" if value else "no value")
        return
    changes: list[str] = []
    if described.get("DeletedDate"):
        if not report.plan:
            client.restore_secret(SecretId=spec.name)
        changes.append("restored")
    if tags and tagging.missing(tagging.from_pairs(described.get("Tags")), tags):
        if not report.plan:
            client.tag_resource(SecretId=spec.name, Tags=tagging.pairs(tags))
        changes.append("tags")
    try:
        current = client.get_secret_value(SecretId=spec.name).get("SecretString")
    except client.exceptions.ResourceNotFoundException:
        current = None  # exists, but no value yet
    except client.exceptions.InvalidRequestException:
        current = None  # planning: a deleted secret that a deploy would restore
    in_place = current is not None and (keep_existing or same(current))
    value = "" if in_place else desired()
    if not in_place and value:  # an unset OpenAI key stays as it is
        if not report.plan:
            client.put_secret_value(SecretId=spec.name, SecretString=value)
        changes.append("new value")
    report.add("secret", spec.name, Action.UPDATED if changes else Action.UNCHANGED, ", ".join(changes))


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
    return (lambda: json.dumps(generated_management_credentials())), False, _generated_pair


def generated_management_credentials() -> dict[str, str]:
    """A key pair shaped like AWS's (20-character id, 40-character secret), random per stack."""
    alphabet = string.ascii_uppercase + string.digits
    return {
        "accessKeyId": "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
        "secretAccessKey": secrets.token_urlsafe(30)[:40],
    }


def _generated_pair(current: str) -> bool:
    """Keep a pair this deployer generated; replace anything else (the old fixed or borrowed pairs)."""
    try:
        parsed = json.loads(current)
        key, secret = str(parsed["accessKeyId"]), str(parsed["secretAccessKey"])
    except (ValueError, KeyError, TypeError):
        return False
    return key.startswith("AKIA") and len(key) == 20 and len(secret) == 40


def _json_equal(current: str, expected: dict[str, Any]) -> bool:
    try:
        return json.loads(current) == expected
    except ValueError:
        return False


def mark_deployed(client: Any, signing_key_secret: str) -> None:
    """The deploy's last step: a gateway with ``GATEWAY_REQUIRE_DEPLOYED`` serves from now on."""
    deployed_at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.tag_resource(SecretId=signing_key_secret, Tags=[{"Key": DEPLOYED_TAG, "Value": deployed_at}])
