"""Mocked service integrations: the mock configuration file of Step Functions Local and LocalStack.

The file (``SFN_MOCK_CONFIG``, or ``causal-stack up --sfn-mock-config PATH``)::

    {
      "StateMachines": {
        "<state machine name>": {
          "TestCases": {"<test case>": {"<state name>": "<mocked response name>"}}
        }
      },
      "MockedResponses": {
        "<mocked response name>": {
          "0": {"Return": {...}},
          "1-2": {"Throw": {"Error": "...", "Cause": "..."}}
        }
      }
    }

``StartExecution`` on ``<stateMachineArn>#<test case>`` runs the state machine with the test
case's Task states mocked: the ``n``-th call of a state in the execution (0 first; a retry and a
loop's next visit are each the next call) returns or throws the response whose key covers
``n``; Retry and Catch apply as to a real result. A
``.waitForTaskToken`` state given a ``Return`` completes with it without running its task.
States the test case does not name run for real.

moto's ASL interpreter (a port of LocalStack's) already evaluates mocked responses; what it
lacks is the file and the ``#`` suffix, which this module adds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.mocking import mock_config as moto_mock
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator, model_validator

logger = logging.getLogger(__name__)

_ATTEMPTS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class MockConfigError(ValueError):
    """The mock configuration file cannot be used; the message names the file and the bad key."""


class MockedThrow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    Error: str = Field(min_length=1)
    Cause: str = ""


class MockedResponse(BaseModel):
    """One entry of a mocked response: exactly one of ``Return`` (any JSON) and ``Throw``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    Return: Any = None
    Throw: MockedThrow | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("Return" in data) == ("Throw" in data):
            raise ValueError("a mocked response has exactly one of 'Return' and 'Throw'")
        return data


def attempt_range(key: str) -> tuple[int, int]:
    """``"0"`` -> (0, 0); ``"1-3"`` -> (1, 3)."""
    found = _ATTEMPTS.match(key)
    if found is None:
        raise ValueError(f"attempt key {key!r} is neither a number ('0') nor a range ('1-2')")
    start = int(found.group(1))
    end = int(found.group(2)) if found.group(2) is not None else start
    if end < start:
        raise ValueError(f"attempt range {key!r} ends before it starts")
    return start, end


class MockedResponses(RootModel[dict[str, MockedResponse]]):
    """Attempt number or range -> response; the ranges cover 0, 1, 2, ... with no gap or overlap."""

    @field_validator("root")
    @classmethod
    def _consecutive(cls, value: dict[str, MockedResponse]) -> dict[str, MockedResponse]:
        if not value:
            raise ValueError("a mocked response needs at least the attempt '0'")
        ranges = sorted((attempt_range(key), key) for key in value)
        expected = 0
        for (start, end), key in ranges:
            if start != expected:
                raise ValueError(
                    f"attempt key {key!r} starts at {start}; attempts are numbered from 0 without gaps, expected {expected}"
                )
            expected = end + 1
        return value

    def in_attempt_order(self) -> list[tuple[int, int, MockedResponse]]:
        return sorted((*attempt_range(key), response) for key, response in self.root.items())


class StateMachineCases(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    TestCases: dict[str, dict[str, str]]


class MockConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    StateMachines: dict[str, StateMachineCases]
    MockedResponses: dict[str, MockedResponses]

    @model_validator(mode="after")
    def _references_resolve(self) -> MockConfig:
        for machine, cases in self.StateMachines.items():
            for case, states in cases.TestCases.items():
                for state, response in states.items():
                    if response not in self.MockedResponses:
                        raise ValueError(
                            f"StateMachines.{machine}.TestCases.{case}.{state}: mocked response {response!r} "
                            "is not defined under MockedResponses"
                        )
        return self

    def test_case(
        self, state_machine_name: str, test_case: str
    ) -> dict[str, list[tuple[int, int, MockedResponse]]] | None:
        """The test case's states and their responses in attempt order; None if it is not defined."""
        machine = self.StateMachines.get(state_machine_name)
        if machine is None or test_case not in machine.TestCases:
            return None
        return {
            state: self.MockedResponses[response].in_attempt_order()
            for state, response in machine.TestCases[test_case].items()
        }


def _location(loc: tuple[int | str, ...]) -> str:
    # pydantic puts the root model's own "root" and, for a union, the member's name into the path.
    parts = [str(part) for part in loc if part != "root"]
    return ".".join(parts) or "(top level)"


def parse(text: str, source: str = "mock configuration") -> MockConfig:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MockConfigError(f"{source}: not JSON: {exc}") from exc
    try:
        return MockConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_location(error['loc'])}: {error['msg']}" for error in exc.errors())
        raise MockConfigError(f"{source}: {problems}") from exc


