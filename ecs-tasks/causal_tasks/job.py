"""The job protocol of an ECS task: read the job, heartbeat, report progress, store results, answer the state machine."""

from __future__ import annotations

import io
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field, ValidationError

from causal_common import aws
from causal_common.aws import error_code
from causal_common.datasets import load_data, load_manifest
from causal_common.errors import CausalStackError, NotFoundError
from causal_common.jobs import JobRepository, fail_job
from causal_common.models.datasets import DatasetManifest
from causal_common.models.frames import progress_frame
from causal_common.models.jobs import JobRecord
from causal_common.models.tools import (
    TOOL_OF_ECS_TASK,
    Artifact,
    CausalAnalysisArgs,
    CausalResult,
    EdaArgs,
    EdaResult,
    ToolOutcome,
)
from causal_common.names import ResourceNames
from causal_common.outbox import Outbox
from causal_common.settings import AwsSettings

logger = logging.getLogger(__name__)

# SendTaskSuccess accepts 256 KB; the compact result stays well below.
COMPACT_RESULT_BYTES = 64 * 1024


class TaskSettings(AwsSettings):
    job_id: str = Field(validation_alias="JOB_ID")
    artifacts_base_url: str = Field(validation_alias="ARTIFACTS_BASE_URL")
    websocket_callback_url: str | None = Field(default=None, validation_alias="WEBSOCKET_CALLBACK_URL")
    heartbeat_seconds: float = Field(default=10.0, gt=0, validation_alias="TASK_HEARTBEAT_SECONDS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


@dataclass
class Clients:
    dynamodb: Any
    s3: Any
    stepfunctions: Any
    management: Any | None

    @classmethod
    def from_settings(cls, settings: TaskSettings) -> Clients:
        management = None
        if settings.websocket_callback_url:
            management = aws.management_client(
                settings, settings.websocket_callback_url, aws.client("secretsmanager", settings)
            )
        return cls(
            aws.client("dynamodb", settings),
            aws.client("s3", settings),
            aws.client("stepfunctions", settings),
            management,
        )


TASK_SERVICES = ("dynamodb", "s3", "stepfunctions", "apigatewaymanagementapi")


def prepare_for_fork() -> None:
    """Load the service models of a task's clients once, in the warm worker.

    Children forked from it then build their clients from memory (about 15 ms
    instead of 160 ms for the four). No request is sent.
    """
    import boto3

    for service in TASK_SERVICES:
        boto3.client(
            service,
            region_name="eu-central-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="warm-up",
            aws_secret_access_key="warm-up",
        )
    _warm_analysis()


def _warm_analysis() -> None:
    """Run both tools once on a small synthetic frame, in the warm worker.

    The first analysis in a process pays one-off costs (lazy imports inside
    DoWhy, statsmodels and matplotlib, font and formula caches): about 1.5 s
    on 10k rows, and every forked child used to pay it again. Warmed here, the
    children inherit them. Best effort: a failure only loses the head start.
    """
    import numpy as np
    import pandas as pd
    import tqdm

    from causal_tasks import plots
    from causal_tasks.causal import run_causal_analysis
    from causal_tasks.design import DatasetRoles
    from causal_tasks.eda import run_eda_with_plots

    rng = np.random.default_rng(0)
    rows = 400
    covariates = rng.normal(size=(rows, 3))
    instrument = rng.binomial(1, 0.5, rows)
    treatment = (covariates[:, 0] + instrument + rng.normal(size=rows) > 0.5).astype(int)
    outcome = 2.0 * treatment + covariates @ np.array([1.0, -0.5, 0.25]) + rng.normal(size=rows)
    frame = pd.DataFrame(covariates, columns=["c0", "c1", "c2"]).assign(z=instrument, t=treatment, y=outcome)
    names = ["c0", "c1", "c2"]
    # tqdm's monitor thread would outlive the warm-up, and a process with threads must not fork.
    tqdm.tqdm.monitor_interval = 0
    for roles in (DatasetRoles(covariates=names), DatasetRoles(covariates=names, instruments=["z"])):
        try:
            run_eda_with_plots(frame, EdaArgs(treatment="t", outcome="y"), roles=roles)
            result = run_causal_analysis(frame, CausalAnalysisArgs(treatment="t", outcome="y"), None, roles=roles)
            plots.causal_graph(result, list(roles.instruments) if result.design == "iv" else [])
        except Exception:  # noqa: BLE001 - warming is an optimisation, never a reason not to start
            logger.warning("warming the analysis failed; tasks start cold", exc_info=True)


def _read_job(jobs: JobRepository, job_id: str) -> JobRecord:
    job = jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"job {job_id!r} is not in {jobs.table}")
    return job


