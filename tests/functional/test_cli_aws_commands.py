"""`causal-stack deploy --plan`, `destroy --target aws` and `images build|push`, against moto as AWS."""

from __future__ import annotations

import base64
import io
import json
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from deploy_support import make_source

from causal_stack import cli, images

REGION = "eu-central-1"


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with mock_aws():
        yield


def client(service: str):
    return boto3.client(service, region_name=REGION, config=Config(ignore_configured_endpoint_urls=True))


@pytest.fixture
def stack(aws, tmp_path: Path) -> list[str]:
    """The common flags of an AWS deploy of a small source tree under a fresh prefix."""
    source = make_source(tmp_path / "repo")
    subnets = ",".join(s["SubnetId"] for s in client("ec2").describe_subnets()["Subnets"] if s["DefaultForAz"])
    prefix = f"c{uuid.uuid4().hex[:6]}-"
    return ["--target", "aws", "--prefix", prefix, "--source-dir", str(source), "--no-datasets", "--deps", "local",
            "--ecs-subnets", subnets]  # fmt: skip


class FakeImages:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def build(self, **arguments):
        self.calls.append(("build", arguments))
        return type("Image", (), {"id": "sha256:built"})(), iter([{"stream": "Step 1/1"}])

    def push(self, repository, **arguments):
        self.calls.append(("push", {"repository": repository, **arguments}))
        return iter([{"status": "Pushed"}, {"aux": {"Tag": arguments["tag"], "Digest": "sha256:pushed"}}])


class FakeDocker:
    def __init__(self) -> None:
        self.images = FakeImages()


def test_plan_deploy_and_destroy_from_the_command_line(stack, capsys, monkeypatch):
    prefix = stack[stack.index("--prefix") + 1]

    assert cli.main(["deploy", "--plan", *stack]) == cli.EXIT_OK
    planned = capsys.readouterr().out
    assert planned.startswith("plan for aws (AWS):")
    assert f"+ websocket-api    {prefix}websocket" in planned
    assert client("apigatewayv2").get_apis()["Items"] == []

    assert cli.main(["deploy", "--json", *stack]) == cli.EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and not report["plan"]
    assert cli.main(["deploy", "--plan", "--json", *stack]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["changed"] == 0

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, and no --yes: nothing is removed
    assert cli.main(["destroy", "--target", "aws", "--prefix", prefix]) == cli.EXIT_PROBLEMS
    assert "pass --yes" in capsys.readouterr().err
    assert len(client("apigatewayv2").get_apis()["Items"]) == 1

    assert cli.main(["destroy", "--target", "aws", "--prefix", prefix, "--yes"]) == cli.EXIT_OK
    removed = capsys.readouterr().out
    assert f"- websocket-api    {prefix}websocket" in removed
    assert client("apigatewayv2").get_apis()["Items"] == []
    assert client("lambda").list_functions()["Functions"] == []


def test_destroy_needs_the_aws_target(capsys):
    assert cli.main(["destroy", "--target", "embedded", "--yes"]) == cli.EXIT_ERROR
    assert "--target aws" in capsys.readouterr().err


def test_images_build_and_push_use_the_stacks_repository_and_ecrs_credentials(stack, capsys, monkeypatch):
    prefix = stack[stack.index("--prefix") + 1]
    source = Path(stack[stack.index("--source-dir") + 1])
    (source / "ecs-tasks").mkdir()
    (source / "ecs-tasks" / "Dockerfile").write_text("FROM scratch\n")
    docker = FakeDocker()
    monkeypatch.setattr(images, "docker_client", lambda: docker)

    assert cli.main(["images", "push", "--prefix", prefix]) == cli.EXIT_ERROR
    assert "does not exist" in capsys.readouterr().err  # no repository before the deploy
    assert cli.main(["deploy", *stack]) == cli.EXIT_OK
    capsys.readouterr()

    assert cli.main(["images", "build", "--prefix", prefix, "--source-dir", str(source)]) == cli.EXIT_OK
    assert cli.main(["images", "push", "--prefix", prefix, "--tag", "v1"]) == cli.EXIT_OK

    repository = client("ecr").describe_repositories(repositoryNames=[f"{prefix}task"])["repositories"][0]
    (_, built), (_, pushed) = docker.images.calls
    assert built["tag"] == f"{repository['repositoryUri']}:latest"
    assert built["platform"] == "linux/amd64"
    assert built["dockerfile"] == "ecs-tasks/Dockerfile"
    assert built["path"] == str(source)
    assert pushed["repository"] == repository["repositoryUri"]
    assert pushed["tag"] == "v1"
    token = client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    username, password = base64.b64decode(token).decode().split(":", 1)
    assert pushed["auth_config"] == {"username": username, "password": password}
    assert f"pushed {repository['repositoryUri']}:v1 (sha256:pushed)" in capsys.readouterr().out


class FakeEcr:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_authorization_token(self):
        return {
            "authorizationData": [
                {"authorizationToken": self.token, "proxyEndpoint": "https://1.dkr.ecr.eu-central-1.amazonaws.com"}
            ]
        }


def test_the_registry_credentials_are_decoded_and_never_printed():
    credentials = images.registry_credentials(FakeEcr(base64.b64encode(b"AWS:s3cr:et").decode()))

    assert (credentials.username, credentials.password) == ("AWS", "s3cr:et")
    assert credentials.registry == "1.dkr.ecr.eu-central-1.amazonaws.com"
    assert "s3cr" not in repr(credentials)


@pytest.mark.parametrize("token", ["not base64!", base64.b64encode(b"no-separator").decode(), ""])
def test_a_malformed_registry_token_is_a_clear_error(token):
    with pytest.raises(images.ImagesError, match="not base64 of user:password"):
        images.registry_credentials(FakeEcr(token))


def test_a_push_error_from_the_registry_is_reported():
    class Refusing(FakeImages):
        def push(self, repository, **arguments):
            return iter([{"status": "Preparing"}, {"error": "denied: not authorized"}])

    docker = FakeDocker()
    docker.images = Refusing()
    credentials = images.RegistryCredentials("AWS", "x", "1.dkr.ecr.eu-central-1.amazonaws.com")

    with pytest.raises(images.ImagesError, match="denied: not authorized"):
        images.push(docker, "1.dkr.ecr.eu-central-1.amazonaws.com/p-task:latest", credentials)
