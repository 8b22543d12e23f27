"""The local ECS runner through boto3's ecs client, running real tasks against moto.

A stopped task's "Task State Change" event goes to moto's EventBridge, whose rule (the stack's own
pattern) sends it to an SQS queue; the ``task-stopped`` function's logic reads it from there, as
EventBridge would invoke it, and fails the job with the recording stand-in for Step Functions."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from support import free_port, load_lambda_module

from causal_common.datasets import publish
from causal_common.jobs import JobRepository
from causal_common.models.ecs_events import TaskStateChangeEvent
from causal_common.names import ResourceNames
from causal_datasets.bundled import NSW_EXPERIMENTAL_EFFECT, bundled_datasets
from causal_deploy.manifest import task_stopped_rule
from causal_ecs_runner.__main__ import build, front_door
from causal_ecs_runner.api import make_server
from causal_ecs_runner.backends.subprocess import SubprocessBackend
from causal_ecs_runner.settings import RunnerSettings

NAMES = ResourceNames(prefix="ecs-test-")
REGION = "eu-central-1"


class RecordingStepFunctions:
    """Stands in for the state machine: records what the runner tells it."""

    def __init__(self) -> None:
        self.failures: list[dict] = []

    def send_task_failure(self, **kwargs):
        self.failures.append(kwargs)
        return {}


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


@pytest.fixture(scope="module")
def aws(moto_endpoint, tmp_path_factory):
    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=moto_endpoint)

    dynamodb, s3 = client("dynamodb"), client("s3")
    for table, key in (
        (NAMES.jobs_table, [("jobId", "S")]),
        (NAMES.sessions_table, [("sessionId", "S")]),
        (NAMES.pending_messages_table, [("sessionId", "S"), ("seq", "N")]),
    ):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind} for name, kind in key],
            KeySchema=[
                {"AttributeName": name, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (name, _) in enumerate(key)
            ],
        )
    for bucket in (NAMES.datasets_bucket, NAMES.artifacts_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for manifest, data in bundled_datasets(tmp_path_factory.mktemp("datasets")):
        if manifest.id == "lalonde_nsw":
            publish(s3, NAMES, manifest, data)
    return {"dynamodb": dynamodb, "s3": s3, "endpoint": moto_endpoint}


@pytest.fixture(scope="module")
def runner(aws, tmp_path_factory):
    environ = {
        "AWS_ENDPOINT_URL": aws["endpoint"],
        "RESOURCE_PREFIX": NAMES.prefix,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "ARTIFACTS_BASE_URL": "http://127.0.0.1:8080/artifacts",
        "LOG_LEVEL": "INFO",
        "TASK_HEARTBEAT_SECONDS": "0.5",
    }
    settings = RunnerSettings(
        AWS_ENDPOINT_URL=aws["endpoint"],
        RESOURCE_PREFIX=NAMES.prefix,
        ECS_RUNNER_HEARTBEAT_TIMEOUT_SECONDS=3,
        ECS_RUNNER_POLL_SECONDS=0.1,
    )
    backend = SubprocessBackend(Path(tmp_path_factory.mktemp("task-logs")), "pandas,causal_tasks.job")
    service, watcher = build(settings, backend, environ)
    recorder = RecordingStepFunctions()
    delivery = deliver_task_stopped_events(aws, recorder)
    server = make_server("127.0.0.1", free_port(), service, front_door(RunnerSettings()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    watcher.start()
    backend.wait_warm(60)
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=f"http://127.0.0.1:{server.server_address[1]}")
    ecs.create_cluster(clusterName=NAMES.cluster)
    for family, command in (
        ("causal-analysis", ["python", "-m", "causal_tasks", "causal-analysis"]),
        ("tiny", [sys.executable, "-c", "print('hello')"]),
    ):
        ecs.register_task_definition(
            family=NAMES.task_family(family),
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="1024",
            memory="2048",
            containerDefinitions=[
                {"name": "task", "image": "causal-tasks:local", "command": command, "essential": True}
            ],
        )
    yield {"ecs": ecs, "recorder": recorder, "server": server, "delivered": delivery}
    delivery["stop"].set()
    watcher.close()
    server.shutdown()
    backend.close()


def deliver_task_stopped_events(aws, recorder, names=NAMES):
    """The stack's rule on moto's EventBridge, an SQS queue as its target, and the function's logic
    reading the queue; returns what was delivered and a stop switch."""
    endpoint = aws["endpoint"]
    events = boto3.client("events", region_name=REGION, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    queue_url = sqs.create_queue(QueueName=f"{names.prefix}task-stopped")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = task_stopped_rule(ResourceNames(prefix=names.prefix, region=REGION, account_id="000000000000"))
    events.put_rule(Name=rule.name, EventPattern=json.dumps(rule.event_pattern), State="ENABLED")
    events.put_targets(Rule=rule.name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    logic = load_lambda_module("task-stopped", "task_stopped")
    jobs = JobRepository(aws["dynamodb"], names)
    state = {"events": [], "stop": threading.Event()}

    def pump():
        while not state["stop"].is_set():
            messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
            for message in messages:
                event = TaskStateChangeEvent.model_validate(json.loads(message["Body"]))
                state["events"].append(event)
                logic.fail_stopped_task_job(event, jobs, recorder)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    threading.Thread(target=pump, daemon=True).start()
    return state


def put_job(aws, job_id, token, arguments=None, dataset="lalonde_nsw"):
    item = {
        "jobId": job_id,
        "sessionId": f"session-{job_id}",
        "tool": "causal_analysis",
        "datasetId": dataset,
        "callId": f"call-{job_id}",
        "arguments": json.dumps(arguments or {}),
        "taskToken": token,
        "status": "PENDING",
    }
    aws["dynamodb"].put_item(TableName=NAMES.jobs_table, Item={k: {"S": v} for k, v in item.items()})


def job(aws, job_id):
    item = aws["dynamodb"].get_item(TableName=NAMES.jobs_table, Key={"jobId": {"S": job_id}}, ConsistentRead=True)[
        "Item"
    ]
    return {key: next(iter(value.values())) for key, value in item.items()}


def run(runner, family, job_id=None, command=None):
    override = {"name": "task", "environment": [{"name": "JOB_ID", "value": job_id or "none"}]}
    if command:
        override["command"] = command
    response = runner["ecs"].run_task(
        cluster=NAMES.cluster,
        taskDefinition=NAMES.task_family(family),
        launchType="FARGATE",
        count=1,
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}},
        overrides={"containerOverrides": [override]},
    )
    assert response["failures"] == []
    return response["tasks"][0]["taskArn"]


def stopped(runner, arn):
    def check():
        task = runner["ecs"].describe_tasks(cluster=NAMES.cluster, tasks=[arn])["tasks"][0]
        return task if task["lastStatus"] == "STOPPED" else None

    return _wait(check)


def test_definitions_and_clusters_are_described(runner):
    ecs = runner["ecs"]
    described = ecs.describe_task_definition(taskDefinition=NAMES.task_family("tiny"))["taskDefinition"]
    assert described["revision"] == 1 and described["containerDefinitions"][0]["name"] == "task"
    assert any(arn.endswith("tiny:1") for arn in ecs.list_task_definitions()["taskDefinitionArns"])
    assert ecs.describe_clusters(clusters=[NAMES.cluster])["clusters"][0]["status"] == "ACTIVE"
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.run_task(cluster="nope", taskDefinition=NAMES.task_family("tiny"))
    with pytest.raises(ecs.exceptions.ClientException):
        ecs.describe_task_definition(taskDefinition="missing-family")


def test_tiny_task_runs_and_exits_zero(runner):
    arn = run(runner, "tiny")
    task = stopped(runner, arn)
    assert task["containers"][0]["exitCode"] == 0
    assert task["stopCode"] == "EssentialContainerExited" and task["desiredStatus"] == "STOPPED"


def test_crashing_task_fails_its_job_with_the_exit_code(runner, aws):
    put_job(aws, "crash-1", "token-crash-1")
    arn = run(runner, "tiny", "crash-1", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])
    assert stopped(runner, arn)["containers"][0]["exitCode"] == 3
    failed = _wait(lambda: job(aws, "crash-1")["status"] == "FAILED" and job(aws, "crash-1"))
    assert "exit code 3" in failed["reason"] and "boom" in failed["reason"]
    sent = _wait(lambda: [f for f in runner["recorder"].failures if f["taskToken"] == "token-crash-1"])
    assert sent[0]["error"] == "TaskExited" and "exit code 3" in sent[0]["cause"]
    (event,) = [e for e in runner["delivered"]["events"] if e.detail.task_arn == arn]
    assert event.source == "aws.ecs" and event.detail_type == "ECS Task State Change"
    assert event.detail.stop_code == "EssentialContainerExited" and event.detail.exit_code == 3
    assert event.detail.job_id == "crash-1" and event.resources == [arn]


def test_stop_task_fails_the_job_as_stopped(runner, aws):
    put_job(aws, "stop-1", "token-stop-1")
    aws["dynamodb"].update_item(
        TableName=NAMES.jobs_table,
        Key={"jobId": {"S": "stop-1"}},
        UpdateExpression="SET heartbeatAt = :now",
        ExpressionAttributeValues={":now": {"N": str(int(time.time() * 1000) + 600_000)}},
    )
    arn = run(runner, "tiny", "stop-1", [sys.executable, "-c", "import time; time.sleep(60)"])
    assert arn in runner["ecs"].list_tasks(cluster=NAMES.cluster)["taskArns"]
    runner["ecs"].stop_task(cluster=NAMES.cluster, task=arn, reason="user cancelled")
    task = stopped(runner, arn)
    assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "user cancelled"
    assert task["containers"][0]["exitCode"] == 143
    failed = _wait(lambda: job(aws, "stop-1")["status"] == "FAILED" and job(aws, "stop-1"))
    assert "user cancelled" in failed["reason"]
    assert (
        _wait(lambda: [f for f in runner["recorder"].failures if f["taskToken"] == "token-stop-1"])[0]["error"]
        == "TaskStopped"
    )


def test_silent_task_is_stopped_for_a_missed_heartbeat(runner, aws):
    put_job(aws, "silent-1", "token-silent-1")
    arn = run(runner, "tiny", "silent-1", [sys.executable, "-c", "import time; time.sleep(60)"])
    task = stopped(runner, arn)
    assert "missed heartbeat" in task["stoppedReason"]
    failed = _wait(lambda: job(aws, "silent-1")["status"] == "FAILED" and job(aws, "silent-1"))
    assert "missed heartbeat" in failed["reason"]
    assert _wait(lambda: [f for f in runner["recorder"].failures if f["taskToken"] == "token-silent-1"])


@pytest.mark.slow
def test_real_causal_task_succeeds_and_stores_its_result(runner, aws):
    put_job(aws, "causal-1", "", {"treatment": "treat", "outcome": "re78", "refutation_simulations": 2})
    arn = run(runner, "causal-analysis", "causal-1")
    task = stopped(runner, arn)
    assert task["containers"][0]["exitCode"] == 0, task
    done = job(aws, "causal-1")
    assert done["status"] == "SUCCEEDED"
    result = json.loads(aws["s3"].get_object(Bucket=NAMES.artifacts_bucket, Key=done["resultKey"])["Body"].read())
    # lalonde_nsw is randomised, so its raw difference is the $1,794.34 benchmark: the task must have
    # adjusted (covariates, a named estimator, not the raw difference handed back) and still cover it.
    assert result["ci"][0] <= NSW_EXPERIMENTAL_EFFECT <= result["ci"][1], result["ci"]
    assert abs(result["estimate"] - NSW_EXPERIMENTAL_EFFECT) <= 800
    assert {"age", "educ", "re74", "re75"} <= set(result["common_causes"]) and result["method"]
    assert abs(result["estimate"] - result["naive_estimate"]) > 1
    graph = next(a for a in result["artifacts"] if a["name"] == "causal_graph")
    assert graph["url"] == f"http://127.0.0.1:8080/artifacts/{graph['key']}"
    assert aws["s3"].get_object(Bucket=NAMES.artifacts_bucket, Key=graph["key"])["Body"].read(4) == b"\x89PNG"
    frames = aws["dynamodb"].query(
        TableName=NAMES.pending_messages_table,
        KeyConditionExpression="sessionId = :s",
        ExpressionAttributeValues={":s": {"S": "session-causal-1"}},
    )["Items"]
    assert frames and all(json.loads(f["frame"]["S"])["type"] == "progress" for f in frames)


@pytest.mark.slow
def test_task_with_bad_arguments_reports_a_tool_error(runner, aws):
    put_job(aws, "bad-1", "", {"treatment": "treat", "outcome": "salary"})
    arn = run(runner, "causal-analysis", "bad-1")
    assert stopped(runner, arn)["containers"][0]["exitCode"] == 0
    failed = job(aws, "bad-1")
    assert failed["status"] == "FAILED" and "salary" in failed["reason"]
