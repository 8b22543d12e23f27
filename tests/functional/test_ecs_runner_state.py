"""The local ECS runner keeps its clusters and task definitions across a restart
when it has a state file (compose keeps one in a volume)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from causal_ecs_runner.__main__ import front_door
from causal_ecs_runner.api import make_server
from causal_ecs_runner.service import EcsService
from causal_ecs_runner.settings import RunnerSettings
from causal_ecs_runner.store import Store

REGION = "eu-central-1"
ACCOUNT = "000000000000"


class NoContainers:
    """Registrations never touch a backend; a RunTask here would be a test bug."""

    name = "none"

    def healthy(self) -> tuple[bool, str]:
        return True, "registrations only"

    def start(self, spec):  # pragma: no cover - never called by these tests
        raise AssertionError("no task should start")


@contextmanager
def runner(state_file: Path | None) -> Iterator[object]:
    service = EcsService(Store(REGION, ACCOUNT, state_file), NoContainers(), {})
    server = make_server("127.0.0.1", 0, service, front_door(RunnerSettings()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield boto3.client(
            "ecs",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        server.shutdown()
        server.server_close()


def register(ecs, family: str) -> str:
    return ecs.register_task_definition(
        family=family,
        cpu="256",
        memory="512",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        containerDefinitions=[
            {"name": "task", "image": "task:local", "command": ["python", "-m", "causal_tasks", "eda"]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def test_a_restarted_runner_keeps_clusters_and_task_definitions(tmp_path):
    state = tmp_path / "volume" / "ecs-state.json"
    with runner(state) as ecs:
        ecs.create_cluster(clusterName="analysis")
        first = register(ecs, "eda")
        second = register(ecs, "eda")
        ecs.deregister_task_definition(taskDefinition=first)

    with runner(state) as ecs:
        clusters = ecs.describe_clusters(clusters=["analysis"])
        assert [c["clusterName"] for c in clusters["clusters"]] == ["analysis"]
        assert ecs.list_task_definitions(familyPrefix="eda")["taskDefinitionArns"] == [second]
        assert ecs.describe_task_definition(taskDefinition="eda")["taskDefinition"]["revision"] == 2
        # New registrations continue the revision numbers instead of starting again at 1.
        assert register(ecs, "eda").endswith(":3")


def test_without_a_state_file_a_restart_forgets_everything(tmp_path):
    with runner(None) as ecs:
        ecs.create_cluster(clusterName="analysis")
    with runner(None) as ecs:
        assert ecs.describe_clusters(clusters=["analysis"])["failures"][0]["reason"] == "MISSING"
        with pytest.raises(ClientError, match="ClusterNotFoundException"):
            ecs.list_tasks(cluster="analysis")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["{not json", '{"format": 99, "clusters": {"x": {}}}'])
def test_a_damaged_or_foreign_state_file_starts_empty_and_is_replaced_on_the_next_registration(
    tmp_path, content, caplog
):
    state = tmp_path / "ecs-state.json"
    state.write_text(content)

    with runner(state) as ecs:
        assert ecs.list_clusters()["clusterArns"] == []
        ecs.create_cluster(clusterName="analysis")

    assert "ignoring the ECS state file" in caplog.text
    with runner(state) as ecs:
        assert ecs.list_clusters()["clusterArns"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/analysis"]
