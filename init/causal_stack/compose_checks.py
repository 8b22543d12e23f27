"""`causal-stack doctor` on the compose route: is Docker reachable, is LocalStack
healthy and set up for Lambda, is every function Active, and can a Lambda reach
the gateway? Each failed check says how to fix it.

Run on the host while `docker compose up` runs (defaults point at the ports
compose publishes on 127.0.0.1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import docker
import httpx
import requests
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from docker.errors import DockerException, ImageNotFound, NotFound
from pydantic import Field

from causal_common import aws
from causal_common.aws import error_code
from causal_common.function_hints import hint_for
from causal_common.names import FUNCTIONS, ResourceNames
from causal_common.settings import AwsSettings
from causal_ecs_runner.backends.docker import DOCKER_UNAVAILABLE_HINT
from causal_stack.checks import Check

logger = logging.getLogger(__name__)

NEEDED_LOCALSTACK_SERVICES = ("lambda", "stepfunctions", "dynamodb", "s3", "secretsmanager", "events")
_UP = {"running", "available"}
_ARM = {"aarch64", "arm64"}
_DOCKER_ERRORS = (DockerException, requests.exceptions.RequestException)
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}


class ComposeDoctorSettings(AwsSettings):
    """Where the compose route's parts are, seen from the host."""

    localstack_url: str = Field(default="http://127.0.0.1:4566", validation_alias="LOCALSTACK_URL")
    gateway_url: str = Field(default="http://127.0.0.1:8080", validation_alias="GATEWAY_URL")
    ecs_runner_url: str = Field(default="http://127.0.0.1:4599", validation_alias="ECS_RUNNER_URL")
    network: str = Field(default="causal-analysis", validation_alias="COMPOSE_NETWORK")
    lambda_runtime_image: str = Field(
        default="public.ecr.aws/lambda/python:3.12", validation_alias="LAMBDA_RUNTIME_IMAGE"
    )
    task_image: str = Field(default="causal-analysis-stack/task:local", validation_alias="TASK_IMAGE")


def compose_checks(
    settings: ComposeDoctorSettings | None = None,
    *,
    docker_client_factory: Callable[[], docker.DockerClient] = docker.from_env,
    http: httpx.Client | None = None,
    lambda_client: Any | None = None,
) -> list[Check]:
    """Every check of the compose route, in the order a person would fix them."""
    settings = settings or ComposeDoctorSettings()
    http = http or httpx.Client(timeout=5.0)
    checks: list[Check] = []

    client, docker_check = _docker(docker_client_factory)
    checks.append(docker_check)
    localstack_env: dict[str, str] = {}
    architecture = ""
    if client is not None:
        architecture = _engine_architecture(client)
        localstack_container = _service_container(client, "localstack")
        checks.append(_localstack_container(localstack_container, settings))
        localstack_env = _env_of(localstack_container)
        checks.append(
            _image_available(client, "Lambda runtime image", settings.lambda_runtime_image, _runtime_hint(settings))
        )
        checks.append(
            _image_available(client, "task image", settings.task_image, "build it: docker compose build task-image")
        )
        checks.append(_network(client, settings.network))

    checks.extend(_localstack_health(http, settings))
    configurations = _function_configurations(
        lambda_client or aws.client("lambda", _localstack_settings(settings)), settings
    )
    if isinstance(configurations, Check):
        checks.append(configurations)
    else:
        checks.append(_functions_active(configurations))
        checks.append(_callback_reachable(configurations))
        checks.append(_architecture(configurations, architecture, localstack_env))
    checks.append(_http_ok(http, "ECS runner", f"{settings.ecs_runner_url}/health", "docker compose logs ecs-runner"))
    checks.append(_http_ok(http, "gateway", f"{settings.gateway_url}/health", "docker compose logs gateway init"))
    return checks


# -- Docker ------------------------------------------------------------------


def _docker(factory: Callable[[], docker.DockerClient]) -> tuple[docker.DockerClient | None, Check]:
    try:
        client = factory()
        client.ping()
        version = client.version().get("Version", "unknown")
    except _DOCKER_ERRORS as exc:
        return None, Check("Docker", False, f"Docker not available: {_first_line(exc)}", DOCKER_UNAVAILABLE_HINT)
    return client, Check("Docker", True, f"Docker engine {version} answers")


def _engine_architecture(client: docker.DockerClient) -> str:
    try:
        return str(client.info().get("Architecture", ""))
    except _DOCKER_ERRORS:
        return ""


def _service_container(client: docker.DockerClient, service: str) -> Any | None:
    try:
        found = client.containers.list(filters={"label": f"com.docker.compose.service={service}"})
    except _DOCKER_ERRORS:
        return None
    return found[0] if found else None


