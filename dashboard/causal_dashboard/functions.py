"""Lambda functions: State/StateReason with a fix hint, and what their logs say."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.function_hints import hint_for, known_reason_codes
from causal_common.names import FUNCTIONS
from causal_dashboard.clients import AwsClients
from causal_dashboard.lambda_logs import summarise

logger = logging.getLogger(__name__)

PROBLEM_CODES = frozenset(known_reason_codes())


def fix_hint(short_name: str, state: str | None, reason: str | None, reason_code: str | None) -> str | None:
    """What to do about a function that is not Active (the deployer's and doctor's hints); None when nothing is wrong."""
    if state == "Missing":
        return "the function is not deployed: run `causal-stack deploy` (or `make run`)"
    if state in {None, "Active"} and reason_code not in PROBLEM_CODES:
        return None
    return hint_for(short_name, state, reason, reason_code)


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
        logger.warning("get_function_configuration %s failed: %s", name, error_code(exc))
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
        "fixHint": fix_hint(full_name, state, reason, code),
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
        logger.warning("describe_log_streams %s failed: %s", group, error_code(exc))
        return {**summarise([]).to_json(), "unavailable": error_code(exc)}
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


def invocation_logs(clients: AwsClients, function_name: str, request_id: str, *, limit: int = 2000) -> dict[str, Any]:
    """One invocation's log lines (between its ``START`` and ``REPORT``), found by its request id."""
    group = f"{clients.names.log_group_prefix}{function_name}"
    empty: dict[str, Any] = {"function": function_name, "requestId": request_id, "invocation": None, "lines": []}
    try:
        found = clients.logs.filter_log_events(logGroupName=group, filterPattern=f'"{request_id}"', limit=50)
    except clients.logs.exceptions.ResourceNotFoundException:
        return empty
    matches = found.get("events", [])
    if not matches:
        return empty
    stream = matches[0]["logStreamName"]
    first, last = int(min(e["timestamp"] for e in matches)), int(max(e["timestamp"] for e in matches))
    page = clients.logs.get_log_events(
        logGroupName=group, logStreamName=stream, startTime=first, endTime=last + 1, startFromHead=True, limit=limit
    )
    folded = summarise(page.get("events", []))
    invocation = next((i for i in folded.invocations if i.request_id == request_id), None)
    return {
        **empty,
        "stream": stream,
        "invocation": invocation.to_json() if invocation else None,
        "lines": [line for line in folded.lines if line["requestId"] == request_id],
    }
