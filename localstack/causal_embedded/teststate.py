"""Step Functions ``TestState`` on the embedded emulator, with AWS's request and response shapes.

The request (botocore's ``TestState`` model): ``definition`` (one state, or a whole
state machine with ``stateName``), ``input``, ``inspectionLevel`` (INFO, DEBUG,
TRACE), ``mock`` (``result`` or ``errorOutput``), ``variables``, ``context`` and
``stateConfiguration.retrierRetryCount`` (``variables`` are refused with a reason:
moto's interpreter reads them through JSONata, which it leaves out). The answer: ``status`` (SUCCEEDED,
FAILED, RETRIABLE, CAUGHT_ERROR), ``output``, ``error``, ``cause``, ``nextState``
and, at DEBUG and TRACE, ``inspectionData`` (the input after each processing step).

moto's interpreter runs the state once, without its ``Retry`` and ``Catch``; what
they would do with an error is decided here as Step Functions decides it: the first
retrier naming the error retries while ``retrierRetryCount`` is below its
``MaxAttempts`` (RETRIABLE, with the backoff it would wait); otherwise the first
catcher naming it routes to its ``Next`` with the error placed at its ``ResultPath``
(CAUGHT_ERROR, by the interpreter's own ResultPath); otherwise the state FAILED.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from causal_embedded.stepfunctions_errors import InvalidDefinition, InvalidExecutionInput, ValidationException

TESTED_STATE = "TestState"  # the name moto's TestState parser gives the state under test
INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
TASK_STATE_TYPES = {"Task", "Map", "Parallel"}
# Never matched by States.ALL (nor by States.TaskFailed): they always fail the execution.
NOT_CATCHABLE = {"States.Runtime", "States.DataLimitExceeded"}
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_BACKOFF_RATE = 2.0


@dataclass
class StateTest:
    """One ``TestState`` request, checked."""

    state: dict[str, Any]
    state_name: str | None
    input: Any
    inspection_level: str = "INFO"
    mock_result: Any = None
    mock_error: dict[str, str] | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    retrier_retry_count: int = 0
    role_arn: str | None = None

    @property
    def mocked(self) -> bool:
        return self.mock_result is not None or self.mock_error is not None


def _json_field(request: dict[str, Any], name: str, error: type[Exception], default: Any) -> Any:
    text = request.get(name)
    if text is None:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise error(f"'{name}' is not valid JSON: {exc}") from exc


def parse_request(request: dict[str, Any]) -> StateTest:
    """Check a ``TestState`` request; raise AWS's errors for what it gets wrong."""
    definition = _json_field(request, "definition", InvalidDefinition, None)
    if not isinstance(definition, dict):
        raise InvalidDefinition("'definition' must be a JSON object: a state, or a state machine with 'stateName'")
    state_name = request.get("stateName")
    if state_name is not None:
        states = definition.get("States")
        if not isinstance(states, dict):
            raise InvalidDefinition("with 'stateName', 'definition' must be a whole state machine (with 'States')")
        if state_name not in states:
            raise ValidationException(
                f"state {state_name!r} is not in the definition; its states are: {', '.join(sorted(states))}"
            )
        state = states[state_name]
    elif "States" in definition and "Type" not in definition:
        raise ValidationException(
            "the definition is a whole state machine: give 'stateName', the state to test "
            f"(one of: {', '.join(sorted(definition['States']))})"
        )
    else:
        state = definition
    if not isinstance(state, dict) or not isinstance(state.get("Type"), str):
        raise InvalidDefinition("the state to test has no 'Type'")
    level = request.get("inspectionLevel") or "INFO"
    if level not in INSPECTION_LEVELS:
        raise ValidationException(f"inspectionLevel {level!r} is not one of {', '.join(INSPECTION_LEVELS)}")
    test = StateTest(
        state=state,
        state_name=state_name,
        input=_json_field(request, "input", InvalidExecutionInput, {}),
        inspection_level=level,
        variables=_json_field(request, "variables", ValidationException, {}),
        context=_json_field(request, "context", ValidationException, {}),
        role_arn=request.get("roleArn"),
    )
    if not isinstance(test.variables, dict) or not isinstance(test.context, dict):
        raise ValidationException("'variables' and 'context' must be JSON objects")
    if test.variables:
        # moto's interpreter reads $variables through JSONata, and its JSONata engine is left out.
        raise ValidationException(
            "the embedded emulator cannot read variables (its interpreter has no JSONata engine, which reading "
            f"{', '.join('$' + name for name in sorted(test.variables))} needs); leave 'variables' out, "
            "or test the state on AWS or LocalStack"
        )
    _read_mock(request.get("mock"), test)
    configuration = request.get("stateConfiguration") or {}
    unsupported = sorted(set(configuration) - {"retrierRetryCount"})
    if unsupported:
        # Map and Parallel states are run whole by moto's interpreter: their iterations cannot be set up.
        raise ValidationException(
            f"stateConfiguration.{', stateConfiguration.'.join(unsupported)} is not supported by the embedded "
            "emulator; retrierRetryCount is"
        )
    count = configuration.get("retrierRetryCount", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValidationException("stateConfiguration.retrierRetryCount must be an integer of 0 or more")
    if count and not test.mock_error:
        raise ValidationException("stateConfiguration.retrierRetryCount applies to a mocked error (mock.errorOutput)")
    test.retrier_retry_count = count
    resource = str(state.get("Resource", ""))
    if not test.mocked and resource.endswith((".sync", ".sync:2", ".waitForTaskToken")):
        raise ValidationException(
            f"a {resource.rsplit('.', 1)[-1]} integration waits for another service; test it with a 'mock'"
        )
    return test


def _read_mock(mock: Any, test: StateTest) -> None:
    if not mock:
        return
    if test.state["Type"] not in TASK_STATE_TYPES:
        raise ValidationException(
            f"a mock applies to Task, Map and Parallel states, not to a {test.state['Type']} state"
        )
    if "result" in mock and "errorOutput" in mock:
        raise ValidationException("give mock.result or mock.errorOutput, not both")
    if "result" in mock:
        test.mock_result = _json_field(mock, "result", ValidationException, None)
        if test.mock_result is None:
            raise ValidationException("mock.result must be a JSON value")
    elif "errorOutput" in mock:
        error = mock["errorOutput"] or {}
        if not error.get("error"):
            raise ValidationException("mock.errorOutput.error is required")
        test.mock_error = {"error": str(error["error"]), "cause": str(error.get("cause", ""))}
    else:
        raise ValidationException("a mock needs 'result' or 'errorOutput'")


def _matches(names: list[str], error: str, from_task: bool) -> bool:
    if error in names:
        return True
    if error in NOT_CATCHABLE:
        return False
    return "States.ALL" in names or ("States.TaskFailed" in names and from_task and error != "States.Timeout")


def backoff_seconds(retrier: dict[str, Any], retry_count: int) -> int:
    """How long Step Functions waits before retry ``retry_count + 1`` under ``retrier``."""
    interval = retrier.get("IntervalSeconds", DEFAULT_INTERVAL_SECONDS)
    wait = interval * retrier.get("BackoffRate", DEFAULT_BACKOFF_RATE) ** retry_count
    if "MaxDelaySeconds" in retrier:
        wait = min(wait, retrier["MaxDelaySeconds"])
    return int(wait)


def run(test: StateTest, *, account_id: str, region: str) -> dict[str, Any]:
    """Run the state once and answer as ``TestState`` does."""
    state = {key: value for key, value in test.state.items() if key not in {"Retry", "Catch"}}
    answer, inspection = _evaluate(state, test, account_id=account_id, region=region)
    error = answer.get("error")
    if answer["status"] == "SUCCEEDED" and "nextState" not in answer and state.get("Next"):
        answer["nextState"] = state["Next"]
    if answer["status"] == "FAILED" and error is not None:
        _handle_error(test, answer, inspection, account_id=account_id, region=region)
    if test.inspection_level == "INFO":
        kept = {"errorDetails": inspection["errorDetails"]} if "errorDetails" in inspection else {}
    else:
        kept = inspection
    if kept:
        answer["inspectionData"] = kept
    return answer


def _handle_error(
    test: StateTest, answer: dict[str, Any], inspection: dict[str, Any], *, account_id: str, region: str
) -> None:
    error, cause = answer["error"], answer.get("cause") or ""
    from_task = test.state["Type"] == "Task"
    for index, retrier in enumerate(test.state.get("Retry") or []):
        if not _matches(list(retrier.get("ErrorEquals", [])), error, from_task):
            continue
        if test.retrier_retry_count < retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS):
            answer["status"] = "RETRIABLE"
            inspection["errorDetails"] = {
                "retryIndex": index,
                "retryBackoffIntervalSeconds": backoff_seconds(retrier, test.retrier_retry_count),
            }
            return
        break  # the retrier that names the error is spent: the error goes on to Catch
    for index, catcher in enumerate(test.state.get("Catch") or []):
        if not _matches(list(catcher.get("ErrorEquals", [])), error, from_task):
            continue
        placed = {
            "Type": "Pass",
            "Result": {"Error": error, "Cause": cause},
            "ResultPath": catcher.get("ResultPath", "$"),
            "End": True,
        }
        caught = StateTest(state=placed, state_name=None, input=test.input, variables=test.variables)
        placed_answer, _ = _evaluate(placed, caught, account_id=account_id, region=region)
        answer.update(status="CAUGHT_ERROR", output=placed_answer.get("output"), nextState=catcher["Next"])
        inspection["errorDetails"] = {"catchIndex": index}
        return


