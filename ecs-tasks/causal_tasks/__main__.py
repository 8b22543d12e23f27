"""``python -m causal_tasks eda|causal-analysis`` — one ECS task run for the job named by JOB_ID."""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from causal_common import log
from causal_common.errors import NotFoundError

logger = logging.getLogger("causal_tasks")


def main(argv: list[str] | None = None) -> int:
    from causal_common.models.tools import TOOL_OF_ECS_TASK
    from causal_tasks.job import Clients, TaskSettings, run_job

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in TOOL_OF_ECS_TASK:
        print(
            f"usage: python -m causal_tasks {{{'|'.join(TOOL_OF_ECS_TASK)}}}  (env JOB_ID, ARTIFACTS_BASE_URL, …)",
            file=sys.stderr,
        )
        return 2
    try:
        settings = TaskSettings()
    except ValidationError as exc:
        missing = ", ".join(str(error["loc"][0]) for error in exc.errors())
        print(f"missing or bad settings: {missing}", file=sys.stderr)
        return 2
    log.configure(settings.log_level)
    with log.bound(job_id=settings.job_id):
        try:
            return run_job(argv[0], settings, Clients.from_settings(settings))
        except NotFoundError as exc:
            logger.error("%s", exc.message)
            return 2


if __name__ == "__main__":
    sys.exit(main())
