"""An execution's history (``GetExecutionHistory`` events) folded into the steps a developer reads.

Each step is one state entered: its input and output or error and cause, every
attempt of its task (Lambda or any service integration; a retry is one more
attempt), the Lambda request id of each attempt (what links it to the
function's log lines), and timestamps for a timeline. ``summary`` splits the
execution's time into work in tasks, waiting for callbacks (an ECS job, a
user's reply), waiting between retries, and the rest: moving between states.
The dashboard's execution view and ``causal-stack executions`` both read it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

MAX_PAYLOAD_CHARS = 20_000
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
}
# The events of one attempt, by the prefix their type starts with and the field their details live in.
_ATTEMPT_KINDS = {"Task": "task", "LambdaFunction": "lambdaFunction", "Activity": "activity"}
_ATTEMPT_END = {"Succeeded": "succeeded", "Failed": "failed", "TimedOut": "timed_out"}
_ATTEMPT_START_FAILED = ("StartFailed", "SubmitFailed", "ScheduleFailed")


def epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)):
        return int(value)
    return None


def clip(text: str | None, limit: int = MAX_PAYLOAD_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def request_id_of(details: dict[str, Any]) -> str | None:
    """The Lambda request id an attempt's event carries: ``SdkResponseMetadata.RequestId`` in a
    ``lambda:invoke`` result (as on AWS), or ``requestId`` in an error payload (the local runner's)."""
    for field in ("output", "cause"):
        parsed = _json(details.get(field))
        if not isinstance(parsed, dict):
            continue
        metadata = parsed.get("SdkResponseMetadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("RequestId"), str):
            return metadata["RequestId"]
        if isinstance(parsed.get("requestId"), str):
            return parsed["requestId"]
    return None


def function_of(details: dict[str, Any]) -> str | None:
    """The Lambda function an attempt calls (its name or ARN), from the scheduled event."""
    if details.get("resourceType") == "lambda":
        parameters = _json(details.get("parameters"))
        if isinstance(parameters, dict) and isinstance(parameters.get("FunctionName"), str):
            return parameters["FunctionName"]
    resource = details.get("resource")
    if isinstance(resource, str) and ":function:" in resource:
        return resource
    return None


def _attempt_event(kind: str) -> tuple[str, str] | None:
    """(prefix, phase) of an attempt's event type: ("Task", "Scheduled"), ("LambdaFunction", "Failed")…"""
    for prefix in _ATTEMPT_KINDS:
        if kind.startswith(prefix) and not kind.startswith(prefix + "State"):
            return prefix, kind[len(prefix) :]
    return None


def _new_step(details: dict[str, Any], kind: str, at: int | None) -> dict[str, Any]:
    return {
        "name": details["name"],
        "type": kind[: -len("StateEntered")],
        "enteredAt": at,
        "exitedAt": None,
        "durationMs": None,
        "input": clip(details.get("input")),
        "output": None,
        "error": None,
        "cause": None,
        "status": "running",
        "attempts": [],
        "retries": 0,
    }


def _on_attempt(step: dict[str, Any], prefix: str, phase: str, event: dict[str, Any], at: int | None) -> None:
    details_key = f"{_ATTEMPT_KINDS[prefix]}{phase}EventDetails"
    details = event.get(details_key) or {}
    attempts = step["attempts"]
    if phase == "Scheduled" or not attempts or attempts[-1]["endedAt"] is not None:
        attempts.append(
            {
                "kind": "lambda" if prefix == "LambdaFunction" or details.get("resourceType") == "lambda" else "task",
                "resource": ":".join(filter(None, (details.get("resourceType"), details.get("resource")))) or None,
                "function": function_of(details),
                "scheduledAt": at,
                "startedAt": None,
                "submittedAt": None,
                "endedAt": None,
                "durationMs": None,
                "taskMs": None,
                "status": "running",
                "error": None,
                "cause": None,
                "requestId": None,
            }
        )
        step["retries"] = len(attempts) - 1
        if phase == "Scheduled":
            return
    attempt = attempts[-1]
    if phase == "Started":
        attempt["startedAt"] = at
    elif phase == "Submitted":
        attempt["submittedAt"] = at
        attempt["requestId"] = attempt["requestId"] or request_id_of(details)
    elif phase in _ATTEMPT_END or phase in _ATTEMPT_START_FAILED:
        attempt["endedAt"] = at
        begun = attempt["startedAt"] or attempt["scheduledAt"]
        attempt["durationMs"] = at - begun if at is not None and begun is not None else None
        handed_over = attempt["submittedAt"] or at
        attempt["taskMs"] = handed_over - begun if handed_over is not None and begun is not None else None
        attempt["status"] = _ATTEMPT_END.get(phase, "failed")
        attempt["requestId"] = attempt["requestId"] or request_id_of(details)
        if "error" in details or "cause" in details:
            attempt["error"], attempt["cause"] = details.get("error"), clip(details.get("cause"))
            step["error"], step["cause"] = attempt["error"], attempt["cause"]
        elif attempt["status"] == "succeeded":
            step["error"] = step["cause"] = None


def read_history(stepfunctions: Any, execution_arn: str, *, limit: int = 5000) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first (``GetExecutionHistory``, all pages up to ``limit``)."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while len(events) < limit:
        page = stepfunctions.get_execution_history(**kwargs)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return events


def fold(events: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """Fold history events into the steps taken, oldest first (the dashboard's and the CLI's view)."""
    steps: list[dict[str, Any]] = []
    open_steps: dict[str, dict[str, Any]] = {}
    last_error: dict[str, Any] | None = None
    redrives: list[dict[str, Any]] = []
    started_at = ended_at = None
    idle_before_redrives = 0
    for event in sorted(events, key=lambda e: e.get("id", 0)):
        kind = event.get("type", "")
        at = epoch_ms(event.get("timestamp"))
        if kind == "ExecutionStarted":
            started_at = at
        elif kind == "ExecutionRedriven":
            details = event.get("executionRedrivenEventDetails") or {}
            redrives.append({"at": at, "redriveCount": details.get("redriveCount")})
            if ended_at is not None and at is not None:
                idle_before_redrives += at - ended_at
            ended_at = None
            last_error = None
            # The steps cut short by the failure were retried from here; they are no longer open.
            for step in open_steps.values():
                step["status"] = "failed" if step["status"] == "running" else step["status"]
            open_steps.clear()
        elif kind in _EXECUTION_ENDS:
            ended_at = at
            details = event.get(_EXECUTION_ENDS[kind]) or {}
            if "error" in details or "cause" in details:
                last_error = {"error": details.get("error"), "cause": clip(details.get("cause"))}
        if kind.endswith("StateEntered") and "stateEnteredEventDetails" in event:
            step = _new_step(event["stateEnteredEventDetails"], kind, at)
            step["attempt"] = len(redrives)
            steps.append(step)
            open_steps[step["name"]] = step
            continue
        if kind.endswith("StateExited") and "stateExitedEventDetails" in event:
            details = event["stateExitedEventDetails"]
            exited = open_steps.pop(details["name"], None)
            if exited is not None:
                exited["exitedAt"] = at
                entered = exited["enteredAt"]
                exited["durationMs"] = at - entered if at is not None and entered is not None else None
                exited["output"] = clip(details.get("output"))
                failed_attempt = exited["attempts"] and exited["attempts"][-1]["status"] != "succeeded"
                exited["status"] = "caught" if failed_attempt and exited["error"] else "succeeded"
            continue
        attempt_event = _attempt_event(kind)
        if attempt_event is not None and steps:
            target = next((s for s in reversed(steps) if s["exitedAt"] is None and s["status"] == "running"), None)
            if target is not None:
                _on_attempt(target, *attempt_event, event, at)
                if target["error"]:
                    last_error = {"error": target["error"], "cause": target["cause"]}
    _close_open_steps(steps, status, last_error)
    finished = status != "RUNNING"
    current = steps[-1]["name"] if steps and not finished and steps[-1]["exitedAt"] is None else None
    return {
        "steps": steps,
        "visited": sorted({step["name"] for step in steps}),
        # A state that failed and then succeeded on a redrive is drawn as it ended.
        "failedStates": sorted({name for name, step in _last_visits(steps).items() if step["status"] == "failed"}),
        "current": current,
        "error": last_error,
        "redrives": redrives,
        "summary": summary(steps, started_at, ended_at, idle_before_redrives),
    }


def _last_visits(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in steps}


def _close_open_steps(steps: list[dict[str, Any]], status: str, last_error: dict[str, Any] | None) -> None:
    finished = status != "RUNNING"
    for step in steps:
        # A state the execution failed in never exits: it lasted until its last attempt ended.
        ended = [attempt["endedAt"] for attempt in step["attempts"] if attempt["endedAt"] is not None]
        if step["durationMs"] is None and ended and step["enteredAt"] is not None and step["status"] != "running":
            step["durationMs"] = max(ended) - step["enteredAt"]
        if step["exitedAt"] is not None or step["status"] != "running":
            continue
        if step["type"] == "Succeed":
            step["status"] = "succeeded"
        elif step["type"] == "Fail" or step["error"]:
            step["status"] = "failed"
        elif finished:
            step["status"] = "failed" if status in {"FAILED", "TIMED_OUT", "ABORTED"} else "succeeded"
        if finished and step["durationMs"] is None and step["type"] in {"Succeed", "Fail"}:
            step["durationMs"] = 0
        if step["durationMs"] is None and ended and step["enteredAt"] is not None and step["status"] != "running":
            step["durationMs"] = max(ended) - step["enteredAt"]
        for attempt in step["attempts"]:
            if attempt["endedAt"] is None and finished:
                attempt["status"] = "aborted" if status == "ABORTED" else "failed"
    if status in {"FAILED", "TIMED_OUT", "ABORTED"} and last_error:
        failed = next((s for s in reversed(steps) if s["status"] == "failed"), None)
        if failed is not None and not failed["error"]:
            failed.update(last_error)


def summary(
    steps: list[dict[str, Any]], started_at: int | None, ended_at: int | None, idle_before_redrives: int = 0
) -> dict[str, Any]:
    """Where the execution's time went, in ms (``None`` while the execution has no end); the time an
    execution lay failed before it was redriven counts in ``waitingForRedriveMs``."""
    in_tasks = waiting = retry_waits = 0
    for step in steps:
        previous_end = None
        for attempt in step["attempts"]:
            begun = attempt["startedAt"] or attempt["scheduledAt"]
            handed_over = attempt["submittedAt"]
            end = attempt["endedAt"]
            if begun is not None and (handed_over or end) is not None:
                in_tasks += (handed_over or end) - begun
            if handed_over is not None and end is not None:
                waiting += end - handed_over
            if previous_end is not None and attempt["scheduledAt"] is not None:
                retry_waits += max(0, attempt["scheduledAt"] - previous_end)
            previous_end = end
    total = ended_at - started_at if started_at is not None and ended_at is not None else None
    by_state: dict[str, int] = {}
    for step in steps:
        if step["durationMs"] is not None:
            by_state[step["name"]] = by_state.get(step["name"], 0) + step["durationMs"]
    return {
        "totalMs": total,
        "inTasksMs": in_tasks,
        "waitingForCallbacksMs": waiting,
        "waitingBetweenRetriesMs": retry_waits,
        "waitingForRedriveMs": idle_before_redrives,
        "betweenStatesMs": (
            max(0, total - in_tasks - waiting - retry_waits - idle_before_redrives) if total is not None else None
        ),
        "byStateMs": dict(sorted(by_state.items(), key=lambda item: -item[1])),
    }


def session_of(execution_input: str | None) -> str | None:
    """The session an agent execution serves (its input's ``sessionId``), if it has one."""
    parsed = _json(execution_input)
    session = parsed.get("sessionId") if isinstance(parsed, dict) else None
    return session if isinstance(session, str) and session else None


def jobs_in(jobs: list[dict[str, Any]], started_at: int | None, stopped_at: int | None) -> list[dict[str, Any]]:
    """The ECS jobs created while the execution ran (its session's other questions have their own), oldest first,
    each with ``queuedMs`` (created → the task running) and ``runMs`` (running → finished)."""
    if started_at is None:
        return []
    shown = []
    for job in sorted(jobs, key=lambda job: job.get("createdAt") or 0):
        created, started, finished = job.get("createdAt"), job.get("startedAt"), job.get("finishedAt")
        if created is None or created < started_at or (stopped_at is not None and created > stopped_at):
            continue
        shown.append(
            {
                "jobId": job.get("jobId"),
                "tool": job.get("tool"),
                "status": job.get("status"),
                "reason": job.get("reason"),
                "createdAt": created,
                "startedAt": started,
                "finishedAt": finished,
                "queuedMs": started - created if started is not None else None,
                "runMs": finished - started if started is not None and finished is not None else None,
            }
        )
    return shown
