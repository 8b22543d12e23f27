"""``causal-stack executions``: an execution's steps in the terminal, from ``GetExecutionHistory``.

Without an execution: the recent executions, one line each. With one (its ARN or
name), or with ``--session``: every state entered, its input and output
(pretty-printed, cut to a few lines unless ``--full``), error and cause, each
attempt with its duration and Lambda request id, and where the time went.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.errors import NotFoundError
from causal_common.jobs import JobRepository
from causal_common.names import ResourceNames
from causal_dashboard.execution_history import epoch_ms, fold, jobs_in, read_history, session_of
from causal_deploy.clients import Clients
from causal_deploy.config import DeployConfig

PAYLOAD_LINES = 12
PAYLOAD_LINE_CHARS = 160


def seconds(ms: int | float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def pretty(text: str | None, *, full: bool) -> str:
    """A payload pretty-printed; cut to ``PAYLOAD_LINES`` lines of ``PAYLOAD_LINE_CHARS`` unless ``full``."""
    if text is None:
        return "—"
    try:
        shown = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        shown = text
    lines = shown.splitlines() or [""]
    if full:
        return "\n".join(lines)
    cut = [line if len(line) <= PAYLOAD_LINE_CHARS else line[:PAYLOAD_LINE_CHARS] + "…" for line in lines]
    if len(cut) > PAYLOAD_LINES:
        cut = cut[:PAYLOAD_LINES] + [f"… {len(lines) - PAYLOAD_LINES} more lines (--full shows all)"]
    return "\n".join(cut)


def _indent(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix)


def _function_name(function: str | None) -> str | None:
    if not function:
        return None
    return function.rsplit(":function:", 1)[-1].split(":", 1)[0]


def render_execution(detail: dict[str, Any], *, full: bool = False) -> str:
    """One execution as text: its header, each step with attempts and payloads, the time split."""
    path = detail["path"]
    took = (
        seconds(detail["stoppedAt"] - detail["startedAt"])
        if detail.get("stoppedAt") is not None and detail.get("startedAt") is not None
        else "running"
    )
    lines = [f"execution {detail['name']}  {detail['status']}  took {took}"]
    if detail.get("redriveCount"):
        lines[0] += f"  (redriven {detail['redriveCount']}×)"
    if detail.get("error"):
        lines.append(f"  error: {detail['error']}")
        if detail.get("cause"):
            first, *rest = pretty(detail["cause"], full=full).splitlines() or [""]
            lines += [f"  cause: {first}", *(f"         {line}" for line in rest)]
    last_round = 0
    for index, step in enumerate(path["steps"], start=1):
        if step.get("attempt", 0) != last_round:
            last_round = step.get("attempt", 0)
            lines.append(f"  — redrive {last_round}: resumed here —")
        retries = f"  retries {step['retries']}" if step.get("retries") else ""
        lines.append(
            f"{index:>3}  {step['name']:<24} {step['type']:<8} {step['status']:<10} {seconds(step['durationMs'])}{retries}"
        )
        for number, attempt in enumerate(step.get("attempts", []), start=1):
            parts = [f"attempt {number}", attempt["status"], seconds(attempt.get("taskMs", attempt["durationMs"]))]
            if attempt.get("submittedAt") and attempt.get("endedAt"):
                parts.append(f"+ {seconds(attempt['endedAt'] - attempt['submittedAt'])} waiting for the callback")
            if function := _function_name(attempt.get("function")):
                parts.append(f"lambda {function}")
            if attempt.get("requestId"):
                parts.append(f"request {attempt['requestId']}")
            if attempt.get("error"):
                parts.append(f"{attempt['error']}")
            lines.append("       " + "  ".join(parts))
        lines.append(_indent(pretty(step["input"], full=full), "       input  | "))
        if step.get("output") is not None and step["output"] == step["input"]:
            lines.append("       output | (the input, unchanged)")
        elif step.get("output") is not None:
            lines.append(_indent(pretty(step["output"], full=full), "       output | "))
        if step.get("error"):
            lines.append(f"       error  | {step['error']}")
            if step.get("cause"):
                lines.append(_indent(pretty(step["cause"], full=full), "       cause  | "))
    for job in detail.get("jobs", []):
        lines.append(
            f"  ECS job {job['tool'] or '?'} {job['status'] or ''}: queued {seconds(job['queuedMs'])}, "
            f"ran {seconds(job['runMs'])}" + (f" ({job['reason']})" if job.get("reason") else "")
        )
    summary = path.get("summary") or {}
    if summary.get("totalMs") is not None:
        lines.append(
            "time: "
            + " · ".join(
                (
                    f"total {seconds(summary['totalMs'])}",
                    f"in tasks {seconds(summary['inTasksMs'])}",
                    f"waiting for callbacks {seconds(summary['waitingForCallbacksMs'])}",
                    f"between retries {seconds(summary['waitingBetweenRetriesMs'])}",
                    f"between states {seconds(summary['betweenStatesMs'])}",
                )
            )
        )
    return "\n".join(lines)


def _jobs(jobs: JobRepository | None, execution: dict[str, Any]) -> list[dict[str, Any]]:
    session = session_of(execution.get("input"))
    if jobs is None or session is None:
        return []
    try:
        found = [job.shown() for job in jobs.list(session_id=session)]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return []
        raise
    return jobs_in(found, epoch_ms(execution.get("startDate")), epoch_ms(execution.get("stopDate")))


def describe(stepfunctions: Any, execution_arn: str, jobs: JobRepository | None = None) -> dict[str, Any]:
    try:
        execution = stepfunctions.describe_execution(executionArn=execution_arn)
    except stepfunctions.exceptions.ExecutionDoesNotExist as exc:
        raise NotFoundError(f"no execution {execution_arn}") from exc
    status = execution["status"]
    return {
        "jobs": _jobs(jobs, execution),
        "name": execution["name"],
        "executionArn": execution_arn,
        "status": status,
        "startedAt": epoch_ms(execution.get("startDate")),
        "stoppedAt": epoch_ms(execution.get("stopDate")),
        "error": execution.get("error"),
        "cause": execution.get("cause"),
        "redriveCount": execution.get("redriveCount", 0),
        "redriveStatus": execution.get("redriveStatus"),
        "path": fold(read_history(stepfunctions, execution_arn), status),
    }


def run(
    config: DeployConfig,
    *,
    execution: str | None = None,
    session: str | None = None,
    limit: int = 20,
    full: bool = False,
    as_json: bool = False,
    clients: Clients | None = None,
) -> str:
    clients = clients or Clients(config)
    names = ResourceNames.from_settings(config, account_id=clients.account_id)
    sfn = clients.stepfunctions
    jobs = JobRepository(clients.dynamodb, names)
    if execution:
        arn = execution if execution.startswith("arn:") else names.execution_arn(execution)
        detail = describe(sfn, arn, jobs)
        return json.dumps(detail, indent=2, default=str) if as_json else render_execution(detail, full=full)
    listed = sfn.list_executions(stateMachineArn=names.state_machine_arn, maxResults=1000)["executions"]
    if session:
        listed = [item for item in listed if item["name"].startswith(f"{session}-")]
        if not listed:
            raise NotFoundError(f"no execution of session {session!r}")
        listed.sort(key=lambda item: item["startDate"])
        details = [describe(sfn, item["executionArn"], jobs) for item in listed[-limit:]]
        if as_json:
            return json.dumps(details, indent=2, default=str)
        return "\n\n".join(render_execution(detail, full=full) for detail in details)
    listed.sort(key=lambda item: item["startDate"], reverse=True)
    rows = [
        {
            "name": item["name"],
            "status": item["status"],
            "started": item["startDate"].isoformat(timespec="seconds"),
            "took": seconds(
                (epoch_ms(item["stopDate"]) or 0) - (epoch_ms(item["startDate"]) or 0) if item.get("stopDate") else None
            ),
        }
        for item in listed[:limit]
    ]
    if as_json:
        return json.dumps(rows, indent=2)
    if not rows:
        return "no executions yet"
    lines = [f"{row['started']}  {row['status']:<10} {row['took']:>9}  {row['name']}" for row in rows]
    lines.append("(`causal-stack executions NAME` shows one execution's steps; --session S shows a session's)")
    return "\n".join(lines)