class Heartbeat:
    """SendTaskHeartbeat (and ``heartbeatAt`` on the job) every few seconds until stopped."""

    def __init__(self, stepfunctions: Any, jobs: JobRepository, job: JobRecord, interval: float) -> None:
        self._stepfunctions, self._jobs, self._job, self._interval = stepfunctions, jobs, job, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        if self._job.task_token:
            try:
                self._stepfunctions.send_task_heartbeat(taskToken=self._job.task_token)
            except ClientError as exc:
                # Right after the token is issued the emulator may not know it yet (InvalidToken for ~100 ms).
                logger.warning("heartbeat not accepted: %s", error_code(exc))
        self._jobs.heartbeat(self._job.job_id)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.beat()
            except ClientError as exc:
                logger.warning("heartbeat failed: %s", error_code(exc))


def _compact(result: dict[str, Any], size: int) -> dict[str, Any]:
    """The result the state machine carries: whole when ``size`` (its JSON's length) allows, else trimmed."""
    if size <= COMPACT_RESULT_BYTES:
        return result
    trimmed = {
        key: value for key, value in result.items() if key not in ("columns", "balance", "correlations_with_outcome")
    }
    trimmed["truncated"] = "full result at result_url"
    return trimmed


def _analyse(
    task: str, frame: Any, arguments: str, manifest: DatasetManifest, progress: Callable[..., None]
) -> tuple[EdaResult | CausalResult, dict[str, bytes]]:
    """``arguments``: the call's arguments as the job stores them (JSON), validated once into the tool's model."""
    from causal_tasks.design import DatasetRoles

    # The manifest's roles are the defaults for whatever the call's arguments do not name.
    roles = DatasetRoles.from_manifest(manifest)
    if task == "eda":
        from causal_tasks.eda import run_eda_with_plots

        progress("eda", "summarising columns", 20)
        summary, images = run_eda_with_plots(frame, EdaArgs.model_validate_json(arguments), roles=roles)
        progress("eda", "plots drawn", 90)
        return summary, images
    from causal_tasks import plots
    from causal_tasks.causal import run_causal_analysis

    args = CausalAnalysisArgs.model_validate_json(arguments)
    result = run_causal_analysis(frame, args, progress, roles=roles)
    instruments = list(args.instruments or roles.instruments) if result.design == "iv" else []
    images = {"causal_graph": plots.causal_graph(result, instruments)}
    if result.event_study:
        images["event_study"] = plots.event_study(result)
    return result, images


def _answer(send: Callable[..., Any], token: str, **kwargs: Any) -> None:
    """SendTaskSuccess/Failure; a refusal (the state machine timed out or was stopped) is logged, not fatal."""
    if not token:
        return
    try:
        send(taskToken=token, **kwargs)
    except ClientError as exc:
        logger.warning("the state machine refused the answer: %s", error_code(exc))


