"""``causal-stack doctor``: what the old stack's operator checked by hand.

Each check says what it saw and, when it failed, how to fix it. On the
compose route (LocalStack) the checks of ``causal_stack.compose_checks``
(Docker socket, LocalStack health, …) are added when that module is present.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from causal_common.function_hints import hint_for
from causal_common.names import FUNCTIONS, ResourceNames
from causal_deploy.clients import Clients, probe
from causal_deploy.config import DeployConfig, Target
from causal_stack.checks import Check
from causal_stack.doctor_processes import ecs_runner_checks, lambda_worker_checks, supervisor_checks
from causal_stack.launcher import RESOURCES_PORT
from causal_stack.status import function_state
from causal_stack.supervisor_state import state_path_for

logger = logging.getLogger(__name__)

DEPLOY_HINT = "run `causal-stack deploy` (or `causal-stack up`)"


__all__ = ["Check", "render", "run_checks", "to_json"]


def run_checks(
    config: DeployConfig,
    *,
    gateway_url: str | None = None,
    resources_url: str | None = None,
    clients: Clients | None = None,
) -> list[Check]:
    """``resources_url``: the old stack's dashboard address (default: the gateway's host, port 4567)."""
    checks: list[Check] = []
    clients = clients or Clients(config)
    reachable = _endpoint(config, clients, checks)
    if reachable:
        try:
            _aws_resources(config, clients, checks)
        except (BotoCoreError, ClientError) as exc:
            checks.append(
                Check(
                    "AWS API",
                    False,
                    f"a request failed: {exc}",
                    "run `causal-stack doctor` again; if it persists, restart the emulator",
                )
            )
    if reachable and config.target is not Target.AWS and config.endpoint_url:
        checks.extend(lambda_worker_checks(config.endpoint_url, config.region))
    if config.target is not Target.AWS and config.ecs_endpoint_url:
        checks.extend(ecs_runner_checks(config.ecs_endpoint_url))
    state_path = state_path_for(config.endpoint_url)
    if config.target is Target.EMBEDDED and state_path is not None:
        checks.extend(supervisor_checks(state_path))
    if gateway_url:
        checks.append(_gateway(gateway_url))
        checks.append(_resources_address(resources_url or _default_resources_url(gateway_url), gateway_url))
    if config.target is Target.LOCALSTACK:
        checks.extend(_compose_checks(config, gateway_url, {check.name for check in checks}))
    return checks


def _endpoint(config: DeployConfig, clients: Clients, checks: list[Check]) -> bool:
    if config.endpoint_url:
        problem = probe(config.endpoint_url)
        if problem is not None:
            checks.append(
                Check(
                    "AWS endpoint",
                    False,
                    f"nothing answers at {config.endpoint_url} ({problem})",
                    "start the stack: `causal-stack up` (embedded) or `docker compose up` (LocalStack), "
                    "or pass --endpoint-url",
                )
            )
            return False
    try:
        account = clients.account_id
    except (BotoCoreError, ClientError) as exc:
        checks.append(
            Check(
                "AWS endpoint",
                False,
                f"STS GetCallerIdentity failed: {exc}",
                "check AWS credentials (any value, e.g. test/test, works locally)",
            )
        )
        return False
    checks.append(Check("AWS endpoint", True, f"{config.endpoint_url or 'AWS'} answers (account {account})"))
    return True


def _aws_resources(config: DeployConfig, clients: Clients, checks: list[Check]) -> None:
    names = ResourceNames.from_settings(config, account_id=clients.account_id)
    for short_name in FUNCTIONS:
        name = names.function(short_name)
        state = function_state(clients.awslambda, name)
        if state["state"] is None:
            checks.append(Check(f"function {name}", False, "missing", DEPLOY_HINT))
        elif state["state"] != "Active":
            reason = state.get("reason") or ""
            checks.append(
                Check(
                    f"function {name}",
                    False,
                    f"State={state['state']}" + (f", StateReason={reason}" if reason else ""),
                    hint_for(name, state["state"], reason),
                )
            )
        else:
            checks.append(Check(f"function {name}", True, "Active"))

    stepfunctions = clients.stepfunctions
    try:
        machine = stepfunctions.describe_state_machine(stateMachineArn=names.state_machine_arn)
        checks.append(Check(f"state machine {names.state_machine}", True, machine.get("status", "ACTIVE")))
    except stepfunctions.exceptions.StateMachineDoesNotExist:
        checks.append(
            Check(f"state machine {names.state_machine}", False, f"missing ({names.state_machine_arn})", DEPLOY_HINT)
        )

    dynamodb = clients.dynamodb
    for table in (names.sessions_table, names.connections_table, names.jobs_table, names.pending_messages_table):
        try:
            described = dynamodb.describe_table(TableName=table)["Table"]
            checks.append(
                Check(
                    f"table {table}",
                    described.get("TableStatus") == "ACTIVE",
                    described.get("TableStatus", "?"),
                    "" if described.get("TableStatus") == "ACTIVE" else "wait a few seconds and check again",
                )
            )
        except dynamodb.exceptions.ResourceNotFoundException:
            checks.append(Check(f"table {table}", False, "missing", DEPLOY_HINT))

    for bucket in (names.datasets_bucket, names.artifacts_bucket):
        try:
            clients.s3.head_bucket(Bucket=bucket)
            checks.append(Check(f"bucket {bucket}", True, "exists"))
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            checks.append(
                Check(f"bucket {bucket}", False, "missing" if status == 404 else f"HTTP {status}", DEPLOY_HINT)
            )

    secrets = clients.secretsmanager
    for secret in (
        names.openai_api_key_secret,
        names.llm_settings_secret,
        names.token_signing_key_secret,
        names.management_credentials_secret,
    ):
        try:
            secrets.describe_secret(SecretId=secret)
            checks.append(Check(f"secret {secret}", True, "present"))
        except secrets.exceptions.ResourceNotFoundException:
            checks.append(Check(f"secret {secret}", False, "missing", DEPLOY_HINT))


def _gateway(gateway_url: str) -> Check:
    url = gateway_url.rstrip("/") + "/health"
    problem = probe(url)
    if problem is not None:
        return Check(
            "gateway",
            False,
            f"{url} is down ({problem})",
            "start it: `causal-stack up` (compose: docker compose up gateway)",
        )
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            healthy = response.status == 200
    except OSError as exc:
        return Check("gateway", False, f"{url}: {exc}", "read the gateway's log")
    return Check(
        "gateway",
        healthy,
        f"{url} answers" + ("" if healthy else " but is not healthy"),
        "" if healthy else "read the gateway's log",
    )


def _default_resources_url(gateway_url: str) -> str:
    parts = urlsplit(gateway_url)
    return f"{parts.scheme or 'http'}://{parts.hostname or '127.0.0.1'}:{RESOURCES_PORT}"


def _resources_address(resources_url: str, gateway_url: str) -> Check:
    """The old stack's ``curl -s http://localhost:4567/api/resources | jq`` still reaches
    this stack: that address serves the gateway's app (resources, or its login answer)."""
    name = "old dashboard address"
    fix = (
        "`causal-stack up` serves it (`--resources-port N` to move it); compose publishes it "
        "(RESOURCES_PORT in .env); if another program holds the port, stop it or pick another port"
    )
    url = resources_url.rstrip("/") + "/api/resources"
    here = _resource_names(url)
    if isinstance(here, str):
        return Check(name, False, f"{url}: {here}", fix)
    if here is None:
        return Check(name, True, f"{url} answers; it needs the dashboard login, as the gateway port does")
    gateway = _resource_names(gateway_url.rstrip("/") + "/api/resources")
    if isinstance(gateway, set) and gateway != here:
        return Check(
            name,
            False,
            f"{resources_url} answers with another stack's resources",
            "another stack or program has the port: stop it, or point --resources-url at this stack",
        )
    return Check(name, True, f"{url} answers with this stack's resources")


