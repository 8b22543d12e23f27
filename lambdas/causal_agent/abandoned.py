"""Questions to the user that nobody will answer any more.

A question waiting for a reply counts against the user's limit on analyses while it can still be answered.
It is abandoned, and stops counting, when the user asks something new in the window that shows it, when
its connection has been gone longer than the resume window (the client did not come back for it), or when
nobody replied for ``prompt_abandoned_after_seconds``. An abandoned question is closed for good: its
execution is stopped and a late reply is told why it expired.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from causal_agent.clients import AgentClients
from causal_agent.sessions import Session, SessionRepository
from causal_common.aws import error_code

logger = logging.getLogger(__name__)

SUPERSEDED = "it was left unanswered when you asked something new"


def duration(seconds: float) -> str:
    """'15 minutes', '5 minutes', '90 seconds', '2 hours'."""
    if seconds >= 7200 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} hours"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    return f"{int(seconds)} seconds"


def why_abandoned(session: Session, now: float, clients: AgentClients, asking_from: str | None = None) -> str | None:
    """Why ``session``'s waiting question is abandoned at ``now``, or None while it can still be answered.

    ``asking_from`` is the connection of a new question: one in the same window abandons the waiting one.
    """
    if session.status != "awaiting_reply" or not session.prompt_token:
        return None
    settings = clients.settings
    if asking_from is not None and session.connection_id == asking_from:
        return SUPERSEDED
    if session.prompted_at is not None and now - session.prompted_at > settings.prompt_abandoned_after_seconds:
        return f"it went unanswered for more than {duration(settings.prompt_abandoned_after_seconds)}"
    if (
        session.connection_id is None
        and session.detached_at is not None
        and now - session.detached_at > settings.resume_window_seconds
    ):
        return f"its connection closed more than {duration(settings.resume_window_seconds)} ago and did not come back"
    return None


def close(session: Session, reason: str, clients: AgentClients, sessions: SessionRepository) -> None:
    """Mark the question abandoned (unless a reply took it first) and stop its execution."""
    if not session.prompt_token or not sessions.abandon_prompt(session.session_id, session.prompt_token, reason):
        return
    logger.info("question in session %s abandoned: %s", session.session_id, reason)
    sfn = clients.stepfunctions
    if session.execution_arn:
        try:
            sfn.stop_execution(executionArn=session.execution_arn, error="Abandoned", cause=reason)
        except ClientError as exc:
            logger.info("execution %s not stopped: %s", session.execution_arn, error_code(exc))
    try:
        # Wakes an emulator that only notices the stop when the waiting task returns.
        sfn.send_task_failure(taskToken=session.prompt_token, error="Abandoned", cause=reason)
    except ClientError as exc:
        logger.info("prompt token already closed: %s", error_code(exc))


def expired_message(reason: str) -> str:
    return f"this question has expired: {reason}; ask your question again to start over"
