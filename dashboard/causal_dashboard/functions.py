"""Lambda functions: State/StateReason with a fix hint, and what their logs say."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from causal_common.names import FUNCTIONS
from causal_dashboard.clients import AwsClients
from causal_dashboard.lambda_logs import summarise

logger = logging.getLogger(__name__)

_HINTS_BY_CODE = {
    "InvalidZipFileException": "The zip is unreadable or lacks the handler module: rebuild it with `causal-stack deploy`.",
    "InvalidRuntime": "Use runtime python3.12 (the manifest in init/ sets it) and redeploy.",
    "InsufficientRolePermissions": "The execution role cannot be assumed or lacks permissions: check the role in the manifest and redeploy.",
    "ImageAccessDenied": "The function image cannot be pulled: check the image URI and permissions.",
    "EniLimitExceeded": "The VPC is out of network interfaces: remove the VPC config for local runs.",
    "SubnetOutOfIPAddresses": "The subnet has no free addresses: use another subnet or drop the VPC config.",
    "InternalError": "The Lambda service failed while creating the function: redeploy with `causal-stack deploy`.",
}
_HINTS_BY_WORD = (
    ("No module named", "A dependency is missing from the zip: add it to lambdas/<function>/requirements.txt and redeploy."),
    ("ImportModuleError", "The handler module failed to import: run it locally (`python -c 'import handler'`) and fix the error, then redeploy."),
    ("SyntaxError", "The handler has a syntax error: fix it and redeploy."),
    ("Handler", "The handler setting must be `handler.handler` (file handler.py, function handler)."),
    ("docker", "Lambda in LocalStack needs /var/run/docker.sock mounted and LAMBDA_DOCKER_NETWORK set (compose target)."),
    ("Docker", "Lambda in LocalStack needs /var/run/docker.sock mounted and LAMBDA_DOCKER_NETWORK set (compose target)."),
    ("timeout", "Creation timed out: raise LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT or shrink the zip, then redeploy."),
)
DEFAULT_HINT = "Fix the cause above, then run `causal-stack deploy` to update the function."


def fix_hint(state: str | None, reason: str | None, reason_code: str | None) -> str | None:
    """What to do about a function that is not Active; None when nothing is wrong."""
    if state == "Missing":
        return "The function is not deployed: run `causal-stack deploy` (or `make run`)."
    if state not in {"Failed", "Inactive"} and reason_code not in _HINTS_BY_CODE:
        return None
    if state == "Inactive":
        return "The function went idle; invoking it re-activates it. If it stays Inactive, redeploy."
    if reason_code in _HINTS_BY_CODE:
        return _HINTS_BY_CODE[reason_code]
    for word, hint in _HINTS_BY_WORD:
        if reason and word in reason:
            return hint
    return DEFAULT_HINT


def list_functions(clients: AwsClients) -> list[dict[str, Any]]:
    """The project's functions (expected ten first, then any other with the prefix), with state."""
    names = clients.names
    found: dict[str, dict[str, Any]] = {}
    paginator = clients.lambda_.get_paginator("list_functions")
    for page in paginator.paginate():
        for config in page.get("Functions", []):
            if config["FunctionName"].startswith(names.prefix):
                found[config["FunctionName"]] = config
    rows: list[dict[str, Any]] = []
    ordered = [names.function(short) for short in FUNCTIONS]
    ordered += sorted(name for name in found if name not in ordered)
    for full_name in ordered:
        config = found.get(full_name)
        if config is None:
            rows.append(_row(full_name, names.prefix, {"State": "Missing", "StateReason": "not deployed"}))
            continue
        if "State" not in config:
            # list_functions omits State on real AWS; get_function has it.
            config = _configuration(clients, full_name) or config
        rows.append(_row(full_name, names.prefix, config))
    return rows


def _configuration(clients: AwsClients, name: str) -> dict[str, Any] | None:
    try:
        return clients.lambda_.get_function_configuration(FunctionName=name)
    except ClientError as exc:
        logger.warning("get_function_configuration %s failed: %s", name, exc.response["Error"].get("Code"))
        return None


def _row(full_name: str, prefix: str, config: dict[str, Any]) -> dict[str, Any]:
    state = config.get("State", "Active")
    reason = config.get("StateReason")
    code = config.get("StateReasonCode")
    return {
        "name": full_name,
        "shortName": full_name[len(prefix) :] if full_name.startswith(prefix) else full_name,
        "state": state,
        "stateReason": reason,
        "stateReasonCode": code,
        "lastUpdateStatus": config.get("LastUpdateStatus"),
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "memorySize": config.get("MemorySize"),
        "timeout": config.get("Timeout"),
        "lastModified": config.get("LastModified"),
        "codeSize": config.get("CodeSize"),
        "fixHint": fix_hint(state, reason, code),
    }


def function_logs(clients: AwsClients, function_name: str, *, streams: int = 3, limit: int = 300) -> dict[str, Any]:
    """Invocations, errors, durations and recent lines from ``/aws/lambda/<fn>``."""
    group = f"{clients.names.log_group_prefix}{function_name}"
    try:
        described = clients.logs.describe_log_streams(
            logGroupName=group, orderBy="LastEventTime", descending=True, limit=streams
        )
    except clients.logs.exceptions.ResourceNotFoundException:
        return summarise([]).to_json()
    except ClientError as exc:
        logger.warning("describe_log_streams %s failed: %s", group, exc.response["Error"].get("Code"))
        return {**summarise([]).to_json(), "unavailable": exc.response["Error"].get("Code")}
    events: list[dict[str, Any]] = []
    for stream in described.get("logStreams", []):
        page = clients.logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=False, limit=limit
        )
        events.extend(page.get("events", []))
    return summarise(events).to_json()


def functions_with_logs(clients: AwsClients) -> list[dict[str, Any]]:
    rows = list_functions(clients)
    deployed = [row for row in rows if row["state"] != "Missing"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(lambda row: function_logs(clients, row["name"]), deployed))
    for row, logs in zip(deployed, summaries):
        row["logs"] = logs
    return rows
