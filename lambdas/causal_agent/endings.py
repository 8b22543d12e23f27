"""SendPrompt and the three ends of an execution: HandleFinish, HandleError, HandleTimeout."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from causal_agent import answer
from causal_agent.clients import AgentClients
from causal_agent.conversation import (
    assistant_text,
    compact_conversation,
    exchanges,
    last_question_index,
)
from causal_agent.sessions import SessionRepository, SessionStatus
from causal_agent.state import AgentState, FailureEvent, SendPromptEvent
from causal_common import datasets
from causal_common.errors import LOST_TASK_ERROR, NotFoundError, ToolError
from causal_common.models.frames import PromptOption, answer_frame, error_frame, prompt_frame

logger = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Errors we raise on purpose carry a message meant for the user; anything else is summarised.
_USER_FACING = {"InvalidInputError", "NotFoundError", "ForbiddenError", "ConfigurationError", "LlmError", "ToolError"}


def prompt_options(arguments: dict[str, Any]) -> list[PromptOption]:
    """The choices an ask_user call offers (already validated when the call became a prompt)."""
    return [PromptOption.model_validate(option) for option in arguments.get("options") or []]


def send_prompt(event: SendPromptEvent, clients: AgentClients) -> dict[str, Any]:
    state = event.state
    decision = state.decision
    if decision is None or decision.tool_call is None or not decision.question:
        raise ToolError("SendPrompt reached without a question")
    sessions = SessionRepository(clients.dynamodb, clients.names, clients.clock)
    options = prompt_options(decision.tool_call.arguments)
    sessions.set_status(
        state.session_id,
        "awaiting_reply",
        promptedAt=round(sessions.now(), 3),
        promptToken=event.task_token,
        promptCallId=decision.tool_call.call_id,
        promptOptions=[option.model_dump() for option in options] or None,
    )
    clients.outbox.send(state.session_id, prompt_frame(decision.question, options))
    return {"waiting": True}


def handle_finish(state: AgentState, clients: AgentClients) -> dict[str, Any]:
    sessions = SessionRepository(clients.dynamodb, clients.names)
    session = sessions.require(state.session_id)
    conversation = session.conversation
    found = exchanges(conversation, max(last_question_index(conversation), 0))
    decision = state.decision
    if decision is not None and decision.kind == "final" and decision.text:
        text = decision.text
    else:
        # The turn limit ended the loop before a final answer: report what the tools found.
        title = state.dataset_id or "the data"
        if state.dataset_id:
            try:
                title = datasets.load_manifest(clients.s3, clients.names, state.dataset_id).title
            except NotFoundError:
                logger.warning("dataset %s vanished before the answer", state.dataset_id)
        text = f"I stopped after {state.turn} steps, the limit for one question. " + answer.write_answer(
            state.question, title, found, "as analysed so far"
        )
        conversation = compact_conversation([*conversation, assistant_text(text)])
    result = answer.answer_result(found)
    stored = {"text": text, "result": result.model_dump(by_alias=True) if result else None}
    # The session is done before the user sees the answer, so a follow-up sent on receipt is accepted.
    sessions.set_status(state.session_id, "succeeded", result=stored, conversation=conversation)
    clients.outbox.send(state.session_id, answer_frame(text, result))
    logger.info("answer sent")
    return {"sessionId": state.session_id, "status": "succeeded"}


# Failures that carry no message of their own (Step Functions may drop a task failure's cause).
_KNOWN_FAILURES = {
    LOST_TASK_ERROR: "The analysis task was lost: the local ECS runner's process that ran it died and has been "
    "restarted. Ask again to run it anew.",
}


def _user_message(error_type: str, cause: str, error_id: str) -> str:
    if error_type in _KNOWN_FAILURES:
        return f"{_KNOWN_FAILURES[error_type]} (error id {error_id})"
    message = None
    try:
        parsed = json.loads(cause) if cause else None
        if isinstance(parsed, dict):
            message = parsed.get("errorMessage")
    except json.JSONDecodeError:
        message = None
    if error_type in _USER_FACING and message:
        return f"{message} (error id {error_id})"
    return f"The analysis failed unexpectedly ({error_type or 'unknown error'}). Error id {error_id}."


def _end(event: FailureEvent, clients: AgentClients, status: SessionStatus, message_for: Any) -> dict[str, Any]:
    error_id = uuid.uuid4().hex[:12]
    error = event.error
    logger.error(
        "execution ended as %s: %s",
        status,
        error.Error if error else None,
        extra={"errorId": error_id, "cause": ((error.Cause or "") if error else "")[:4000]},
    )
    session_id = event.session_id if event.session_id and _SESSION_ID.match(event.session_id) else None
    if session_id is None:
        return {"errorId": error_id, "status": status}
    sessions = SessionRepository(clients.dynamodb, clients.names)
    session = sessions.get(session_id)
    if session is not None and session.status in ("cancelled", "abandoned"):
        # Ended on purpose (the user cancelled, or its question was abandoned): the status says so already.
        logger.info("session was %s; no %s frame", session.status, status)
        return {"sessionId": session_id, "errorId": error_id, "status": session.status}
    message = message_for(error_id)
    sessions.set_status(
        session_id,
        status,
        error={"errorId": error_id, "message": message},
        remove=("promptToken", "promptCallId", "promptOptions"),
    )
    clients.outbox.send(session_id, error_frame(message, error_id))
    return {"sessionId": session_id, "errorId": error_id, "status": status}


def handle_error(event: FailureEvent, clients: AgentClients) -> dict[str, Any]:
    error = event.error
    return _end(
        event,
        clients,
        "failed",
        lambda error_id: _user_message(error.Error if error else "", (error.Cause or "") if error else "", error_id),
    )


def handle_timeout(event: FailureEvent, clients: AgentClients) -> dict[str, Any]:
    seconds = event.config.prompt_timeout_seconds if event.config else None
    waited = f" within {seconds} seconds" if seconds else ""
    return _end(
        event,
        clients,
        "timed_out",
        lambda error_id: (
            f"No reply came{waited}, so I stopped waiting and ended this analysis. "
            f"Ask again to start over (error id {error_id})."
        ),
    )
