"""Work lost with a process of the stack, ended with the reason so nothing waits for it.

Jobs whose ECS runner died: failed with the reason, so the workflow ends with an ``error`` frame.

The tasks a local ECS runner started die with it (its warm worker stops them),
and nothing else would ever report them: without this, their executions wait
for the heartbeat timeout. The error name is matched by no tool-error Catch,
so the execution goes to HandleError, which tells the client what happened.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.errors import LOST_TASK_ERROR
from causal_common.jobs import JobRepository, fail_job
from causal_common.names import ResourceNames
from causal_common.outbox import Outbox

logger = logging.getLogger(__name__)


def fail_in_flight_jobs(dynamodb: Any, stepfunctions: Any, names: ResourceNames, reason: str) -> list[str]:
    """Fail every pending or running job; returns their ids."""
    jobs = JobRepository(dynamodb, names)
    return [job.job_id for job in list(jobs.in_flight()) if fail_job(jobs, stepfunctions, job, reason, LOST_TASK_ERROR)]


def end_sessions_without_a_run(
    dynamodb: Any, stepfunctions: Any, names: ResourceNames, what_happened: str
) -> list[str]:
    """Sessions still working or waiting for a reply whose execution no longer runs (it did not survive a
    restart of the stack): each is marked failed and told so in an ``error`` frame, which a client that
    resumes the session reads; a new question in the session then starts a new run. Returns their ids."""
    from causal_agent.sessions import SessionRepository
    from causal_common.models.frames import error_frame

    sessions = SessionRepository(dynamodb, names)
    outbox = Outbox(dynamodb, None, names)
    ended = []
    for session in sessions.active_sessions():
        if session.execution_arn:
            try:
                if stepfunctions.describe_execution(executionArn=session.execution_arn)["status"] == "RUNNING":
                    continue
            except ClientError as exc:
                logger.info("execution of session %s not found: %s", session.session_id, error_code(exc))
        error_id = uuid.uuid4().hex[:12]
        sessions.set_status(session.session_id, "failed", remove=("promptToken", "promptCallId", "promptOptions"))
        outbox.send(
            session.session_id,
            error_frame(f"{what_happened}; ask your question again to go on (error id {error_id}).", error_id),
        )
        ended.append(session.session_id)
    return ended
