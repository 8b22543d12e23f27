"""State-machine executions: list, and one execution's path through the states."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.errors import NotFoundError
from causal_dashboard.asl_diagram import layout
from causal_dashboard.clients import AwsClients

logger = logging.getLogger(__name__)

MAX_PAYLOAD_CHARS = 20_000
_FAILURE_DETAILS = (
    "taskFailedEventDetails",
    "lambdaFunctionFailedEventDetails",
    "lambdaFunctionTimedOutEventDetails",
    "taskTimedOutEventDetails",
    "executionFailedEventDetails",
    "executionTimedOutEventDetails",
    "executionAbortedEventDetails",
    "activityFailedEventDetails",
)


def epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)):
        return int(value)
    return None


def state_machine_arn(clients: AwsClients) -> str | None:
    """The agent state machine's ARN, found by name (the account id differs per target)."""
    wanted = clients.names.state_machine
    paginator = clients.stepfunctions.get_paginator("list_state_machines")
    for page in paginator.paginate():
        for machine in page.get("stateMachines", []):
            if machine["name"] == wanted:
                return machine["stateMachineArn"]
    return None


def list_executions(clients: AwsClients, *, limit: int = 50) -> dict[str, Any]:
    arn = state_machine_arn(clients)
    if arn is None:
        return {"stateMachineArn": None, "executions": []}
    page = clients.stepfunctions.list_executions(stateMachineArn=arn, maxResults=min(max(limit, 1), 1000))
    executions = [
        {
            "name": item["name"],
            "executionArn": item["executionArn"],
            "status": item["status"],
            "startedAt": epoch_ms(item.get("startDate")),
            "stoppedAt": epoch_ms(item.get("stopDate")),
        }
        for item in page.get("executions", [])
    ]
    executions.sort(key=lambda item: item["startedAt"] or 0, reverse=True)
    return {"stateMachineArn": arn, "executions": executions}


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_PAYLOAD_CHARS:
        return text
    return text[:MAX_PAYLOAD_CHARS] + f"… ({len(text) - MAX_PAYLOAD_CHARS} more characters)"


def path_from_history(events: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """Fold history events into the steps taken, oldest first, with durations and errors."""
    steps: list[dict[str, Any]] = []
    open_steps: dict[str, dict[str, Any]] = {}
    last_error: dict[str, Any] | None = None
    for event in sorted(events, key=lambda e: e.get("id", 0)):
        kind = event.get("type", "")
        at = epoch_ms(event.get("timestamp"))
        if kind.endswith("StateEntered") and "stateEnteredEventDetails" in event:
            details = event["stateEnteredEventDetails"]
            step = {
                "name": details["name"],
                "type": kind[: -len("StateEntered")],
                "enteredAt": at,
                "exitedAt": None,
                "durationMs": None,
                "input": _clip(details.get("input")),
                "output": None,
                "error": None,
                "cause": None,
                "status": "running",
            }
            steps.append(step)
            open_steps[details["name"]] = step
            continue
        if kind.endswith("StateExited") and "stateExitedEventDetails" in event:
            details = event["stateExitedEventDetails"]
            exited = open_steps.pop(details["name"]) if details["name"] in open_steps else None
            if exited is not None:
                step = exited
                step["exitedAt"] = at
                step["durationMs"] = (
                    (at - step["enteredAt"]) if at is not None and step["enteredAt"] is not None else None
                )
                step["output"] = _clip(details.get("output"))
                step["status"] = "failed" if step["error"] and not step["output"] else "succeeded"
            continue
        for key in _FAILURE_DETAILS:
            if key in event:
                last_error = {"error": event[key].get("error"), "cause": _clip(event[key].get("cause"))}
                target = steps[-1] if steps else None
                if target is not None and target["exitedAt"] is None and not key.startswith("execution"):
                    target.update(last_error)
                break
    finished = status != "RUNNING"
    for step in steps:
        if step["exitedAt"] is None:
            if step["type"] in {"Succeed"}:
                step["status"] = "succeeded"
            elif step["type"] == "Fail" or step["error"]:
                step["status"] = "failed"
            elif finished:
                step["status"] = "failed" if status in {"FAILED", "TIMED_OUT", "ABORTED"} else "succeeded"
            if finished and step["durationMs"] is None and step["enteredAt"] is not None:
                step["durationMs"] = 0 if step["type"] in {"Succeed", "Fail"} else None
    if finished and steps and status in {"FAILED", "TIMED_OUT", "ABORTED"} and last_error:
        failed = next((s for s in reversed(steps) if s["status"] == "failed"), None)
        if failed is not None and not failed["error"]:
            failed.update(last_error)
    current = steps[-1]["name"] if steps and not finished and steps[-1]["exitedAt"] is None else None
    return {
        "steps": steps,
        "visited": sorted({step["name"] for step in steps}),
        "failedStates": sorted({step["name"] for step in steps if step["status"] == "failed"}),
        "current": current,
        "error": last_error,
    }


def describe(clients: AwsClients, name: str) -> dict[str, Any]:
    """One execution with its path and the state machine's diagram."""
    machine_arn = state_machine_arn(clients)
    if machine_arn is None:
        raise NotFoundError("the state machine is not deployed")
    execution_arn = machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    sfn = clients.stepfunctions
    try:
        execution = sfn.describe_execution(executionArn=execution_arn)
    except ClientError as exc:
        if error_code(exc) in {"ExecutionDoesNotExist", "ResourceNotFound", "InvalidArn"}:
            raise NotFoundError(f"no execution named {name!r}") from exc
        raise
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while len(events) < 5000:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    definition = sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"]
    status = execution["status"]
    return {
        "name": name,
        "executionArn": execution_arn,
        "status": status,
        "startedAt": epoch_ms(execution.get("startDate")),
        "stoppedAt": epoch_ms(execution.get("stopDate")),
        "input": _clip(execution.get("input")),
        "output": _clip(execution.get("output")),
        "error": execution.get("error"),
        "cause": _clip(execution.get("cause")),
        "path": path_from_history(events, status),
        "diagram": layout(definition),
        "definition": json.loads(definition),
    }