class StopRequested(BaseException):
    """SIGTERM from ECS (StopTask, or the runner after a missed heartbeat)."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise StopRequested()


class FrameSender:
    """Sends a task's progress frames from a background thread, in order.

    The analysis never waits on the outbox's DynamoDB writes and the push;
    ``close()`` drains the queue, so every progress frame is stored before the
    task answers the state machine (whose next frame must come after them).
    """

    def __init__(self, outbox: Outbox, session_id: str) -> None:
        import queue

        self._outbox, self._session_id = outbox, session_id
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="frames", daemon=True)
        self._thread.start()

    def send(self, frame: dict[str, Any]) -> None:
        self._queue.put(frame)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            try:
                self._outbox.send(self._session_id, frame)
            except ClientError as exc:
                logger.warning("progress frame not stored: %s", error_code(exc))


def run_job(task: str, settings: TaskSettings, clients: Clients) -> int:
    """Run one job to the end; the process exit code (0 also when the tool reported a user-facing error)."""
    names = ResourceNames.from_settings(settings)
    jobs = JobRepository(clients.dynamodb, names)
    job = _read_job(jobs, settings.job_id)
    tool = TOOL_OF_ECS_TASK[task]
    session_id, token = job.session_id, job.task_token or ""
    frames = FrameSender(Outbox(clients.dynamodb, clients.management, names), session_id) if session_id else None
    jobs.mark_running(job.job_id)

    def progress(stage: str, message: str, pct: float) -> None:
        logger.info("%s: %s", stage, message)
        if frames is not None:
            frames.send(progress_frame(f"{tool}.{stage}", message, pct))

    # On SIGTERM, stop the analysis but let the frames already numbered reach the
    # table, so the session's seq has no gap; the runner then fails the job.
    # Only a task's main thread can take signals (tests run tasks in threads).
    handles_sigterm = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGTERM, _raise_stop) if handles_sigterm else None
    try:
        outcome = _run_analysis(task, tool, settings, clients, names, jobs, job, progress)
    except StopRequested:
        logger.warning("%s stopped by SIGTERM", tool)
        return 143
    finally:
        if handles_sigterm:
            signal.signal(signal.SIGTERM, previous_handler)
        if frames is not None:
            frames.close()
    if outcome is None:
        return 1
    # The state machine first, then the job: a crash in between leaves a job the runner still fails.
    _answer(clients.stepfunctions.send_task_success, token, output=outcome.model_dump_json())
    jobs.finish(job.job_id, error=None if outcome.ok else outcome.error or "failed", result_key=outcome.result_key)
    logger.info("%s finished: ok=%s", tool, outcome.ok)
    return 0


def _run_analysis(
    task: str,
    tool: str,
    settings: TaskSettings,
    clients: Clients,
    names: ResourceNames,
    jobs: JobRepository,
    job: JobRecord,
    progress: Callable[..., None],
) -> ToolOutcome | None:
    """The analysis and its artefacts; ``None`` after a crash (job failed, state machine told)."""
    import pandas as pd

    outcome = ToolOutcome(tool=tool, call_id=job.call_id or "", ok=False, job_id=settings.job_id)
    with Heartbeat(clients.stepfunctions, jobs, job, settings.heartbeat_seconds):
        try:
            manifest = load_manifest(clients.s3, names, job.dataset_id or "")
            progress("load", f"loading {manifest.id} ({manifest.rows} rows)", 2)
            frame = pd.read_csv(io.BytesIO(load_data(clients.s3, names, manifest)))
            result, images = _analyse(task, frame, job.arguments or "{}", manifest, progress)
            prefix = f"jobs/{settings.job_id}"
            for name, image in images.items():
                key = f"{prefix}/{name}.png"
                clients.s3.put_object(Bucket=names.artifacts_bucket, Key=key, Body=image, ContentType="image/png")
                result.artifacts.append(
                    Artifact(name=name, key=key, url=f"{settings.artifacts_base_url.rstrip('/')}/{key}")
                )
            full = result.model_dump_json()
            result_key = f"{prefix}/result.json"
            clients.s3.put_object(
                Bucket=names.artifacts_bucket, Key=result_key, Body=full.encode(), ContentType="application/json"
            )
            outcome = outcome.model_copy(
                update={
                    "ok": True,
                    "result": _compact(result.model_dump(mode="json"), len(full)),
                    "result_key": result_key,
                    "result_url": f"{settings.artifacts_base_url.rstrip('/')}/{result_key}",
                }
            )
        except (CausalStackError, ValidationError) as exc:
            message = exc.message if isinstance(exc, CausalStackError) else f"bad {tool} arguments: {exc}"
            logger.info("%s refused: %s", tool, message)
            outcome = outcome.model_copy(update={"error": message})
        except Exception as exc:  # noqa: BLE001 - the state machine must hear about every crash
            logger.exception("%s crashed", tool)
            reason = f"{type(exc).__name__}: {str(exc)[:500]}"
            fail_job(jobs, clients.stepfunctions, job, reason, "TaskFailed")
            return None
    return outcome
