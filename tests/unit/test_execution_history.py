"""Folding GetExecutionHistory events into steps: attempts, request ids, callbacks, redrives and the time split."""

from __future__ import annotations

import json

from causal_dashboard.execution_history import fold, jobs_in, request_id_of, session_of
from causal_stack.executions import pretty, render_execution


def _events(*events: tuple[int, str, dict]) -> list[dict]:
    return [
        {"id": index + 1, "timestamp": at, "type": kind, **details} for index, (at, kind, details) in enumerate(events)
    ]


def _entered(name: str, payload: str = "{}") -> dict:
    return {"stateEnteredEventDetails": {"name": name, "input": payload}}


def _exited(name: str, payload: str = "{}") -> dict:
    return {"stateExitedEventDetails": {"name": name, "output": payload}}


LAMBDA = {
    "resourceType": "lambda",
    "resource": "invoke",
    "parameters": '{"FunctionName": "arn:aws:lambda:r:1:function:fn"}',
}


def _succeeded(request_id: str) -> dict:
    output = {"Payload": {}, "SdkResponseMetadata": {"RequestId": request_id}, "StatusCode": 200}
    return {"taskSucceededEventDetails": {**LAMBDA, "output": json.dumps(output)}}


def test_a_retried_task_has_one_attempt_per_try_with_its_request_id_and_the_wait_between() -> None:
    path = fold(
        _events(
            (0, "ExecutionStarted", {}),
            (10, "TaskStateEntered", _entered("Call")),
            (10, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
            (12, "TaskStarted", {}),
            (40, "TaskFailed", {"taskFailedEventDetails": {"error": "Throttled", "cause": '{"requestId": "r-1"}'}}),
            (1040, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
            (1041, "TaskStarted", {}),
            (1100, "TaskSucceeded", _succeeded("r-2")),
            (1101, "TaskStateExited", _exited("Call", '{"ok": true}')),
            (1102, "ExecutionSucceeded", {"executionSucceededEventDetails": {}}),
        ),
        "SUCCEEDED",
    )
    (step,) = path["steps"]
    assert step["retries"] == 1 and step["status"] == "succeeded" and step["error"] is None
    assert [(a["status"], a["requestId"], a["function"]) for a in step["attempts"]] == [
        ("failed", "r-1", "arn:aws:lambda:r:1:function:fn"),
        ("succeeded", "r-2", "arn:aws:lambda:r:1:function:fn"),
    ]
    summary = path["summary"]
    assert summary["totalMs"] == 1102 and summary["waitingBetweenRetriesMs"] == 1000
    assert summary["inTasksMs"] == 28 + 59
    assert summary["betweenStatesMs"] == 1102 - 1000 - 87


def test_a_callback_task_splits_the_invoke_from_the_wait() -> None:
    path = fold(
        _events(
            (0, "ExecutionStarted", {}),
            (0, "TaskStateEntered", _entered("Job")),
            (1, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
            (2, "TaskStarted", {}),
            (
                30,
                "TaskSubmitted",
                {
                    "taskSubmittedEventDetails": {
                        **LAMBDA,
                        "output": json.dumps({"SdkResponseMetadata": {"RequestId": "r-9"}}),
                    }
                },
            ),
        ),
        "RUNNING",
    )
    (attempt,) = path["steps"][0]["attempts"]
    assert attempt["requestId"] == "r-9" and attempt["submittedAt"] == 30 and attempt["status"] == "running"
    assert path["current"] == "Job" and path["summary"]["totalMs"] is None


def test_a_redriven_execution_starts_a_new_round_and_clears_the_old_error() -> None:
    failure = {"error": "KeyError", "cause": "dose"}
    path = fold(
        _events(
            (0, "ExecutionStarted", {}),
            (0, "TaskStateEntered", _entered("A")),
            (1, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
            (5, "TaskFailed", {"taskFailedEventDetails": failure}),
            (6, "ExecutionFailed", {"executionFailedEventDetails": failure}),
            (506, "ExecutionRedriven", {"executionRedrivenEventDetails": {"redriveCount": 1}}),
            (506, "TaskStateEntered", _entered("A")),
            (507, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
            (520, "TaskSucceeded", _succeeded("r-3")),
            (521, "TaskStateExited", _exited("A")),
            (521, "ExecutionSucceeded", {"executionSucceededEventDetails": {}}),
        ),
        "SUCCEEDED",
    )
    assert [(s["attempt"], s["status"], s["durationMs"]) for s in path["steps"]] == [
        (0, "failed", 5),
        (1, "succeeded", 15),
    ]
    assert path["error"] is None and path["failedStates"] == []
    assert path["redrives"] == [{"at": 506, "redriveCount": 1}]
    assert path["summary"]["waitingForRedriveMs"] == 500


def test_request_ids_come_from_aws_metadata_or_the_error_payload_and_nothing_else() -> None:
    assert request_id_of({"output": '{"SdkResponseMetadata": {"RequestId": "a"}}'}) == "a"
    assert request_id_of({"cause": '{"errorMessage": "x", "requestId": "b"}'}) == "b"
    assert request_id_of({"cause": "plain words"}) is None and request_id_of({}) is None


def test_payloads_are_pretty_printed_and_cut_unless_full() -> None:
    text = json.dumps({"rows": list(range(50))})
    cut = pretty(text, full=False)
    assert cut.startswith('{\n  "rows": [') and "more lines (--full shows all)" in cut
    assert len(pretty(text, full=True).splitlines()) == 54
    assert pretty("not json", full=False) == "not json" and pretty(None, full=False) == "—"


def test_the_terminal_view_names_the_failing_state_its_error_and_the_request() -> None:
    failure = {"error": "KeyError", "cause": '{"errorMessage": "dose", "requestId": "r-7"}'}
    events = _events(
        (0, "ExecutionStarted", {}),
        (0, "TaskStateEntered", _entered("Analyse", '{"q": 1}')),
        (1, "TaskScheduled", {"taskScheduledEventDetails": LAMBDA}),
        (9, "TaskFailed", {"taskFailedEventDetails": failure}),
        (9, "ExecutionFailed", {"executionFailedEventDetails": failure}),
    )
    detail = {
        "name": "s-1",
        "status": "FAILED",
        "startedAt": 0,
        "stoppedAt": 9,
        "error": "KeyError",
        "cause": failure["cause"],
    }
    text = render_execution({**detail, "path": fold(events, "FAILED")})
    assert text.splitlines()[0] == "execution s-1  FAILED  took 9 ms"
    assert "Analyse" in text and "lambda fn" in text and "request r-7" in text and "error  | KeyError" in text


def test_the_jobs_shown_are_those_created_while_the_execution_ran() -> None:
    jobs = [
        {"jobId": "before", "createdAt": 5, "startedAt": 6, "finishedAt": 7},
        {"jobId": "during", "tool": "run_analysis", "createdAt": 20, "startedAt": 120, "finishedAt": 900},
        {"jobId": "queued", "createdAt": 950},
    ]
    shown = jobs_in(jobs, 10, None)
    assert [(j["jobId"], j["queuedMs"], j["runMs"]) for j in shown] == [("during", 100, 780), ("queued", None, None)]
    assert [j["jobId"] for j in jobs_in(jobs, 10, 930)] == ["during"]
    assert (
        session_of('{"sessionId": "s-1", "query": {}}') == "s-1"
        and session_of("{}") is None
        and session_of(None) is None
    )