def load(path: Path) -> MockConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MockConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return parse(text, str(path))


class MockConfigFile:
    """The file a running emulator uses, read again when it changes (so an edit needs no restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._config: MockConfig | None = None
        self.current()

    def current(self) -> MockConfig:
        with self._lock:
            try:
                status = os.stat(self.path)
            except OSError as exc:
                raise MockConfigError(f"{self.path}: cannot be read: {exc.strerror or exc}") from exc
            stamp = (status.st_mtime_ns, status.st_size)
            if self._config is None or stamp != self._stamp:
                self._config = load(self.path)
                self._stamp = stamp
                logger.info("Step Functions mock configuration read from %s", self.path)
            return self._config


class CountedTestCase(moto_mock.MockTestCase):
    """One execution's test case: it counts each state's calls, so the next call takes the next response.

    moto's interpreter (as LocalStack's) picks a response by the state's ``RetryCount``, which a
    loop's next visit resets to 0; counting calls serves retries the same way and lets a loop
    (the agent's LLM step asking for a tool, then answering) take a new response each time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def next_response(self, state: str) -> Any:
        with self._lock:
            call = self._calls.get(state, 0)
            self._calls[state] = call + 1
        responses = self.state_mocked_responses[state].mocked_responses
        if call >= len(responses):
            raise RuntimeError(
                f"test case {self.test_case_name!r}: state {state!r} has no mocked response for call {call} "
                f"(its mocked response defines calls 0-{len(responses) - 1})"
            )
        return responses[call]


def moto_test_case(config: MockConfig, state_machine_name: str, test_case: str) -> CountedTestCase | None:
    """The test case for moto's interpreter, or None if the file does not define it."""
    states = config.test_case(state_machine_name, test_case)
    if states is None:
        return None
    per_state = []
    for state, responses in states.items():
        mocked: list[Any] = []
        for start, end, response in responses:
            if response.Throw is not None:
                mocked.append(moto_mock.MockedResponseThrow(start, end, response.Throw.Error, response.Throw.Cause))
            else:
                mocked.append(moto_mock.MockedResponseReturn(start, end, response.Return))
        per_state.append(moto_mock.StateMockedResponses(state, state, mocked))
    return CountedTestCase(state_machine_name, test_case, per_state)


def install(source: Callable[[], MockConfig | None], patch: Callable[[Any, str, Any], None]) -> None:
    """Make ``StartExecution`` honour ``<stateMachineArn>#<test case>`` with the file ``source`` gives.

    ``patch(owner, attribute, replacement)`` sets the replacements (``setattr``, or a test's
    ``monkeypatch.setattr``). Without a file, or for a test case it does not define, the
    call fails with ``InvalidName``, as LocalStack answers.
    """
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from causal_embedded.stepfunctions_errors import InvalidName

    pending = threading.local()
    original_start = StepFunctionsParserBackend.start_execution
    original_worker = Execution._get_start_execution_worker
    original_response = Environment.get_current_mocked_response

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        arn, marker, case = state_machine_arn.partition("#")
        if not marker:
            return original_start(self, state_machine_arn, name, execution_input, trace_header)
        machine = self.describe_state_machine(arn)
        try:
            config = source()
        except MockConfigError as exc:
            raise InvalidName(f"Invalid mock test case name '{case}': {exc}") from exc
        test_case = None if config is None else moto_test_case(config, machine.name, case)
        if test_case is None:
            raise InvalidName(
                f"Invalid mock test case name '{case}' for state machine '{machine.name}'. "
                + (
                    "No mock configuration file is set (SFN_MOCK_CONFIG)."
                    if config is None
                    else "The test case is not defined in the mock configuration file."
                )
            )
        pending.test_case = test_case
        try:
            return original_start(self, arn, name, execution_input, trace_header)
        finally:
            pending.test_case = None

    def get_start_execution_worker(self: Any) -> Any:
        worker = original_worker(self)
        test_case = getattr(pending, "test_case", None)
        if test_case is not None:
            self.mock_test_case = test_case  # kept for a redrive of this execution
        worker._mock_test_case = getattr(self, "mock_test_case", None)  # type: ignore[misc]
        return worker

    def get_current_mocked_response(self: Any) -> Any:
        if isinstance(self.mock_test_case, CountedTestCase) and self.is_mocked_mode():
            return self.mock_test_case.next_response(self.next_state_name)
        return original_response(self)

    patch(StepFunctionsParserBackend, "start_execution", start_execution)
    patch(Environment, "get_current_mocked_response", get_current_mocked_response)
    patch(Execution, "_get_start_execution_worker", get_start_execution_worker)
