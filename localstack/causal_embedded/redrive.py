"""Step Functions ``RedriveExecution`` on the embedded emulator, as AWS defines it.

A STANDARD execution that FAILED, was ABORTED or TIMED_OUT (in the last 14 days,
redriven fewer than 1000 times) runs again under the same ARN: it resumes at the
state that did not succeed, with the input that state was given, and the states
that succeeded are not run again. Its history goes on (``ExecutionRedriven`` with
``redriveCount``, then the new events, the ids continuing), and ``DescribeExecution``
reports ``redriveCount``, ``redriveDate``, ``redriveStatus`` and, when it cannot be
redriven, ``redriveStatusReason``.
"""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

from causal_embedded.stepfunctions_errors import ExecutionNotRedrivable

REDRIVABLE_STATUSES = {"FAILED", "ABORTED", "TIMED_OUT"}
MAX_REDRIVES = 1000
REDRIVABLE_PERIOD = datetime.timedelta(days=14)


def _status(execution: Any) -> str:
    status = execution.status
    return str(getattr(status, "value", status))


def not_redrivable_reason(execution: Any, now: datetime.datetime | None = None) -> str | None:
    """Why ``execution`` cannot be redriven now (AWS's wording), or ``None`` when it can."""
    status = _status(execution)
    if status not in REDRIVABLE_STATUSES:
        return f"Execution is {status} and cannot be redriven."
    machine_type = getattr(execution, "sm_type", "STANDARD")
    if str(getattr(machine_type, "value", machine_type)) != "STANDARD":
        return "Express executions cannot be redriven."
    if getattr(execution, "redrive_count", 0) >= MAX_REDRIVES:
        return "Execution has been redriven the maximum number of times."
    stopped = execution.stop_date
    if stopped is not None and (now or datetime.datetime.now(tz=datetime.UTC)) - stopped > REDRIVABLE_PERIOD:
        return "Execution redrivable period exceeded."
    return None


def describe_fields(execution: Any) -> dict[str, Any]:
    """The redrive fields of ``DescribeExecution``."""
    fields: dict[str, Any] = {"redriveCount": getattr(execution, "redrive_count", 0)}
    if getattr(execution, "redrive_date", None) is not None:
        fields["redriveDate"] = execution.redrive_date
    reason = not_redrivable_reason(execution)
    fields["redriveStatus"] = "REDRIVABLE" if reason is None else "NOT_REDRIVABLE"
    if reason is not None:
        fields["redriveStatusReason"] = reason
    return fields


def list_fields(execution: Any) -> dict[str, Any]:
    """The redrive fields of an ``ExecutionListItem``."""
    fields: dict[str, Any] = {"redriveCount": getattr(execution, "redrive_count", 0)}
    if getattr(execution, "redrive_date", None) is not None:
        fields["redriveDate"] = execution.redrive_date
    return fields


def resume_point(definition: dict[str, Any], events: list[dict[str, Any]]) -> tuple[str, Any]:
    """The top-level state the execution did not get past, and the input it was given there.

    An execution that ended before entering any state starts again at ``StartAt`` with its input."""
    top_level = set(definition.get("States", {}))
    open_states: dict[str, Any] = {}
    order: list[str] = []
    for event in sorted(events, key=lambda e: e.get("id", 0)):
        kind = event.get("type", "")
        if kind.endswith("StateEntered") and "stateEnteredEventDetails" in event:
            details = event["stateEnteredEventDetails"]
            if details["name"] in top_level:
                open_states[details["name"]] = details.get("input")
                order.append(details["name"])
        elif kind.endswith("StateExited") and "stateExitedEventDetails" in event:
            open_states.pop(event["stateExitedEventDetails"]["name"], None)
    for name in reversed(order):
        if name in open_states:
            text = open_states[name]
            return name, json.loads(text) if isinstance(text, str) else text
    return definition["StartAt"], None


def redrive(backend: Any, execution_arn: str) -> Any:
    """Redrive the execution (``ExecutionDoesNotExist`` and ``ExecutionNotRedrivable`` as AWS raises them)."""
    # moto answers an unknown ARN with ExecutionDoesNotExist and a malformed one with InvalidArn, as AWS does.
    execution = backend.describe_execution(execution_arn)
    reason = not_redrivable_reason(execution)
    if reason is not None:
        raise ExecutionNotRedrivable(reason)
    previous = execution.exec_worker
    events = copy.deepcopy(previous.env.event_manager.get_event_history()) if previous and previous.env else []
    definition = json.loads(execution.state_machine.definition)
    state, state_input = resume_point(definition, events)
    resumed = {**definition, "StartAt": state}
    count = getattr(execution, "redrive_count", 0) + 1
    worker = _redrive_worker(
        execution,
        definition=json.dumps(resumed),
        events=events,
        redrive_count=count,
        state_input=execution.input_data if state_input is None else state_input,
    )
    from moto.stepfunctions.parser.api import ExecutionStatus

    execution.redrive_count = count
    execution.redrive_date = datetime.datetime.now(tz=datetime.UTC)
    execution.exec_status = ExecutionStatus.RUNNING
    execution.stop_date = None
    execution.error = execution.cause = execution.output = None
    execution.exec_worker = worker
    worker.start()
    return execution


def _redrive_worker(execution: Any, *, definition: str, events: list[Any], redrive_count: int, state_input: Any) -> Any:
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.eval.evaluation_details import EvaluationDetails, StateMachineDetails
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    class RedriveWorker(ExecutionWorker):
        """Runs the definition from the resume point, its history following the first attempts'."""

        def _execution_logic(self) -> None:
            program = AmazonStateLanguageParser.parse(definition)[0]
            self.env = self._get_evaluation_environment()
            manager = self.env.event_manager
            manager._history_event_list.extend(events)
            last_id = max((event["id"] for event in events), default=0)
            manager._event_id_gen._next_id = last_id + 1
            context = self.env.event_history_context
            context.source_event_id = context.last_published_event_id = last_id
            self.env.states.reset(input_value=state_input)
            manager.add_event(
                context=self.env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                event_details=EventDetails(executionRedrivenEventDetails={"redriveCount": redrive_count}),  # type: ignore[typeddict-item]
            )
            program.eval(self.env)
            self._execution_communication.terminated()

    original = execution.get_start_state_machine_details()
    return RedriveWorker(
        evaluation_details=EvaluationDetails(
            aws_execution_details=execution._get_start_aws_execution_details(),
            execution_details=execution.get_start_execution_details(),
            state_machine_details=StateMachineDetails(
                arn=original.arn, name=original.name, typ=original.typ, definition=definition
            ),
        ),
        exec_comm=execution._get_start_execution_worker_comm(),
        cloud_watch_logging_session=execution._cloud_watch_logging_session,
        activity_store=execution._activity_store,
        # A test case's execution (``<arn>#<case>``) is redriven with the same mocked states.
        mock_test_case=getattr(execution, "mock_test_case", None),
    )
