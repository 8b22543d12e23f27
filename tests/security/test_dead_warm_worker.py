"""The ECS runner's warm worker: restarted when it dies, its running task failed with the reason, doctor told."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request

import boto3
import psutil
import pytest
from functional.test_ecs_runner_tasks import RecordingStepFunctions, deliver_task_stopped_events
from support import free_port

from causal_common.errors import LOST_TASK_ERROR
from causal_common.names import ResourceNames
from causal_ecs_runner.__main__ import build, front_door
from causal_ecs_runner.api import make_server
from causal_ecs_runner.backends.subprocess import SubprocessBackend
from causal_ecs_runner.settings import RunnerSettings
from causal_stack.doctor import render
from causal_stack.doctor_processes import ecs_runner_checks

NAMES = ResourceNames(prefix="warm-test-")
REGION = "eu-central-1"
SLEEP_TASK = ["python", "-m", "timeit", "-n", "1", "-r", "1", "import time; time.sleep({seconds})"]


def wait_for(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not seen within {timeout:.0f} s")


def start_runner(moto_endpoint: str, log_dir, warm_modules: str, backoff=(0.2,)):
    environ = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "RESOURCE_PREFIX": NAMES.prefix,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    settings = RunnerSettings(
        AWS_ENDPOINT_URL=moto_endpoint,
        RESOURCE_PREFIX=NAMES.prefix,
        ECS_RUNNER_HEARTBEAT_TIMEOUT_SECONDS=0,
        ECS_RUNNER_POLL_SECONDS=0.1,
    )
    backend = SubprocessBackend(log_dir, warm_modules, warm_restart_backoff=backoff)
    service, watcher = build(settings, backend, environ)
    recorder = RecordingStepFunctions()
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    delivery = deliver_task_stopped_events({"endpoint": moto_endpoint, "dynamodb": dynamodb}, recorder, NAMES)
    server = make_server("127.0.0.1", free_port(), service, front_door(RunnerSettings()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watcher.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    def close() -> None:
        delivery["stop"].set()
        watcher.close()
        server.shutdown()
        server.server_close()
        backend.close()

    return url, backend, recorder, close


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def jobs_table(moto_endpoint):
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)
    dynamodb.create_table(
        TableName=NAMES.jobs_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
    )
    return dynamodb


@pytest.fixture()
def runner(moto_endpoint, jobs_table, tmp_path):
    url, backend, recorder, close = start_runner(moto_endpoint, tmp_path, "json")
    assert backend.wait_warm(60), "the warm worker did not start"
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=url)
    ecs.create_cluster(clusterName=NAMES.cluster)
    ecs.register_task_definition(
        family=NAMES.task_family("sleep"),
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "task", "image": "local", "command": ["true"]}],
    )
    yield {"url": url, "ecs": ecs, "recorder": recorder}
    close()


def run_sleep(runner, seconds: float, job_id: str = "none") -> str:
    command = [part.format(seconds=seconds) for part in SLEEP_TASK]
    response = runner["ecs"].run_task(
        cluster=NAMES.cluster,
        taskDefinition=NAMES.task_family("sleep"),
        overrides={
            "containerOverrides": [
                {"name": "task", "command": command, "environment": [{"name": "JOB_ID", "value": job_id}]}
            ]
        },
    )
    return response["tasks"][0]["taskArn"]


def describe(runner, arn: str) -> dict:
    return runner["ecs"].describe_tasks(cluster=NAMES.cluster, tasks=[arn])["tasks"][0]


def forked_children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children()
    except psutil.NoSuchProcess:
        return []


def test_a_killed_warm_worker_is_restarted_and_its_running_task_fails_with_the_reason(runner, jobs_table):
    jobs_table.put_item(
        TableName=NAMES.jobs_table,
        Item={"jobId": {"S": "in-flight"}, "status": {"S": "RUNNING"}, "taskToken": {"S": "token-in-flight"}},
    )
    first_pid = health(runner["url"])["warmWorker"]["pid"]
    arn = run_sleep(runner, 60, "in-flight")
    wait_for(lambda: forked_children(first_pid), "the task forked from the warm worker")

    os.kill(first_pid, signal.SIGKILL)

    task = wait_for(
        lambda: describe(runner, arn)["lastStatus"] == "STOPPED" and describe(runner, arn), "task stopped", 30
    )
    assert task["containers"][0]["exitCode"] == 137
    job = wait_for(
        lambda: (
            jobs_table.get_item(TableName=NAMES.jobs_table, Key={"jobId": {"S": "in-flight"}}, ConsistentRead=True)[
                "Item"
            ]["status"]["S"]
            == "FAILED"
            and jobs_table.get_item(TableName=NAMES.jobs_table, Key={"jobId": {"S": "in-flight"}}, ConsistentRead=True)[
                "Item"
            ]
        ),
        "job failed",
        30,
    )
    assert "warm worker" in job["reason"]["S"] and "died" in job["reason"]["S"]
    sent = wait_for(
        lambda: [f for f in runner["recorder"].failures if f["taskToken"] == "token-in-flight"], "SendTaskFailure"
    )
    assert sent[0]["error"] == LOST_TASK_ERROR, "lost with its worker: the workflow ends with an error frame"

    restarted = wait_for(
        lambda: (h := health(runner["url"])["warmWorker"])["state"] == "up" and h, "warm worker back up", 60
    )
    assert restarted["pid"] != first_pid and restarted["restarts"] == 1 and "SIGKILL" in restarted["lastReason"]
    next_arn = run_sleep(runner, 3)
    wait_for(lambda: forked_children(restarted["pid"]), "the next task forked from the new warm worker", 10)
    assert (
        wait_for(
            lambda: describe(runner, next_arn)["lastStatus"] == "STOPPED" and describe(runner, next_arn),
            "next task finished",
            30,
        )["containers"][0]["exitCode"]
        == 0
    )


def test_doctor_reports_a_warm_worker_that_keeps_dying(moto_endpoint, jobs_table, tmp_path):
    url, backend, _, close = start_runner(
        moto_endpoint, tmp_path, "no_such_module_for_the_warm_worker", backoff=(0.05,)
    )
    try:
        wait_for(lambda: health(url)["warmWorker"]["state"] == "failed", "the supervisor giving up", 60)
        checks = {check.name: check for check in ecs_runner_checks(url)}
        warm = checks["ECS warm worker"]
        assert not warm.ok
        assert "not restarted any more" in warm.detail and "warm-worker.log" in warm.hint
        assert "FAIL  ECS warm worker" in render(list(checks.values()))
    finally:
        close()


def test_doctor_reports_a_restarted_warm_worker(runner):
    first_pid = health(runner["url"])["warmWorker"]["pid"]
    os.kill(first_pid, signal.SIGKILL)
    wait_for(
        lambda: (h := health(runner["url"])["warmWorker"])["state"] == "up" and h["pid"] != first_pid, "restart", 60
    )
    warm = {check.name: check for check in ecs_runner_checks(runner["url"])}["ECS warm worker"]
    assert warm.ok and warm.warning
    assert "1 death(s), 1 restart(s)" in warm.detail and "SIGKILL" in warm.detail
