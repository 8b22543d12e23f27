"""task-stopped: ECS's "Task State Change" event fails the stopped task's unfinished job and execution."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError
from support import load_lambda_module

from causal_common.errors import LOST_TASK_ERROR
from causal_common.models.ecs_events import TaskStateChangeEvent, put_events_entry
from causal_common.models.jobs import JobRecord, JobStatus

task_stopped = load_lambda_module("task-stopped", "task_stopped")

TASK_ARN = "arn:aws:ecs:eu-central-1:123456789012:task/causal-dev-cluster/0123456789abcdef"
CLUSTER_ARN = "arn:aws:ecs:eu-central-1:123456789012:cluster/causal-dev-cluster"


def ecs_event(job_id: str | None = "job-1", **detail: object) -> dict:
    """An event as EventBridge delivers ECS's (the shape of AWS's documented example, trimmed)."""
    overrides = {
        "containerOverrides": [{"name": "task", "environment": [{"name": "JOB_ID", "value": job_id}] if job_id else []}]
    }
    return {
        "version": "0",
        "id": "3317b2af-7005-947d-b652-f55e762e571a",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "time": "2024-03-01T12:00:05Z",
        "region": "eu-central-1",
        "resources": [TASK_ARN],
        "detail": {
            "clusterArn": CLUSTER_ARN,
            "taskArn": TASK_ARN,
            "taskDefinitionArn": "arn:aws:ecs:eu-central-1:123456789012:task-definition/causal-analysis:3",
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "task", "lastStatus": "STOPPED", "exitCode": 137, "reason": "OutOfMemoryError"}],
            "overrides": overrides,
            "launchType": "FARGATE",
            "cpu": "2048",
            "memory": "4096",
            "attachments": [{"id": "x", "type": "eni"}],
            "version": 4,
            **detail,
        },
    }


class Jobs:
    """The job repository's part the function uses, in memory."""

    def __init__(self, *records: JobRecord) -> None:
        self.records = {record.job_id: record for record in records}

    def get(self, job_id: str) -> JobRecord | None:
        return self.records.get(job_id)

    def fail_if_unfinished(self, job_id: str, reason: str) -> bool:
        record = self.records[job_id]
        if record.finished:
            return False
        self.records[job_id] = record.model_copy(update={"status": JobStatus.FAILED, "reason": reason})
        return True


class StepFunctions:
    def __init__(self) -> None:
        self.failures: list[dict] = []

    def send_task_failure(self, **kwargs: str) -> dict:
        self.failures.append(kwargs)
        return {}


def running_job(status: JobStatus = JobStatus.RUNNING) -> JobRecord:
    return JobRecord(job_id="job-1", status=status, session_id="session-1", task_token="token-1")


def test_the_event_is_read_into_its_model_with_the_job_and_exit_code():
    event = TaskStateChangeEvent.model_validate(ecs_event())
    assert event.detail.job_id == "job-1" and event.detail.exit_code == 137
    assert event.detail.stop_code == "EssentialContainerExited"
    assert event.detail.container_reason == "OutOfMemoryError"


def test_an_event_without_a_task_is_refused():
    broken = ecs_event()
    del broken["detail"]["taskArn"]
    with pytest.raises(ValidationError):
        TaskStateChangeEvent.model_validate(broken)


def test_a_crashed_task_fails_its_job_and_execution_with_the_exit_code_and_reason():
    jobs, stepfunctions = Jobs(running_job()), StepFunctions()
    result = task_stopped.fail_stopped_task_job(TaskStateChangeEvent.model_validate(ecs_event()), jobs, stepfunctions)
    assert result["action"] == "failed"
    assert jobs.records["job-1"].status == JobStatus.FAILED
    (sent,) = stepfunctions.failures
    assert sent["taskToken"] == "token-1" and sent["error"] == "TaskExited"
    assert "exit code 137" in sent["cause"] and "Essential container in task exited" in sent["cause"]
    assert "OutOfMemoryError" in sent["cause"]
    assert jobs.records["job-1"].reason == sent["cause"]


@pytest.mark.parametrize(
    ("stop_code", "error"),
    [
        ("UserInitiated", "TaskStopped"),
        ("TerminationNotice", LOST_TASK_ERROR),
        ("TaskFailedToStart", "TaskFailedToStart"),
    ],
)
def test_the_error_names_who_stopped_the_task(stop_code, error):
    event = TaskStateChangeEvent.model_validate(ecs_event(stopCode=stop_code, stoppedReason="why"))
    assert task_stopped.failure_of(event)[0] == error


def test_a_task_that_never_ran_says_it_has_no_exit_code():
    event = TaskStateChangeEvent.model_validate(
        ecs_event(stopCode="TaskFailedToStart", containers=[{"name": "task", "lastStatus": "STOPPED"}])
    )
    assert "no exit code" in task_stopped.failure_of(event)[1]


@pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED])
def test_a_finished_job_is_left_alone(status):
    jobs, stepfunctions = Jobs(running_job(status)), StepFunctions()
    result = task_stopped.fail_stopped_task_job(TaskStateChangeEvent.model_validate(ecs_event()), jobs, stepfunctions)
    assert result["action"] == "none" and stepfunctions.failures == []
    assert jobs.records["job-1"].status == status and jobs.records["job-1"].reason is None


def test_a_repeated_event_fails_the_job_once():
    jobs, stepfunctions = Jobs(running_job()), StepFunctions()
    event = TaskStateChangeEvent.model_validate(ecs_event())
    task_stopped.fail_stopped_task_job(event, jobs, stepfunctions)
    second = task_stopped.fail_stopped_task_job(event, jobs, stepfunctions)
    assert second["action"] == "none" and len(stepfunctions.failures) == 1


@pytest.mark.parametrize("job_id", [None, "unknown-job"])
def test_a_task_without_a_known_job_is_logged_not_an_error(job_id, caplog):
    stepfunctions = StepFunctions()
    with caplog.at_level(logging.WARNING):
        result = task_stopped.fail_stopped_task_job(
            TaskStateChangeEvent.model_validate(ecs_event(job_id)), Jobs(running_job()), stepfunctions
        )
    assert result["action"] == "ignored" and stepfunctions.failures == []
    assert "names no known job" in caplog.text


def test_a_running_task_changes_nothing():
    jobs, stepfunctions = Jobs(running_job()), StepFunctions()
    event = TaskStateChangeEvent.model_validate(ecs_event(lastStatus="RUNNING"))
    assert task_stopped.fail_stopped_task_job(event, jobs, stepfunctions)["action"] == "ignored"
    assert jobs.records["job-1"].status == JobStatus.RUNNING


def test_the_put_events_entry_is_ecs_own_shape():
    detail = TaskStateChangeEvent.model_validate(ecs_event()).detail
    entry = put_events_entry(detail)
    assert entry["Source"] == "aws.ecs" and entry["DetailType"] == "ECS Task State Change"
    assert entry["Resources"] == [TASK_ARN]
    sent = json.loads(entry["Detail"])
    assert sent["taskArn"] == TASK_ARN and sent["containers"][0]["exitCode"] == 137
    assert sent["overrides"]["containerOverrides"][0]["environment"] == [{"name": "JOB_ID", "value": "job-1"}]
