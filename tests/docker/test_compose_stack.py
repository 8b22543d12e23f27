"""`docker compose up` for real: the images built from a locally available base,
the stack with the project's emulator in place of LocalStack (no LocalStack
image can be pulled here), one question answered over the WebSocket, the
dashboard on both addresses, an ECS runner recreated without losing its
registrations, and `down -v` leaving nothing behind."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing

import pytest
from docker_support import LONG_RUNNING, ComposeProject, docker
from support import ROOT

from causal_common.names import FUNCTIONS

pytestmark = [pytest.mark.docker, pytest.mark.timeout(2400)]
CLI = ROOT / ".venv" / "bin" / "causal-stack"
BUILD_LIMIT_SECONDS = 1500  # a cold build downloads every image's dependencies
UP_LIMIT_SECONDS = 420
ANSWER_LIMIT_SECONDS = 300


@pytest.fixture(scope="module")
def stack(compose, base_image) -> Iterator[ComposeProject]:
    project = ComposeProject(compose, base_image)
    project.run("build", timeout=BUILD_LIMIT_SECONDS)
    try:
        # Compose starts the services in dependency order and waits on their conditions.
        project.run("up", "-d", timeout=UP_LIMIT_SECONDS)
        project.wait_healthy(LONG_RUNNING, limit_seconds=120)
        yield project
    except BaseException:
        print("\n".join(project.log))
        print(project.logs())
        raise
    finally:
        project.down()


def ask(stack: ComposeProject, dataset: str, question: str) -> dict:
    gateway = stack.url("GATEWAY_PORT")
    result = subprocess.run(
        [
            str(CLI),
            "chat",
            "--json",
            "--timeout",
            str(ANSWER_LIMIT_SECONDS),
            "--dataset",
            dataset,
            "--url",
            gateway.replace("http://", "ws://") + "/dev",
            "--http-url",
            gateway,
            question,
        ],
        capture_output=True,
        text=True,
        timeout=ANSWER_LIMIT_SECONDS + 30,
        check=False,
    )
    assert result.returncode == 0, (
        result.stdout[-2000:],
        result.stderr[-3000:],
        stack.logs("localstack", "ecs-runner"),
    )
    return json.loads(result.stdout)


def test_services_started_in_order_and_are_healthy(stack):
    for service in ("stack-keys", "task-image", "init"):
        state = stack.state(service)
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), (service, stack.logs(service))
    assert stack.state("gateway")["StartedAt"] > stack.state("init")["FinishedAt"]
    assert stack.state("init")["StartedAt"] > stack.state("task-image")["FinishedAt"]
    for service in LONG_RUNNING:
        assert stack.state(service)["Health"]["Status"] == "healthy", service


def test_a_question_is_answered_end_to_end(stack):
    answer = ask(stack, "lalonde_nsw", "What is the effect of treat on re78?")

    result = answer["result"]
    assert (result["treatment"], result["outcome"]) == ("treat", "re78")
    # The NSW experiment: a difference in means of $1,794; adjusted estimates land near it.
    assert 1000 < result["estimate"] < 2600, result
    # The analysis ran as ECS tasks in containers of the task image; the runner removes each once it has exited.
    deadline = time.monotonic() + 60
    while stack.task_containers() and time.monotonic() < deadline:
        time.sleep(1)
    assert stack.task_containers() == []


def test_the_dashboard_and_resources_answer_on_both_addresses(stack):
    resources = {}
    for port in ("GATEWAY_PORT", "RESOURCES_PORT"):
        # The resource list needs no login (the old `curl … /api/resources | jq` works verbatim); the dashboard does.
        with urllib.request.urlopen(f"{stack.url(port)}/api/resources", timeout=60) as anonymous:
            resources[port] = json.loads(anonymous.read())
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{stack.url(port)}/api/sessions", timeout=60)
        assert refused.value.code == 401  # the dashboard's login, on both addresses
        with closing(stack.operator_client(port)) as client:
            assert client.get("/dashboard").status_code == 200

    here, there = resources["GATEWAY_PORT"], resources["RESOURCES_PORT"]
    assert [row["name"] for row in here["tables"]] == [row["name"] for row in there["tables"]]
    assert len(here["functions"]) == len(FUNCTIONS) and all(
        row.get("state") == "Active" for row in here["functions"]
    ), here["functions"]


def test_only_the_stacks_own_pair_is_honoured_from_the_host(stack):
    """Docker hides which host user connected, so the well-known pair is refused; the pair in the checkout's
    .stack/ (the owner's alone) is what every container and the owner's tools sign with."""
    import stat

    import boto3
    from botocore.exceptions import ClientError

    from causal_stack.credentials import CREDENTIALS_FILE, read_keys

    stack_dir = stack.root / ".stack"
    keys = read_keys(stack_dir)
    assert keys is not None and keys.access_key_id != "test"
    for path in (stack_dir, stack_dir / CREDENTIALS_FILE):
        assert (path.stat().st_uid, stat.S_IMODE(path.stat().st_mode) & 0o077) == (stack.root.stat().st_uid, 0), path

    def tables(url: str, pair: tuple[str, str]) -> list[str]:
        client = boto3.client(
            "dynamodb",
            endpoint_url=url,
            region_name="eu-central-1",
            aws_access_key_id=pair[0],
            aws_secret_access_key=pair[1],
        )
        return client.list_tables()["TableNames"]

    assert any(name.endswith("sessions") for name in tables(stack.url("LOCALSTACK_PORT"), keys.as_tuple()))
    with pytest.raises(ClientError) as refused:
        tables(stack.url("LOCALSTACK_PORT"), ("test", "test"))
    assert refused.value.response["Error"]["Code"] in ("UnrecognizedClientException", "InvalidClientTokenId")

    def clusters(pair: tuple[str, str]) -> list[str]:
        ecs = boto3.client(
            "ecs",
            endpoint_url=stack.url("ECS_RUNNER_PORT"),
            region_name="eu-central-1",
            aws_access_key_id=pair[0],
            aws_secret_access_key=pair[1],
        )
        return ecs.list_clusters()["clusterArns"]

    assert clusters(keys.as_tuple())
    with pytest.raises(ClientError):
        clusters(("test", "test"))


def test_every_port_is_published_on_loopback_only(stack):
    for container in stack.containers():
        for bindings in (container["NetworkSettings"]["Ports"] or {}).values():
            for binding in bindings or []:
                assert binding["HostIp"] == "127.0.0.1", (container["Name"], binding)


def test_a_recreated_ecs_runner_keeps_its_registrations(stack):
    old = stack.containers("ecs-runner")[0]["Id"]
    docker("kill", old)
    stack.run("up", "-d", "--no-deps", "--force-recreate", "ecs-runner", timeout=120)
    assert stack.containers("ecs-runner")[0]["Id"] != old
    stack.wait_healthy(("ecs-runner",), limit_seconds=120)

    answer = ask(stack, "synthetic_linear", "What is the effect of v0 on y?")

    assert abs(answer["result"]["estimate"] - 10.0) < 0.5, answer["result"]


def test_down_leaves_nothing_behind(stack):
    volumes = stack.volumes()
    assert volumes, "the stack has volumes (deploy cache, ECS state)"

    stack.down()

    assert stack.leftovers(volumes) == {"containers": [], "volumes": [], "networks": []}
