"""``python -m causal_tasks eda|causal-analysis`` — one ECS task run for the job named by JOB_ID."""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from causal_common import log
from causal_common.errors import NotFoundError

logger = logging.getLogger("causal_tasks")

# Libraries that log every bootstrap sample and refutation run at INFO: hundreds
# of lines per job, and formatting them (DoWhy prints the whole estimand each
# time) cost about 0.3 s of a 2 s analysis. Their warnings still show; below
# DEBUG, their INFO chatter does not (LOG_LEVEL=DEBUG brings it back).
CHATTY_LIBRARIES = ("dowhy",)


def configure_logging(level: str) -> None:
    log.configure(level)
    quiet = logging.getLogger().getEffectiveLevel() > logging.DEBUG
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)


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
    configure_logging(settings.log_level)
    with log.bound(job_id=settings.job_id):
        try:
            return run_job(argv[0], settings, Clients.from_settings(settings))
        except NotFoundError as exc:
            logger.error("%s", exc.message)
            return 2


if __name__ == "__main__":
    sys.exit(main())
