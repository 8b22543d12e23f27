"""`causal-stack doctor` on the compose route, against a fake Docker Engine API,
a fake LocalStack (HTTP) and a fake Lambda API: every known failure gives its fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import httpx
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from docker.errors import DockerException
from fake_docker_api import FakeDockerApi

from causal_common.names import FUNCTIONS, ResourceNames
from causal_stack.checks import Check
from causal_stack.compose_checks import NEEDED_LOCALSTACK_SERVICES, ComposeDoctorSettings, compose_checks

NETWORK = "causal-analysis"
RUNTIME_IMAGE = "public.ecr.aws/lambda/python:3.12"
TASK_IMAGE = "causal-analysis-stack/task:local"
NAMES = ResourceNames()


class FakeLambda:
    """get_function_configuration over a dict of configurations."""

    def __init__(self, configurations: dict[str, dict[str, Any]] | None = None, error: Exception | None = None) -> None:
        self.configurations = (
            configurations if configurations is not None else {NAMES.function(short): active() for short in FUNCTIONS}
        )
        self.error = error

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if self.error:
            raise self.error
        if FunctionName not in self.configurations:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {FunctionName}"}},
                "GetFunctionConfiguration",
            )
        return self.configurations[FunctionName]


def active(**overrides: Any) -> dict[str, Any]:
    config = {
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "Architectures": ["x86_64"],
        "Environment": {"Variables": {"WEBSOCKET_CALLBACK_URL": "http://gateway:8080/dev"}},
    }
    config.update(overrides)
    return config


def fake_http(
    *,
    localstack_up: bool = True,
    services: dict[str, str] | None = None,
    ready: bool = True,
    gateway_status: int = 200,
) -> httpx.Client:
    service_states = {name: "running" for name in NEEDED_LOCALSTACK_SERVICES}
    service_states.update(services or {})

    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith("http://127.0.0.1:4566"):
            if not localstack_up:
                raise httpx.ConnectError("Connection refused", request=request)
            if request.url.path == "/_localstack/health":
                return httpx.Response(
                    200, json={"services": service_states, "version": "4.14.0", "edition": "community"}
                )
            if request.url.path == "/_localstack/init/ready":
                return httpx.Response(200, json={"completed": ready, "scripts": []})
        if url == "http://127.0.0.1:8080/health":
            return httpx.Response(gateway_status, json={"status": "ok" if gateway_status == 200 else "degraded"})
        if url == "http://127.0.0.1:4599/health":
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def fake() -> Iterator[FakeDockerApi]:
    with FakeDockerApi(images=(RUNTIME_IMAGE, TASK_IMAGE), networks=(NETWORK,)) as api:
        yield api


def compose_up(
    fake: FakeDockerApi,
    *,
    localstack_env: dict[str, str] | None = None,
    socket_mounted: bool = True,
    gateway_running: bool = True,
) -> None:
    """What `docker compose up` leaves running, as the Docker API reports it."""
    environment = {"LAMBDA_DOCKER_NETWORK": NETWORK, "LOCALSTACK_HOST": "localstack:4566"}
    environment.update(localstack_env or {})
    fake.add_container(
        "causal-analysis-localstack-1",
        "localstack/localstack:4.14.0",
        labels={"com.docker.compose.service": "localstack"},
        environment=environment,
        mounts=("/var/run/docker.sock",) if socket_mounted else (),
        networks=(NETWORK,),
    )
    if gateway_running:
        fake.add_container(
            "causal-analysis-gateway-1",
            "causal-analysis-stack/gateway:local",
            labels={"com.docker.compose.service": "gateway"},
            networks=(NETWORK,),
        )


def run(fake: FakeDockerApi | None, *, lambda_client: Any = None, http: httpx.Client | None = None) -> dict[str, Check]:
    if fake is None:

        def factory() -> docker.DockerClient:
            raise DockerException(
                "Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
            )
    else:

        def factory() -> docker.DockerClient:
            return docker.DockerClient(base_url=fake.base_url, version="1.43")

    checks = compose_checks(
        ComposeDoctorSettings(),
        docker_client_factory=factory,
        http=http or fake_http(),
        lambda_client=lambda_client or FakeLambda(),
    )
    assert all(isinstance(check, Check) for check in checks)
    return {check.name: check for check in checks}


def failed(checks: dict[str, Check]) -> dict[str, Check]:
    return {name: check for name, check in checks.items() if not check.ok}


def test_a_healthy_compose_stack_passes_every_check(fake: FakeDockerApi) -> None:
    compose_up(fake)

    checks = run(fake)

    assert failed(checks) == {}
    assert list(checks) == [
        "Docker",
        "LocalStack container",
        "Lambda runtime image",
        "task image",
        "compose network",
        "LocalStack health",
        "LocalStack ready hook",
        "Lambda functions Active",
        "Lambda -> gateway",
        "Lambda architecture",
        "ECS runner",
        "gateway",
    ]
    assert "4.14.0" in checks["LocalStack health"].detail


def test_docker_not_available_names_the_socket_fix_and_the_other_checks_still_run() -> None:
    checks = run(None)

    docker_check = checks["Docker"]
    assert not docker_check.ok
    assert "Docker not available" in docker_check.detail
    assert "DOCKER_SOCKET" in docker_check.hint and "colima" in docker_check.hint.lower()
    assert checks["LocalStack health"].ok  # what can be checked still is


def test_localstack_without_the_socket_is_the_docker_not_available_failure(fake: FakeDockerApi) -> None:
    compose_up(fake, socket_mounted=False)

    check = run(fake)["LocalStack container"]

    assert not check.ok
    assert "Docker not available" in check.detail
    assert "DOCKER_SOCKET" in check.hint


def test_lambda_network_that_is_not_the_compose_network_is_caught(fake: FakeDockerApi) -> None:
    compose_up(fake, localstack_env={"LAMBDA_DOCKER_NETWORK": "bridge"})

    check = run(fake)["LocalStack container"]

    assert not check.ok
    assert "'bridge'" in check.detail and NETWORK in check.detail


def test_no_localstack_container_says_to_start_the_stack(fake: FakeDockerApi) -> None:
    check = run(fake)["LocalStack container"]

    assert not check.ok and "docker compose up" in check.hint


def test_runtime_image_missing_but_pullable_is_fine(fake: FakeDockerApi) -> None:
    compose_up(fake)
    fake.images.discard(RUNTIME_IMAGE)
    fake.registry_images.add(RUNTIME_IMAGE)

    check = run(fake)["Lambda runtime image"]

    assert check.ok and "pullable" in check.detail


def test_runtime_image_neither_present_nor_pullable_says_how_to_pull_it(fake: FakeDockerApi) -> None:
    compose_up(fake)
    fake.images.discard(RUNTIME_IMAGE)

    check = run(fake)["Lambda runtime image"]

    assert not check.ok
    assert f"docker pull {RUNTIME_IMAGE}" in check.hint


def test_unbuilt_task_image_says_how_to_build_it(fake: FakeDockerApi) -> None:
    compose_up(fake)
    fake.images.discard(TASK_IMAGE)

    check = run(fake)["task image"]

    assert not check.ok and "docker compose build task-image" in check.hint


def test_gateway_missing_from_the_network_means_lambdas_cannot_reach_it(fake: FakeDockerApi) -> None:
    compose_up(fake, gateway_running=False)

    checks = run(fake, http=fake_http(gateway_status=503))

    assert "cannot post frames" in checks["compose network"].detail
    assert "docker compose logs init" in checks["compose network"].hint
    assert not checks["gateway"].ok and "503" in checks["gateway"].detail


def test_localstack_unreachable_points_at_the_pinned_free_image(fake: FakeDockerApi) -> None:
    compose_up(fake)

    check = run(fake, http=fake_http(localstack_up=False))["LocalStack health"]

    assert not check.ok
    assert "localstack/localstack:4.14.0" in check.hint


def test_a_localstack_service_down_is_named(fake: FakeDockerApi) -> None:
    compose_up(fake)

    checks = run(fake, http=fake_http(services={"lambda": "error"}, ready=False))

    assert "lambda=error" in checks["LocalStack health"].detail
    assert not checks["LocalStack ready hook"].ok
    assert "ready.d" in checks["LocalStack ready hook"].hint


def test_functions_stuck_pending_are_listed_with_a_fix(fake: FakeDockerApi) -> None:
    compose_up(fake)
    lambdas = FakeLambda()
    stuck = NAMES.function("invoke-llm")
    lambdas.configurations[stuck] = active(State="Pending", StateReason="The function is being created.")

    check = run(fake, lambda_client=lambdas)["Lambda functions Active"]

    assert not check.ok
    assert stuck in check.detail and "Pending" in check.detail
    assert "docker compose logs localstack" in check.hint


def test_function_failed_for_lack_of_docker_gets_the_socket_fix(fake: FakeDockerApi) -> None:
    compose_up(fake)
    lambdas = FakeLambda()
    lambdas.configurations[NAMES.function("data-query")] = active(
        State="Failed", StateReason="Docker not available", LastUpdateStatus="Failed"
    )

    check = run(fake, lambda_client=lambdas)["Lambda functions Active"]

    assert not check.ok and "Docker not available" in check.detail
    assert "docker.sock" in check.hint


def test_functions_never_deployed_point_at_the_init_logs(fake: FakeDockerApi) -> None:
    compose_up(fake)

    check = run(fake, lambda_client=FakeLambda(configurations={}))["Lambda functions Active"]

    assert not check.ok
    assert f"{len(FUNCTIONS)} of {len(FUNCTIONS)} not deployed" in check.detail
    assert "docker compose logs init" in check.hint


def test_callback_url_on_localhost_cannot_reach_the_gateway_from_a_lambda(fake: FakeDockerApi) -> None:
    compose_up(fake)
    lambdas = FakeLambda()
    for config in lambdas.configurations.values():
        config["Environment"]["Variables"]["WEBSOCKET_CALLBACK_URL"] = "http://127.0.0.1:8080/dev"

    check = run(fake, lambda_client=lambdas)["Lambda -> gateway"]

    assert not check.ok
    assert "http://gateway:8080/dev" in check.hint


def test_apple_silicon_with_ignore_architecture_and_x86_64_zips_is_flagged(fake: FakeDockerApi) -> None:
    fake.architecture = "aarch64"
    compose_up(fake, localstack_env={"LAMBDA_IGNORE_ARCHITECTURE": "1"})

    check = run(fake)["Lambda architecture"]

    assert not check.ok
    assert "LAMBDA_IGNORE_ARCHITECTURE=0" in check.hint


def test_apple_silicon_default_runs_x86_64_emulated_and_says_so(fake: FakeDockerApi) -> None:
    fake.architecture = "aarch64"
    compose_up(fake)

    check = run(fake)["Lambda architecture"]

    assert check.ok
    assert "emulated" in check.detail and "rosetta" in check.hint.lower()


def test_missing_credentials_are_explained(fake: FakeDockerApi) -> None:
    compose_up(fake)

    check = run(fake, lambda_client=FakeLambda(error=NoCredentialsError()))["Lambda functions Active"]

    assert not check.ok and "AWS_ACCESS_KEY_ID=test" in check.hint


def test_real_lambda_client_against_moto_reports_missing_functions(fake: FakeDockerApi, moto_endpoint: str) -> None:
    """The default client path: built by the shared factory from the doctor's settings."""
    compose_up(fake)
    settings = ComposeDoctorSettings(LOCALSTACK_URL=moto_endpoint)

    checks = compose_checks(
        settings,
        docker_client_factory=lambda: docker.DockerClient(base_url=fake.base_url, version="1.43"),
        http=fake_http(),
    )

    lambda_check = next(check for check in checks if check.name == "Lambda functions Active")
    assert not lambda_check.ok and "not deployed" in lambda_check.detail