def _evaluate(
    state: dict[str, Any], test: StateTest, *, account_id: str, region: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One run of ``state`` by moto's TestState interpreter: (the answer, its inspection data)."""
    from moto.stepfunctions.parser.backend.state_machine import TestStateMachine
    from moto.stepfunctions.parser.backend.test_state.execution import TestStateExecution
    from moto.stepfunctions.parser.backend.test_state.execution_worker import TestStateExecutionWorker
    from moto.stepfunctions.parser.mocking.mock_config import (
        MockedResponse,
        MockedResponseReturn,
        MockedResponseThrow,
        MockTestCase,
        StateMockedResponses,
    )

    name = f"TestState-{uuid.uuid4().hex[:10]}"
    machine_arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"
    role = test.role_arn or f"arn:aws:iam::{account_id}:role/TestState"
    mocks: list[StateMockedResponses] = []
    if test.mocked:
        mocked: MockedResponse
        if test.mock_error is not None:
            mocked = MockedResponseThrow(0, 0, test.mock_error["error"], test.mock_error["cause"])
        else:
            mocked = MockedResponseReturn(0, 0, test.mock_result)
        mocks.append(StateMockedResponses(TESTED_STATE, "mock", [mocked]))
    mock_case = MockTestCase(name, TESTED_STATE, mocks) if mocks else None

    class Worker(TestStateExecutionWorker):
        def _get_evaluation_environment(self) -> Any:
            env = super()._get_evaluation_environment()
            env.mock_test_case = mock_case
            for key, value in test.variables.items():
                env.variable_store.set(key, value)
            env.variable_store.reset_tracing()
            data = cast(dict[str, Any], env.states.context_object.context_object_data)
            for key, value in test.context.items():
                if isinstance(value, dict) and isinstance(data.get(key), dict):
                    data[key].update(value)
                else:
                    data[key] = value
            return env

    class Communication(TestStateExecution.TestCaseExecutionWorkerCommunication):
        def terminated(self) -> None:
            """The answer is read from the program's end state below (moto's reading refuses a state with Next)."""

    class Execution(TestStateExecution):
        def _get_start_execution_worker_comm(self) -> Any:
            return Communication(self)

        def _get_start_execution_worker(self) -> Any:
            return Worker(
                evaluation_details=self._get_evaluation_details(),
                exec_comm=self._get_start_execution_worker_comm(),
                cloud_watch_logging_session=self._cloud_watch_logging_session,
                activity_store=self._activity_store,
            )

        def _get_evaluation_details(self) -> Any:
            from moto.stepfunctions.parser.asl.eval.evaluation_details import EvaluationDetails

            return EvaluationDetails(
                aws_execution_details=self._get_start_aws_execution_details(),
                execution_details=self.get_start_execution_details(),
                state_machine_details=self.get_start_state_machine_details(),
            )

    machine = TestStateMachine(name=name, arn=machine_arn, definition=json.dumps(state), role_arn=role)
    execution = Execution(
        name=name,
        role_arn=role,
        exec_arn=machine_arn.replace(":stateMachine:", ":execution:") + f":{name}",
        account_id=account_id,
        region_name=region,
        state_machine=machine,
        start_date=datetime.datetime.now(tz=datetime.UTC),
        activity_store={},
        input_data=json.dumps(test.input),  # type: ignore[arg-type]
    )
    execution.start()
    if execution.exec_worker is None:
        raise RuntimeError("the TestState execution did not start")
    return _answer(execution.exec_worker.env)


def _answer(env: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer from where the program ended: (status, output or error, next state; inspection data)."""
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramEnded,
        ProgramError,
        ProgramRunning,
        ProgramTimedOut,
    )
    from moto.stepfunctions.parser.asl.eval.test_state.program_state import ProgramChoiceSelected
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    ended = env.program_state()
    inspection = {key: value for key, value in dict(env.inspection_data).items() if value is not None}
    if isinstance(ended, ProgramError):
        error = ended.error or {}
        return {"status": "FAILED", "error": error.get("error"), "cause": error.get("cause")}, inspection
    if isinstance(ended, ProgramTimedOut):
        return {
            "status": "FAILED",
            "error": "States.Timeout",
            "cause": "the state ran for more than 5 minutes",
        }, inspection
    answer: dict[str, Any] = {"status": "SUCCEEDED", "output": to_json_str(env.states.get_input())}
    if isinstance(ended, (ProgramChoiceSelected, ProgramRunning)) and ended.next_state_name:
        answer["nextState"] = ended.next_state_name
    elif not isinstance(ended, ProgramEnded):
        return {
            "status": "FAILED",
            "error": "States.Runtime",
            "cause": f"the state ended as {type(ended).__name__}",
        }, inspection
    return answer, inspection
