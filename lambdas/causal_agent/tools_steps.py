"""DispatchTool, the ECS job start and AppendToolOutput."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from pydantic import ValidationError

from causal_agent.clients import AgentClients
from causal_agent.conversation import compact_conversation, compact_outcome, tool_message
from causal_agent.sessions import SessionRepository
from causal_agent.state import AgentState, ErrorInfo, StartJobEvent, ToolResultSlot
from causal_common import datasets, roles
from causal_common.errors import NotFoundError, ToolError
from causal_common.jobs import JobRepository, now_ms
from causal_common.models.frames import ToolStatus, progress_frame, tool_frame
from causal_common.models.jobs import JobRecord, JobStatus
from causal_common.models.tools import (
    ECS_TASK_OF_TOOL,
    TOOL_ARGS,
    TOOL_RUNTIME,
    CausalAnalysisArgs,
    CausalSummary,
    ToolOutcome,
)

logger = logging.getLogger(__name__)

CONTAINER_NAME = "task"


def _validation_message(name: str, error: ValidationError) -> str:
    accepted = ", ".join(TOOL_ARGS[name].model_fields)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()[:5])
    return f"invalid arguments for {name}: {problems}. Accepted arguments: {accepted}."


def _started_summary(name: str, arguments: dict[str, Any]) -> str:
    if name == "data_query":
        return f"SQL: {arguments.get('sql', '')[:200]}"
    if name in ("eda", "causal_analysis"):
        what = "Exploring" if name == "eda" else "Estimating the effect of"
        return f"{what} {arguments.get('treatment') or 'the treatment'} on {arguments.get('outcome') or 'the outcome'}"
    return name


def dispatch_tool(state: AgentState, clients: AgentClients) -> AgentState:
    """Validate the call; route it to the data-query Lambda, an ECS job, or back to the LLM as an error."""
    current = state.decision
    call = current.tool_call if current else None
    if current is None or call is None:
        raise ToolError("DispatchTool reached without a tool call")
    error: str | None = None
    arguments = call.arguments
    if call.name not in TOOL_RUNTIME:
        error = f"unknown tool {call.name!r}; tools: {', '.join(TOOL_ARGS)}"
        if call.name == "ask_user":
            error = "ask_user takes question (1-2000 characters) and optional options (id, label, effect; at most 12)"
    elif state.dataset_id is None:
        error = "no dataset is selected yet; ask the user which dataset to use"
    else:
        try:
            validated = TOOL_ARGS[call.name].model_validate(call.arguments)
        except ValidationError as exc:
            error = _validation_message(call.name, exc)
        else:
            if isinstance(validated, CausalAnalysisArgs):
                validated = _with_adjustment_set(validated, state.dataset_id, clients)
            arguments = validated.model_dump(mode="json")
    if error is not None:
        logger.info("tool call %s rejected: %s", call.name, error)
        outcome = ToolOutcome(tool=call.name, call_id=call.call_id, ok=False, error=error)
        return state.model_copy(update={"route": "invalid", "tool_result": ToolResultSlot(outcome=outcome)})
    clients.outbox.send(state.session_id, tool_frame(call.name, "started", _started_summary(call.name, arguments)))
    decision = current.model_copy(update={"tool_call": call.model_copy(update={"arguments": arguments})})
    route = "data_query" if TOOL_RUNTIME[call.name] == "lambda" else "ecs"
    return state.model_copy(update={"route": route, "decision": decision, "tool_result": None, "tool_error": None})


def _with_adjustment_set(args: CausalAnalysisArgs, dataset_id: str, clients: AgentClients) -> CausalAnalysisArgs:
    """The adjustment set is decided on this side (``causal_common.roles``); the task applies it."""
    try:
        manifest = datasets.load_manifest(clients.s3, clients.names, dataset_id)
    except NotFoundError:
        return args  # the task reports the unknown dataset
    return roles.with_adjustment_set(args, manifest)


def start_job(event: StartJobEvent, clients: AgentClients) -> dict[str, str]:
    """Write the job item and start its ECS task; the task reports back with the task token."""
    state, names, settings = event.state, clients.names, clients.settings
    call = state.decision.tool_call if state.decision else None
    if call is None or call.name not in ECS_TASK_OF_TOOL:
        raise ToolError(f"no ECS task runs tool {call.name if call else None!r}")
    job_id = uuid.uuid4().hex
    family = names.task_family(ECS_TASK_OF_TOOL[call.name])
    jobs = JobRepository(clients.dynamodb, names)
    jobs.create(
        JobRecord(
            job_id=job_id,
            session_id=state.session_id,
            tool=call.name,
            task_family=family,
            dataset_id=state.dataset_id or "",
            call_id=call.call_id,
            arguments=json.dumps(call.arguments),
            task_token=event.task_token,
            status=JobStatus.PENDING,
            created_at=now_ms(),
        )
    )
    request: dict[str, Any] = {
        "cluster": names.cluster,
        "taskDefinition": family,
        "count": 1,
        "launchType": settings.ecs_launch_type,
        "startedBy": "causal-agent",
        "overrides": {
            "containerOverrides": [{"name": CONTAINER_NAME, "environment": [{"name": "JOB_ID", "value": job_id}]}]
        },
    }
    network = state.network_config or settings.default_network_configuration()
    if network:
        request["networkConfiguration"] = network
    response = clients.ecs.run_task(**request)
    failures = response.get("failures") or []
    tasks = response.get("tasks") or []
    if failures or not tasks:
        reason = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in failures) or "no task started"
        jobs.fail_if_unfinished(job_id, reason)
        raise ToolError(f"could not start the {call.name} task: {reason}")
    jobs.set_task_arn(job_id, tasks[0]["taskArn"])
    clients.outbox.send(
        state.session_id, progress_frame(call.name, f"Started the {call.name} task (job {job_id[:8]}).")
    )
    logger.info("job %s started for %s", job_id, call.name)
    return {"jobId": job_id}


def _error_text(error: ErrorInfo) -> str:
    if error.Error in ("States.Timeout", "States.HeartbeatTimeout"):
        return "the task stopped reporting progress before it finished (timed out)"
    try:
        cause = json.loads(error.Cause or "null")
        message = cause.get("errorMessage") if isinstance(cause, dict) else None
    except json.JSONDecodeError:
        message = None
    return f"{error.Error}: {message or error.Cause or 'no detail'}"[:1000]


def _finished_summary(outcome: ToolOutcome) -> str:
    if not outcome.ok:
        return (outcome.error or "failed")[:300]
    result = outcome.result or {}
    if outcome.tool == "data_query":
        return f"{result.get('row_count', len(result.get('rows') or []))} rows"
    if outcome.tool == "eda":
        return f"{result.get('rows')} rows explored, {len(result.get('warnings') or [])} warnings"
    if outcome.tool == "causal_analysis":
        causal = CausalSummary.model_validate(result)
        ci_text = f" (95% CI {causal.ci[0]:.4g} to {causal.ci[1]:.4g})" if causal.ci else ""
        estimate = causal.estimate if causal.estimate is not None else float("nan")
        return f"estimate {estimate:.4g}{ci_text} by {causal.method or None}"
    return "done"


def append_tool_output(state: AgentState, clients: AgentClients) -> AgentState:
    """Put the tool's (compacted) outcome into the conversation as the answer to its call."""
    call = state.decision.tool_call if state.decision else None
    if call is None:
        raise ToolError("AppendToolOutput reached without a tool call")
    if state.tool_result is not None:
        outcome = state.tool_result.outcome
    else:
        outcome = ToolOutcome(
            tool=call.name,
            call_id=call.call_id,
            ok=False,
            error=_error_text(state.tool_error or ErrorInfo(Error="ToolError")),
        )
    outcome = outcome.model_copy(update={"tool": call.name, "call_id": call.call_id})
    sessions = SessionRepository(clients.dynamodb, clients.names)
    session = sessions.require(state.session_id)
    conversation = [*session.conversation, tool_message(call.call_id, compact_outcome(outcome))]
    sessions.save_conversation(state.session_id, compact_conversation(conversation))
    if call.name != "ask_user":
        status: ToolStatus = "succeeded" if outcome.ok else "failed"
        clients.outbox.send(
            state.session_id, tool_frame(call.name, status, _finished_summary(outcome), job_id=outcome.job_id)
        )
    return state.model_copy(update={"route": None, "tool_result": None, "tool_error": None})
