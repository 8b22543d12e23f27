"""State-machine executions: list, and one execution's path through the states."""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code, error_message
from causal_common.errors import InvalidInputError, NotFoundError
from causal_dashboard.asl_diagram import layout
from causal_dashboard.clients import AwsClients
from causal_dashboard.execution_history import clip, epoch_ms, fold, jobs_in, read_history, session_of
from causal_dashboard.store import session_jobs

logger = logging.getLogger(__name__)


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
    events = read_history(sfn, execution_arn)
    definition = sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"]
    status = execution["status"]
    return {
        "name": name,
        "executionArn": execution_arn,
        "status": status,
        "startedAt": epoch_ms(execution.get("startDate")),
        "stoppedAt": epoch_ms(execution.get("stopDate")),
        "input": clip(execution.get("input")),
        "output": clip(execution.get("output")),
        "error": execution.get("error"),
        "cause": clip(execution.get("cause")),
        "redriveCount": execution.get("redriveCount", 0),
        "redriveStatus": execution.get("redriveStatus"),
        "redriveStatusReason": execution.get("redriveStatusReason"),
        "redriveDate": epoch_ms(execution.get("redriveDate")),
        "path": fold(events, status),
        "jobs": _jobs(clients, execution),
        "diagram": layout(definition),
        "definition": json.loads(definition),
    }


def _jobs(clients: AwsClients, execution: dict[str, Any]) -> list[dict[str, Any]]:
    """The ECS jobs this execution ran (from the jobs table), for the timeline."""
    session = session_of(execution.get("input"))
    if session is None:
        return []
    return jobs_in(
        session_jobs(clients, session), epoch_ms(execution.get("startDate")), epoch_ms(execution.get("stopDate"))
    )


def _execution_arn(clients: AwsClients, name: str) -> tuple[str, str]:
    machine_arn = state_machine_arn(clients)
    if machine_arn is None:
        raise NotFoundError("the state machine is not deployed")
    return machine_arn, machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def redrive(clients: AwsClients, name: str) -> dict[str, Any]:
    """Redrive a failed, aborted or timed-out execution (``RedriveExecution``): it resumes where it failed."""
    _, execution_arn = _execution_arn(clients, name)
    try:
        # Look it up first: an unknown or malformed name is "not found" whatever the emulator supports.
        status = clients.stepfunctions.describe_execution(executionArn=execution_arn)["status"]
    except ClientError as exc:
        if error_code(exc) in {"ExecutionDoesNotExist", "ResourceNotFound", "InvalidArn"}:
            raise NotFoundError(f"no execution named {name!r}") from exc
        raise
    if status not in {"FAILED", "ABORTED", "TIMED_OUT"}:
        raise InvalidInputError(
            f"{name} cannot be redriven: it is {status}, and only a failed, aborted or timed-out execution can be"
        )
    try:
        answer = clients.stepfunctions.redrive_execution(executionArn=execution_arn)
    except ClientError as exc:
        if error_code(exc) == "ExecutionDoesNotExist":
            raise NotFoundError(f"no execution named {name!r}") from exc
        if error_code(exc) == "ExecutionNotRedrivable":
            raise InvalidInputError(f"{name} cannot be redriven: {error_message(exc)}") from exc
        raise
    return {"name": name, "executionArn": execution_arn, "redriveDate": epoch_ms(answer.get("redriveDate"))}


def run_state_test(clients: AwsClients, request: dict[str, Any]) -> dict[str, Any]:
    """``TestState`` on one state of the deployed state machine (its definition, ``stateName``)."""
    machine_arn, _ = _execution_arn(clients, "-")
    definition = clients.stepfunctions.describe_state_machine(stateMachineArn=machine_arn)["definition"]
    states = json.loads(definition).get("States", {})
    if request.get("stateName") not in states:
        raise InvalidInputError(
            f"no state named {request.get('stateName')!r} in the state machine; its states: {', '.join(states)}"
        )
    try:
        answer = clients.stepfunctions.test_state(definition=definition, **request)
    except ClientError as exc:
        if error_code(exc) in {"ValidationException", "InvalidDefinition", "InvalidExecutionInput"}:
            raise InvalidInputError(f"{error_code(exc)}: {error_message(exc)}") from exc
        raise
    answer.pop("ResponseMetadata", None)
    return answer