def _env_of(container: Any | None) -> dict[str, str]:
    if container is None:
        return {}
    pairs = container.attrs.get("Config", {}).get("Env") or []
    return dict(item.split("=", 1) for item in pairs if "=" in item)


def _localstack_container(container: Any | None, settings: ComposeDoctorSettings) -> Check:
    name = "LocalStack container"
    if container is None:
        return Check(name, False, "no running localstack service", "start the stack: docker compose up")
    mounts = {mount.get("Destination") for mount in container.attrs.get("Mounts") or []}
    if "/var/run/docker.sock" not in mounts:
        return Check(
            name,
            False,
            "the Docker socket is not mounted, so Lambda reports 'Docker not available'",
            DOCKER_UNAVAILABLE_HINT,
        )
    network = _env_of(container).get("LAMBDA_DOCKER_NETWORK")
    if network != settings.network:
        return Check(
            name,
            False,
            f"LAMBDA_DOCKER_NETWORK is {network!r}, the compose network is {settings.network!r}: "
            "Lambda containers could not reach LocalStack or the gateway",
            "keep LAMBDA_DOCKER_NETWORK equal to the network's name in docker-compose.yml, then docker compose up -d",
        )
    image = container.attrs.get("Config", {}).get("Image", "")
    return Check(name, True, f"{image}: socket mounted, Lambdas join network {network}")


def _image_available(client: docker.DockerClient, name: str, image: str, hint: str) -> Check:
    try:
        client.images.get(image)
        return Check(name, True, f"{image} is present")
    except ImageNotFound:
        pass
    except _DOCKER_ERRORS as exc:
        return Check(name, False, f"could not look up {image}: {_first_line(exc)}", hint)
    try:
        client.images.get_registry_data(image)
    except _DOCKER_ERRORS as exc:
        return Check(name, False, f"{image} is neither present nor pullable: {_first_line(exc)}", hint)
    return Check(name, True, f"{image} is pullable (pulled on first use)")


def _runtime_hint(settings: ComposeDoctorSettings) -> str:
    return (
        f"LocalStack runs every function in {settings.lambda_runtime_image}: give the Docker daemon access to "
        f"public.ecr.aws or pre-pull it (docker pull {settings.lambda_runtime_image})"
    )


def _network(client: docker.DockerClient, network_name: str) -> Check:
    name = "compose network"
    try:
        network = client.networks.get(network_name)
    except NotFound:
        return Check(name, False, f"network {network_name} does not exist", "start the stack: docker compose up")
    except _DOCKER_ERRORS as exc:
        return Check(name, False, f"could not inspect network {network_name}: {_first_line(exc)}")
    members = [member.get("Name", "") for member in (network.attrs.get("Containers") or {}).values()]
    if not any("gateway" in member for member in members):
        return Check(
            name,
            False,
            f"the gateway is not on network {network_name}: Lambdas cannot post frames to it",
            "docker compose up -d gateway (it starts after init has deployed successfully: docker compose logs init)",
        )
    return Check(name, True, f"{network_name}: {', '.join(sorted(members))}")


# -- LocalStack and Lambda ---------------------------------------------------


def _localstack_health(http: httpx.Client, settings: ComposeDoctorSettings) -> list[Check]:
    name = "LocalStack health"
    try:
        health = http.get(f"{settings.localstack_url}/_localstack/health").json()
    except (httpx.HTTPError, ValueError) as exc:
        return [
            Check(
                name,
                False,
                f"no answer from {settings.localstack_url}: {_first_line(exc)}",
                "docker compose logs localstack — an unpinned image (latest) needs LOCALSTACK_AUTH_TOKEN; keep "
                "LOCALSTACK_IMAGE=localstack/localstack:4.14.0",
            )
        ]
    services = health.get("services") or {}
    down = [
        f"{service}={services.get(service, 'missing')}"
        for service in NEEDED_LOCALSTACK_SERVICES
        if services.get(service) not in _UP
    ]
    version = health.get("version", "?")
    checks = [
        Check(
            name,
            False,
            f"LocalStack {version}: not up: {', '.join(down)}",
            "check SERVICES in docker-compose.yml and docker compose logs localstack",
        )
        if down
        else Check(name, True, f"LocalStack {version}: {', '.join(NEEDED_LOCALSTACK_SERVICES)} up")
    ]
    try:
        ready = http.get(f"{settings.localstack_url}/_localstack/init/ready").json()
    except (httpx.HTTPError, ValueError) as exc:
        ready = {"error": _first_line(exc)}
    if ready.get("completed") is True:
        checks.append(Check("LocalStack ready hook", True, "ready.d hook ran"))
    else:
        checks.append(
            Check(
                "LocalStack ready hook",
                False,
                f"ready.d has not completed: {ready}",
                "check that ./localstack/ready.d is mounted at /etc/localstack/init/ready.d and its scripts are executable",
            )
        )
    return checks


