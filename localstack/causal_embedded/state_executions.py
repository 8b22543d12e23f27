"""Step Functions state machines and execution records: out of moto's backend into a snapshot and back.

An execution is kept as ``DescribeExecution`` and ``GetExecutionHistory`` show it
(status, input, output, error and cause, dates, redrive count, and its events), with
the definition it ran. One that was still RUNNING when the snapshot was taken did not
survive the restart: it comes back FAILED with the error ``States.ServiceRestart``, its
history ending in an ``ExecutionFailed`` event, and can be redriven like any failed
execution (it resumes at the state it had entered and not left).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from typing import Any

from causal_embedded.state_snapshot import Snapshot

SERVICE_RESTART_ERROR = "States.ServiceRestart"


def service_restart_cause(saved_at: str) -> str:
    return (
        f"The stack stopped while this execution was running (its state was saved at {saved_at}); "
        "the execution did not survive the restart. Redrive it to resume at the state it had reached."
    )


def backends() -> list[tuple[str, str, Any]]:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return [
        (account_id, region, backend)
        for account_id, regions in list(stepfunctions_parser_backends.items())
        for region, backend in list(regions.items())
    ]


def capture(snapshot: Snapshot) -> int:
    machines = []
    executions = []
    definitions: dict[str, str] = {}
    for account_id, region, backend in backends():
        for machine in list(backend.state_machines):
            machines.append(
                {
                    "account": account_id,
                    "region": region,
                    "name": machine.name,
                    "definition": machine.definition,
                    "roleArn": machine.roleArn,
                    "type": machine.type,
                    "tags": backend.tagger.list_tags_for_resource(machine.arn).get("Tags", []),
                    "loggingConfiguration": machine.loggingConfiguration,
                }
            )
            for execution in list(machine.executions):
                definition = execution.state_machine.definition
                digest = hashlib.sha256(definition.encode()).hexdigest()
                definitions[digest] = definition
                executions.append(_execution_record(account_id, region, machine.arn, execution, digest))
    snapshot.documents["stepfunctions/state_machines"] = machines
    snapshot.documents["stepfunctions/definitions"] = definitions
    snapshot.lines["stepfunctions/executions"] = executions
    return len(executions)


def _execution_record(account_id: str, region: str, machine_arn: str, execution: Any, digest: str) -> dict[str, Any]:
    worker = execution.exec_worker
    environment = getattr(worker, "env", None)
    events = copy.deepcopy(environment.event_manager.get_event_history()) if environment is not None else []
    status = execution.exec_status
    return {
        "account": account_id,
        "region": region,
        "stateMachineArn": machine_arn,
        "executionArn": execution.exec_arn,
        "name": execution.name,
        "roleArn": execution.role_arn,
        "status": str(getattr(status, "value", status)),
        "input": execution.input_data,
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "startDate": execution.start_date,
        "stopDate": execution.stop_date,
        "traceHeader": execution.trace_header,
        "redriveCount": getattr(execution, "redrive_count", 0),
        "redriveDate": getattr(execution, "redrive_date", None),
        "definition": digest,
        "events": events,
    }


def restore(snapshot: Snapshot, now: datetime.datetime | None = None) -> tuple[int, list[str]]:
    """Put machines and executions back; (executions restored, ARNs of those marked ``States.ServiceRestart``)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    now = now or datetime.datetime.now(tz=datetime.UTC)
    saved_at = str(snapshot.manifest.get("savedAt", "an unknown time"))
    machines = {}
    for described in snapshot.documents.get("stepfunctions/state_machines", []):
        backend = stepfunctions_parser_backends[described["account"]][described["region"]]
        machine = backend.create_state_machine(
            name=described["name"],
            definition=described["definition"],
            roleArn=described["roleArn"],
            tags=described["tags"] or None,
            loggingConfiguration=described["loggingConfiguration"],
            sm_type=described["type"],
        )
        machines[machine.arn] = machine
    definitions: dict[str, str] = snapshot.documents.get("stepfunctions/definitions", {})
    interrupted = []
    records = snapshot.lines.get("stepfunctions/executions", [])
    for record in records:
        machine = machines[record["stateMachineArn"]]
        execution = _execution(machine, record, definitions[record["definition"]])
        if record["status"] == "RUNNING":
            _fail_for_restart(execution, now, service_restart_cause(saved_at))
            interrupted.append(execution.exec_arn)
        machine.executions.append(execution)
    return len(records), interrupted


def _execution(machine: Any, record: dict[str, Any], definition: str) -> Any:
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution

    # As StartExecution does: the execution keeps the machine as it was when it ran.
    snapshot_of_machine = copy.deepcopy(machine, {id(machine.executions): [], id(machine.backend): machine.backend})
    snapshot_of_machine.definition = definition
    execution: Any = Execution(
        name=record["name"],
        sm_type=snapshot_of_machine.sm_type,
        role_arn=record["roleArn"],
        exec_arn=record["executionArn"],
        account_id=record["account"],
        region_name=record["region"],
        state_machine=snapshot_of_machine,
        start_date=record["startDate"],
        cloud_watch_logging_session=None,
        activity_store={},
        input_data=json.dumps(record["input"]),
        trace_header=record["traceHeader"],
    )
    execution.exec_status = ExecutionStatus(record["status"])
    execution.stop_date = record["stopDate"]
    execution.output = record["output"]
    execution.error = record["error"]
    execution.cause = record["cause"]
    execution.exec_worker = RestoredRecord(record["events"])
    if record["redriveCount"]:
        execution.redrive_count = record["redriveCount"]
        execution.redrive_date = record["redriveDate"]
    return execution


def _fail_for_restart(execution: Any, now: datetime.datetime, cause: str) -> None:
    from moto.stepfunctions.parser.api import ExecutionStatus

    execution.exec_status = ExecutionStatus.FAILED
    execution.stop_date = now
    execution.error = SERVICE_RESTART_ERROR
    execution.cause = cause
    events = execution.exec_worker.env.event_manager.events
    last_id = max((event["id"] for event in events), default=0)
    events.append(
        {
            "timestamp": now,
            "type": "ExecutionFailed",
            "id": last_id + 1,
            "previousEventId": last_id,
            "executionFailedEventDetails": {"error": SERVICE_RESTART_ERROR, "cause": cause},
        }
    )


class _Events:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_event_history(self) -> list[dict[str, Any]]:
        return self.events


class _NoCallbacks:
    """A restored execution waits for no task token and runs no Map: every lookup finds nothing."""

    def notify(self, callback_id: str, outcome: Any) -> bool:
        return False

    def heartbeat(self, callback_id: str) -> bool:
        return False

    def get(self, arn: str) -> None:
        return None

    def get_all(self) -> list[Any]:
        return []


class _RecordEnvironment:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.event_manager = _Events(events)
        self.callback_pool_manager = _NoCallbacks()
        self.map_run_record_pool_manager = _NoCallbacks()


class RestoredRecord:
    """Stands where a finished execution's worker stood: its history, read by GetExecutionHistory and redrive."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.env = _RecordEnvironment(events)

    def stop(self, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        """Nothing runs: a restored execution has finished (``StopExecution`` on it changes nothing here)."""
