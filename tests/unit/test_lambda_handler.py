"""The handler middleware: validation, log ids, clients built once, results dumped by alias."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Mapping

import pytest
from pydantic import Field, ValidationError

from causal_common import lambda_handler as middleware
from causal_common import log


class Event(middleware.LambdaEvent):
    session_id: str = Field(alias="sessionId")

    def log_ids(self) -> Mapping[str, str | None]:
        return {"session_id": self.session_id}


class Result(middleware.LambdaEvent):
    next_step: str = Field(alias="nextStep")


class Context:
    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id


@pytest.fixture()
def records(monkeypatch):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.JsonFormatter())
    logger = logging.getLogger("middleware-test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    monkeypatch.setattr(middleware, "_cold_start", True)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_log_lines_carry_the_session_the_request_and_the_cold_start(records):
    built: list[int] = []

    def build() -> list[int]:
        built.append(1)
        return built

    @middleware.lambda_handler(Event, build)
    def handler(event: Event, clients: list[int]) -> Result:
        logging.getLogger("middleware-test").info("step ran for %s", event.session_id)
        return Result(nextStep="done")

    assert handler({"sessionId": "s-1"}, Context("req-1")) == {"nextStep": "done"}
    assert handler({"sessionId": "s-2"}, Context("req-2")) == {"nextStep": "done"}
    assert built == [1], "clients are built once per container"
    first, second = records()
    assert (first["session_id"], first["request_id"], first["cold_start"]) == ("s-1", "req-1", True)
    assert (second["session_id"], second["request_id"], second["cold_start"]) == ("s-2", "req-2", False)


def test_a_bad_event_is_refused_before_the_step_runs(records):
    ran: list[Event] = []

    @middleware.lambda_handler(Event, dict)
    def handler(event: Event, clients: dict[str, str]) -> dict[str, str]:
        ran.append(event)
        return {}

    with pytest.raises(ValidationError):
        handler({"session": "s-1"}, None)
    assert ran == []
    assert handler({"sessionId": "s-1"}, None) == {}
