"""The local ECS API with the Docker backend (as `--backend docker` wires it in
compose), driven by boto3's ECS client, with a fake Docker Engine API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import docker
import httpx
import pytest
from fake_docker_api import FakeDockerApi

from causal_common.settings import AwsSettings
from causal_ecs_runner.__main__ import build, front_door
from causal_ecs_runner.api import make_server
from causal_ecs_runner.backends.docker import DockerBackend
from causal_ecs_runner.settings import RunnerSettings

TASK_IMAGE = "causal-analysis-stack/task:local"
NETWORK = "causal-analysis"


@pytest.fixture
def runner(moto_endpoint: str) -> Iterator[tuple[Any, FakeDockerApi, Any, str]]:
    with FakeDockerApi(images=(TASK_IMAGE,), networks=(NETWORK,)) as fake:
        backend = DockerBackend(
            lambda: docker.DockerClient(base_url=fake.base_url, version="1.43"), network=NETWORK, task_image=TASK_IMAGE
        )
        # A prefix of its own: the jobs table is empty, whatever other tests put in moto.
        settings = RunnerSettings(AWS_ENDPOINT_URL=moto_endpoint, RESOURCE_PREFIX="docker-backend-test-")
        dynamodb = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=settings.region)
        if "docker-backend-test-jobs" not in dynamodb.list_tables()["TableNames"]:
            dynamodb.create_table(
                TableName="docker-backend-test-jobs",
                KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        environment = {"AWS_ENDPOINT_URL": "http://localstack:4566", "RESOURCE_PREFIX": "causal-analysis-dev-"}
        service, watcher = build(settings, backend, environment)
        server = make_server("127.0.0.1", 0, service, front_door(RunnerSettings()))
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        ecs = boto3.client("ecs", endpoint_url=url, region_name=AwsSettings().region)
        try:
            yield ecs, fake, watcher, url
        finally:
            server.shutdown()
            server.server_close()
            backend.close()


def register(ecs: Any) -> None:
    ecs.create_cluster(clusterName="causal-analysis-dev-cluster")
    ecs.register_task_definition(
        family="causal-analysis-dev-eda",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[
            {
                "name": "task",
                "image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/causal-analysis-task:1",
                "command": ["python", "-m", "causal_tasks", "eda"],
                "environment": [{"name": "LOG_LEVEL", "value": "DEBUG"}],
                "essential": True,
            }
        ],
    )


def test_run_task_starts_a_container_on_the_compose_network_and_reports_its_exit(runner) -> None:
    ecs, fake, watcher, _ = runner
    register(ecs)

    started = ecs.run_task(
        cluster="causal-analysis-dev-cluster",
        taskDefinition="causal-analysis-dev-eda",
        overrides={"containerOverrides": [{"name": "task", "environment": [{"name": "JOB_ID", "value": "job-7"}]}]},
    )["tasks"][0]

    (container,) = fake.containers.values()
    assert container.image == TASK_IMAGE
    assert container.networks == [NETWORK]
    assert container.command == ["python", "-m", "causal_tasks", "eda"]
    assert container.environment["JOB_ID"] == "job-7"
    assert container.environment["LOG_LEVEL"] == "DEBUG"
    assert container.environment["AWS_ENDPOINT_URL"] == "http://localstack:4566"

    fake.finish(container.id, 0, stdout="done\n")
    watcher.check()  # the job is unknown to the jobs table: nothing to fail

    task = ecs.describe_tasks(cluster="causal-analysis-dev-cluster", tasks=[started["taskArn"]])["tasks"][0]
    assert task["lastStatus"] == "STOPPED"
    assert task["containers"][0]["exitCode"] == 0
    assert fake.containers == {}  # removed once finished


def test_health_reports_the_docker_backend(runner) -> None:
    _, fake, _, url = runner

    healthy = httpx.get(f"{url}/health")
    fake.images.clear()
    unhealthy = httpx.get(f"{url}/health")

    assert healthy.status_code == 200 and healthy.json()["backend"] == "docker"
    assert unhealthy.status_code == 503 and "docker compose build" in unhealthy.json()["detail"]


def test_task_whose_image_is_missing_fails_to_start_with_the_reason(runner) -> None:
    ecs, fake, _, _ = runner
    register(ecs)
    fake.images.clear()

    started = ecs.run_task(cluster="causal-analysis-dev-cluster", taskDefinition="causal-analysis-dev-eda")["tasks"][0]
    task = ecs.describe_tasks(cluster="causal-analysis-dev-cluster", tasks=[started["taskArn"]])["tasks"][0]

    assert task["lastStatus"] == "STOPPED"
    assert "docker compose build" in task["stoppedReason"]