def _resource_names(url: str) -> set[str] | str | None:
    """The names of the tables and buckets ``url`` lists; ``None`` when it asks for the
    dashboard's login; otherwise why it could not be read."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 401 and b"log in to the dashboard" in exc.read():
            return None
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"nothing answers ({getattr(exc, 'reason', exc)})"
    except ValueError:
        return "the answer is not JSON"
    if not isinstance(body, dict):
        return "the answer is not the resources JSON"
    return {
        row.get("name", "")
        for section in ("tables", "buckets")
        for row in body.get(section) or []
        if isinstance(row, dict)
    }


def _compose_checks(config: DeployConfig, gateway_url: str | None, already: set[str]) -> list[Check]:
    # Imported here: it needs the Docker SDK, which only the compose route uses.
    from causal_stack.compose_checks import ComposeDoctorSettings, compose_checks

    arguments: dict[str, Any] = {"localstack_url": config.endpoint_url}
    if gateway_url:
        arguments["gateway_url"] = gateway_url
    if config.ecs_endpoint_url:
        arguments["ecs_runner_url"] = config.ecs_endpoint_url
    return [check for check in compose_checks(ComposeDoctorSettings(**arguments)) if check.name not in already]


def render(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        mark = "FAIL" if not check.ok else "WARN" if check.warning else "ok  "
        lines.append(f"{mark}  {check.name}: {check.detail}")
        if (not check.ok or check.warning) and check.hint:
            lines.append(f"      fix: {check.hint}")
    failed = sum(not check.ok for check in checks)
    warned = sum(check.ok and check.warning for check in checks)
    warnings = f" ({warned} with warnings)" if warned else ""
    lines.append(f"all checks passed{warnings}" if not failed else f"{failed} of {len(checks)} checks failed{warnings}")
    return "\n".join(lines)


def to_json(checks: list[Check]) -> str:
    return json.dumps({"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, indent=2)
