"""Jobs whose ECS runner died: failed with the reason, so the workflow ends with an ``error`` frame.

The tasks a local ECS runner started die with it (its warm worker stops them),
and nothing else would ever report them: without this, their executions wait
for the heartbeat timeout. The error name is matched by no tool-error Catch,
so the execution goes to HandleError, which tells the client what happened.
"""

from __future__ import annotations

from typing import Any

from causal_common.errors import LOST_TASK_ERROR
from causal_common.jobs import JobRepository, fail_job
from causal_common.names import ResourceNames


def fail_in_flight_jobs(dynamodb: Any, stepfunctions: Any, names: ResourceNames, reason: str) -> list[str]:
    """Fail every pending or running job; returns their ids."""
    jobs = JobRepository(dynamodb, names)
    return [job.job_id for job in list(jobs.in_flight()) if fail_job(jobs, stepfunctions, job, reason, LOST_TASK_ERROR)]
