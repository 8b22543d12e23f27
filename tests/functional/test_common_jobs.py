"""The jobs repository against the embedded emulator's DynamoDB: a job's life, and failing it only while unfinished."""

from __future__ import annotations

import boto3
import pytest
from support import running_emulator

from causal_common.jobs import JobRepository, fail_job
from causal_common.models.jobs import JobRecord, JobStatus
from causal_common.names import ResourceNames

NAMES = ResourceNames(prefix="jobs-test-")


class RecordingStepFunctions:
    def __init__(self) -> None:
        self.failures: list[dict[str, str]] = []

    def send_task_failure(self, **kwargs: str) -> None:
        self.failures.append(kwargs)


@pytest.fixture(scope="module")
def jobs():
    with running_emulator("--no-prewarm") as endpoint:
        client = boto3.client("dynamodb", region_name="eu-central-1", endpoint_url=endpoint)
        client.create_table(
            TableName=NAMES.jobs_table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
        )
        yield JobRepository(client, NAMES)


def _job(job_id: str, session_id: str = "s1") -> JobRecord:
    return JobRecord(
        job_id=job_id,
        session_id=session_id,
        tool="eda",
        task_family="x-eda",
        arguments="{}",
        task_token=f"token-{job_id}",
        created_at=1,
    )


def test_a_job_is_created_run_and_finished(jobs):
    jobs.create(_job("life"))
    jobs.set_task_arn("life", "arn:task/1")
    jobs.mark_running("life")
    jobs.heartbeat("life")
    jobs.finish("life", result_key="jobs/life/result.json")
    job = jobs.get("life")
    assert job is not None and job.status is JobStatus.SUCCEEDED and job.finished
    assert job.task_arn == "arn:task/1" and job.result_key == "jobs/life/result.json"
    assert job.started_at and job.heartbeat_at and job.finished_at
    assert jobs.get("no-such-job") is None


def test_a_finished_job_is_not_failed_again_nor_its_workflow_told(jobs):
    stepfunctions = RecordingStepFunctions()
    jobs.create(_job("done"))
    jobs.finish("done", error="bad arguments")
    assert not fail_job(jobs, stepfunctions, jobs.get("done"), "lost", "TaskExited")
    assert jobs.get("done").reason == "bad arguments" and stepfunctions.failures == []


def test_failing_an_unfinished_job_records_the_reason_and_tells_the_workflow(jobs):
    stepfunctions = RecordingStepFunctions()
    jobs.create(_job("lost", session_id="s2"))
    jobs.mark_running("lost")
    assert [job.job_id for job in jobs.in_flight()] == ["lost"]
    assert fail_job(jobs, stepfunctions, jobs.get("lost"), "the runner died", "States.TaskLost")
    job = jobs.get("lost")
    assert job.status is JobStatus.FAILED and job.reason == "the runner died"
    assert stepfunctions.failures == [
        {"taskToken": "token-lost", "error": "States.TaskLost", "cause": "the runner died"}
    ]
    assert list(jobs.in_flight()) == []


def test_a_listing_never_shows_the_task_token(jobs):
    jobs.create(_job("listed", session_id="s3"))
    [job] = jobs.list(session_id="s3")
    assert "taskToken" not in job.shown() and job.shown()["jobId"] == "listed"