def _localstack_settings(settings: ComposeDoctorSettings) -> AwsSettings:
    return AwsSettings(
        AWS_DEFAULT_REGION=settings.region,
        AWS_ENDPOINT_URL=settings.endpoint_url or settings.localstack_url,
        RESOURCE_PREFIX=settings.resource_prefix,
    )


def _function_configurations(lambda_client: Any, settings: ComposeDoctorSettings) -> dict[str, dict[str, Any]] | Check:
    names = ResourceNames.from_settings(settings)
    found: dict[str, dict[str, Any]] = {}
    for short_name in FUNCTIONS:
        function = names.function(short_name)
        try:
            found[function] = lambda_client.get_function_configuration(FunctionName=function)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                return Check(
                    "Lambda functions Active",
                    False,
                    f"could not read {function}: {_first_line(exc)}",
                    "docker compose logs localstack",
                )
            found[function] = {"State": "Missing"}
        except NoCredentialsError as exc:
            return Check(
                "Lambda functions Active", False, str(exc), "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
            )
        except BotoCoreError as exc:
            return Check(
                "Lambda functions Active",
                False,
                f"could not reach Lambda: {_first_line(exc)}",
                "is LocalStack up? docker compose ps",
            )
    return found


def _functions_active(configurations: dict[str, dict[str, Any]]) -> Check:
    name = "Lambda functions Active"
    missing = [function for function, config in configurations.items() if config.get("State") == "Missing"]
    if missing:
        return Check(
            name,
            False,
            f"{len(missing)} of {len(configurations)} not deployed: {', '.join(missing)}",
            "the deploy did not finish: docker compose logs init, then docker compose up init",
        )
    not_active = {
        function: config
        for function, config in configurations.items()
        if config.get("State") != "Active" or config.get("LastUpdateStatus", "Successful") == "Failed"
    }
    if not not_active:
        return Check(name, True, f"all {len(configurations)} Active")
    details = [
        f"{function}: {config.get('State')} {config.get('StateReason') or config.get('LastUpdateStatusReason') or ''}".rstrip()
        for function, config in not_active.items()
    ]
    first, config = next(iter(not_active.items()))
    hint = hint_for(first, config.get("State"), config.get("StateReason") or config.get("LastUpdateStatusReason"))
    return Check(name, False, "; ".join(details), hint)


def _callback_reachable(configurations: dict[str, dict[str, Any]]) -> Check:
    name = "Lambda -> gateway"
    wrong = {}
    for function, config in configurations.items():
        url = ((config.get("Environment") or {}).get("Variables") or {}).get("WEBSOCKET_CALLBACK_URL")
        if url and (urlsplit(url).hostname or "") in _LOOPBACK_HOSTS:
            wrong[function] = url
    if wrong:
        function, url = next(iter(wrong.items()))
        return Check(
            name,
            False,
            f"{len(wrong)} functions post frames to {url}: inside a Lambda container that is the container itself",
            "deploy with WEBSOCKET_CALLBACK_URL=http://gateway:8080/dev (the init service sets it): docker compose up init",
        )
    return Check(name, True, "functions post frames to the gateway by service name")


def _architecture(configurations: dict[str, dict[str, Any]], engine: str, localstack_env: dict[str, str]) -> Check:
    name = "Lambda architecture"
    declared = {arch for config in configurations.values() for arch in config.get("Architectures") or ["x86_64"]}
    if engine not in _ARM:
        return Check(name, True, f"engine {engine or 'unknown'}, functions {', '.join(sorted(declared))}")
    ignore = localstack_env.get("LAMBDA_IGNORE_ARCHITECTURE", "0").lower() in ("1", "true")
    if "x86_64" in declared and ignore:
        return Check(
            name,
            False,
            "arm64 engine with LAMBDA_IGNORE_ARCHITECTURE=1 runs x86_64 functions in an arm64 runtime: "
            "their compiled wheels (pydantic_core) cannot load",
            "set LAMBDA_IGNORE_ARCHITECTURE=0 in .env (x86_64 runs emulated), then docker compose up -d",
        )
    if "x86_64" in declared:
        return Check(
            name,
            True,
            "Apple Silicon / arm64 engine: x86_64 functions run emulated (slower cold starts)",
            "if functions fail with 'exec format error', enable x86_64 emulation (Docker Desktop: Rosetta; "
            "Colima: colima start --vz-rosetta)",
        )
    return Check(name, True, f"arm64 engine, functions {', '.join(sorted(declared))}")


def _http_ok(http: httpx.Client, name: str, url: str, hint: str) -> Check:
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        return Check(name, False, f"no answer from {url}: {_first_line(exc)}", hint)
    if response.status_code != 200:
        return Check(name, False, f"{url} answered {response.status_code}: {response.text[:200]}", hint)
    return Check(name, True, f"{url} answered 200")


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
