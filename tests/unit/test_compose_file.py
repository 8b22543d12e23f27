"""docker-compose.yml: valid against the Compose Specification and true to the
compose route's invariants. No Docker engine is needed (or used)."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from support import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "compose-spec" / "compose-spec.json"
READY_HOOKS = ROOT / "localstack" / "ready.d"

ONE_SHOT = {"init", "task-image"}
LONG_RUNNING = {"localstack", "ecs-runner", "gateway"}
# What LocalStack's free edition offers and the stack uses (ECS and API Gateway v2 are paid).
NEEDED_SERVICES = {"lambda", "stepfunctions", "dynamodb", "s3", "secretsmanager"}
PAID_SERVICES = {"ecs", "apigateway", "apigatewayv2", "apigatewaymanagementapi"}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?|:\+|\+)(?P<arg>.*))?$", re.S)


# -- helpers -----------------------------------------------------------------


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Compose's variable interpolation (``${X}``, ``${X:-d}``, ``${X-d}``, ``$X``, ``$$``)."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bare"):
            return environment.get(match.group("bare"), "")
        parsed = _BRACED.match(match.group("braced"))
        assert parsed, f"invalid interpolation {match.group(0)!r}"
        name, op, arg = parsed.group("name", "op", "arg")
        current = environment.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?"):
            assert current, f"{name} is required: {arg}"
            return current
        if op in (":+", "+"):
            return arg if current else ""
        return current or ""

    return _VARIABLE.sub(replace, value)


def variables_used(text: str) -> dict[str, str | None]:
    """Every variable the file interpolates, with its ``:-`` default (None when it has none)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        if match.group("braced"):
            parsed = _BRACED.match(match.group("braced"))
            assert parsed
            found[parsed.group("name")] = parsed.group("arg") if parsed.group("op") == ":-" else None
        elif match.group("bare"):
            found[match.group("bare")] = None
    return found


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def load_compose(environment: dict[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate(raw, environment or {})


def environment_of(service: dict[str, Any]) -> dict[str, str | None]:
    value = service.get("environment") or {}
    if isinstance(value, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return {key: (None if item is None else str(item)) for key, item in value.items()}


def published_ports(service: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    """(host ip, host port, container port) of each published port (short or long syntax)."""
    found = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            found.append((port.get("host_ip"), str(port.get("published")), str(port["target"])))
            continue
        parts = str(port).rsplit(":", 2)
        if len(parts) == 3:
            found.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            found.append((None, parts[0], parts[1]))
        else:
            found.append((None, "", parts[0]))
    return found


def socket_mounts(service: dict[str, Any]) -> list[str]:
    """Host paths mounted at /var/run/docker.sock."""
    sources = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("target") == "/var/run/docker.sock":
                sources.append(volume.get("source"))
        else:
            source, _, rest = str(volume).partition(":")
            if rest.split(":")[0] == "/var/run/docker.sock":
                sources.append(source)
    return sources


def invariant_violations(compose: dict[str, Any]) -> list[str]:
    """What is wrong with an (interpolated) compose file for the compose route."""
    problems: list[str] = []
    services = compose.get("services", {})
    for name in ONE_SHOT | LONG_RUNNING:
        if name not in services:
            problems.append(f"service {name} is missing")
    if problems:
        return problems
    localstack = services["localstack"]
    ls_env = environment_of(localstack)

    if not socket_mounts(localstack):
        problems.append("localstack does not mount the Docker socket")
    if not socket_mounts(services["ecs-runner"]):
        problems.append("ecs-runner does not mount the Docker socket")

    network = (compose.get("networks") or {}).get("default", {}).get("name")
    if not network:
        problems.append("the default network has no explicit name")
    if ls_env.get("LAMBDA_DOCKER_NETWORK") != network:
        problems.append(f"LAMBDA_DOCKER_NETWORK={ls_env.get('LAMBDA_DOCKER_NETWORK')!r} is not the network {network!r}")
    if environment_of(services["ecs-runner"]).get("ECS_RUNNER_DOCKER_NETWORK") != network:
        problems.append("task containers would not join the compose network")
    for name, service in services.items():
        if service.get("networks") and "default" not in service["networks"]:
            problems.append(f"{name} is not on the default network")
    if ls_env.get("LOCALSTACK_HOST") != "localstack:4566":
        problems.append("LOCALSTACK_HOST is not localstack:4566")
    if int(ls_env.get("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT") or 0) < 60:
        problems.append("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT is not raised (>= 60 s)")

    for name in LONG_RUNNING:
        test = (services[name].get("healthcheck") or {}).get("test")
        if not test or services[name]["healthcheck"].get("disable"):
            problems.append(f"{name} has no health check")

    def condition(service: str, dependency: str) -> str | None:
        depends = services[service].get("depends_on") or {}
        if isinstance(depends, list):
            return "service_started" if dependency in depends else None
        return (depends.get(dependency) or {}).get("condition")

    expected_order = {
        ("init", "localstack"): "service_healthy",
        ("init", "ecs-runner"): "service_healthy",
        ("gateway", "init"): "service_completed_successfully",
        ("ecs-runner", "task-image"): "service_completed_successfully",
    }
    for (service, dependency), wanted in expected_order.items():
        if condition(service, dependency) != wanted:
            problems.append(f"{service} does not wait for {dependency} ({wanted})")

    for name, service in services.items():
        for host_ip, host_port, _ in published_ports(service):
            if host_ip != "127.0.0.1":
                problems.append(f"{name} publishes port {host_port} on {host_ip or 'every interface'}")

    init = services["init"]
    if init.get("restart", "no") != "no" or init.get("healthcheck") or init.get("ports"):
        problems.append("init is not a one-shot container")
    return problems


# -- the file against the specification ---------------------------------------


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def test_compose_file_is_valid_against_the_compose_specification(validator) -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    for document in (raw, load_compose(), load_compose(read_env_file(ENV_EXAMPLE))):
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_catches_mistakes_a_person_makes(validator) -> None:
    only_condition = load_compose()
    only_condition["services"]["gateway"]["depends_on"]["init"]["condition"] = "service_finished"
    assert any(True for _ in validator.iter_errors(only_condition))

    broken = load_compose()
    broken["services"]["gateway"]["depends_on"]["init"]["condition"] = "service_finished"
    broken["services"]["gateway"]["healthcheck"]["interval_seconds"] = 5
    broken["services"]["localstack"]["ports"] = "4566:4566"

    paths = {tuple(error.path) for error in validator.iter_errors(broken)}

    assert ("services", "gateway", "depends_on") in paths
    assert ("services", "gateway", "healthcheck") in paths
    assert ("services", "localstack", "ports") in paths


def test_compose_route_invariants_hold_with_defaults_and_with_the_example_env() -> None:
    assert invariant_violations(load_compose()) == []
    assert invariant_violations(load_compose(read_env_file(ENV_EXAMPLE))) == []


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda c: c["services"]["localstack"].pop("volumes"), "localstack does not mount the Docker socket"),
        (
            lambda c: c["services"]["localstack"]["environment"].update(LAMBDA_DOCKER_NETWORK="bridge"),
            "LAMBDA_DOCKER_NETWORK",
        ),
        (lambda c: c["networks"]["default"].pop("name"), "no explicit name"),
        (lambda c: c["services"]["gateway"].pop("healthcheck"), "gateway has no health check"),
        (lambda c: c["services"]["gateway"]["depends_on"].pop("init"), "gateway does not wait for init"),
        (
            lambda c: c["services"]["init"]["depends_on"]["localstack"].update(condition="service_started"),
            "init does not wait for localstack",
        ),
        (lambda c: c["services"]["gateway"].update(ports=["8080:8080"]), "every interface"),
        (lambda c: c["services"]["init"].update(restart="always"), "one-shot"),
    ],
)
def test_each_invariant_is_really_checked(break_it, complaint: str) -> None:
    compose = copy.deepcopy(load_compose())
    break_it(compose)

    assert any(complaint in problem for problem in invariant_violations(compose)), invariant_violations(compose)


# -- LocalStack ----------------------------------------------------------------


def test_localstack_is_pinned_to_the_last_free_tag_and_overridable() -> None:
    assert load_compose()["services"]["localstack"]["image"] == "localstack/localstack:4.14.0"
    overridden = load_compose({"LOCALSTACK_IMAGE": "localstack/localstack-pro:4.15.0"})
    assert overridden["services"]["localstack"]["image"] == "localstack/localstack-pro:4.15.0"
    assert "latest" not in COMPOSE_FILE.read_text()


def test_socket_path_is_overridable_for_colima_podman_and_rootless_docker() -> None:
    colima = "/Users/me/.colima/default/docker.sock"
    compose = load_compose({"DOCKER_SOCKET": colima})

    for name in ("localstack", "ecs-runner"):
        assert socket_mounts(compose["services"][name]) == [colima]
    assert socket_mounts(load_compose()["services"]["localstack"]) == ["/var/run/docker.sock"]
    # Nothing else gets the socket: the gateway and the deployer do not need it.
    for name in ("gateway", "init", "task-image"):
        assert socket_mounts(compose["services"][name]) == []


def test_localstack_runs_only_free_services_the_stack_uses() -> None:
    services = set(environment_of(load_compose()["services"]["localstack"])["SERVICES"].split(","))

    assert services >= NEEDED_SERVICES
    assert not services & PAID_SERVICES


def test_localstack_health_waits_for_the_ready_hook() -> None:
    test = " ".join(load_compose()["services"]["localstack"]["healthcheck"]["test"])

    assert "/_localstack/health" in test and "/_localstack/init/ready" in test
    mounts = load_compose()["services"]["localstack"]["volumes"]
    assert "./localstack/ready.d:/etc/localstack/init/ready.d:ro" in mounts


def test_ready_hook_only_marks_readiness() -> None:
    hooks = sorted(READY_HOOKS.iterdir())
    assert hooks, "no ready.d hook"
    for hook in hooks:
        text = hook.read_text()
        assert text.startswith("#!/bin/sh"), hook
        assert hook.stat().st_mode & stat.S_IXUSR, f"{hook} is not executable"
        for deploy_word in ("awslocal", "boto3", "causal-stack", "causal_deploy", "aws "):
            assert deploy_word not in text, f"{hook} deploys ({deploy_word!r}); the init service does that"
    health = " ".join(load_compose()["services"]["localstack"]["healthcheck"]["test"])
    assert "/tmp/causal-analysis/localstack-ready" in health
    assert "/tmp/causal-analysis/localstack-ready" in (READY_HOOKS / "01-mark-ready.sh").read_text()


# -- the other services --------------------------------------------------------


def test_init_deploys_once_against_localstack_with_compose_endpoints() -> None:
    init = load_compose()["services"]["init"]
    command = init["command"]
    environment = environment_of(init)

    assert command[:2] == ["causal-stack", "deploy"]
    assert command[command.index("--endpoint-url") + 1] == "http://localstack:4566"
    assert environment["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert environment["AWS_ENDPOINT_URL_ECS"] == "http://ecs-runner:4599"
    # Lambdas run in containers on the compose network: they reach the gateway by name.
    assert environment["WEBSOCKET_CALLBACK_URL"] == "http://gateway:8080/dev"
    assert environment["DEPLOY_TARGET"] == "localstack"
    assert init.get("restart", "no") == "no"


def test_ecs_runner_uses_the_docker_backend_and_the_task_image() -> None:
    compose = load_compose({"TASK_IMAGE": "me/task:dev"})
    runner = compose["services"]["ecs-runner"]
    command = runner["command"]

    assert command[:3] == ["python", "-m", "causal_ecs_runner"]
    assert command[command.index("--backend") + 1] == "docker"
    assert command[command.index("--port") + 1] == "4599"
    assert environment_of(runner)["ECS_RUNNER_TASK_IMAGE"] == "me/task:dev"
    # Lambda containers and init call it by its service name, which its Host check must answer.
    assert "ecs-runner" in (environment_of(runner)["ECS_RUNNER_ALLOWED_HOSTS"] or "").replace(",", " ").split()
    assert environment_of(compose["services"]["init"])["TASK_IMAGE"] == "me/task:dev"
    assert compose["services"]["task-image"]["image"] == "me/task:dev"


def test_gateway_serves_the_dashboard_on_localhost_8080_after_the_deploy() -> None:
    gateway = load_compose()["services"]["gateway"]

    # 4567: the old stack's dashboard address, the same app again (curl -s http://localhost:4567/api/resources | jq).
    assert published_ports(gateway) == [("127.0.0.1", "8080", "8080"), ("127.0.0.1", "4567", "8080")]
    moved = load_compose({"RESOURCES_PORT": "14567"})["services"]["gateway"]
    assert ("127.0.0.1", "14567", "8080") in published_ports(moved)
    assert "--host" in gateway["command"] and "0.0.0.0" in gateway["command"]
    assert "/health" in " ".join(gateway["healthcheck"]["test"])


def test_every_published_port_is_on_loopback_only() -> None:
    for name, service in load_compose(read_env_file(ENV_EXAMPLE))["services"].items():
        for host_ip, _, _ in published_ports(service):
            assert host_ip == "127.0.0.1", name


def test_shared_settings_are_defined_once() -> None:
    text = COMPOSE_FILE.read_text()
    assert text.count("AWS_ENDPOINT_URL:") == 1
    assert text.count("WEBSOCKET_CALLBACK_URL:") == 1
    services = load_compose()["services"]
    shared = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "RESOURCE_PREFIX", "WEBSOCKET_CALLBACK_URL")
    values = {
        name: tuple(environment_of(services[name]).get(key) for key in shared)
        for name in ("init", "gateway", "ecs-runner")
    }
    assert len(set(values.values())) == 1, values


def test_every_build_names_an_existing_dockerfile() -> None:
    builds = {name: s["build"] for name, s in load_compose()["services"].items() if "build" in s}

    assert set(builds) == {"task-image", "ecs-runner", "init", "gateway"}
    for name, build in builds.items():
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name


# -- .env.example and .dockerignore --------------------------------------------


def test_env_example_documents_every_variable_with_the_compose_default() -> None:
    used = variables_used(COMPOSE_FILE.read_text())
    documented = read_env_file(ENV_EXAMPLE)
    commented = set(re.findall(r"^#\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))

    for name, default in used.items():
        assert name in documented or name in commented, f"{name} is not in .env.example"
        if name in documented and default is not None:
            assert documented[name] == default, f"{name}: .env.example says {documented[name]!r}, compose {default!r}"
    assert "OPENAI_API_KEY" in commented  # never a real value in the example


def test_dockerignore_keeps_the_context_small_but_buildable() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".git", ".venv", ".env", "tests", ".stack"} <= patterns
    for needed in (
        "README.md",
        "pyproject.toml",
        "constraints.txt",
        "lambdas",
        "localstack",
        "ecs-tasks",
        "init",
        "gateway",
        "dashboard",
    ):
        assert needed not in patterns, f"{needed} is needed in the build context"


def test_env_file_is_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    # git itself: no .env is tracked, and one created locally would be ignored.
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--", ".env", "**/.env"], capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    check = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", ".env"], check=False)
    assert check.returncode == 0, ".env would not be ignored by git"


# -- Compose v1 (Debian's docker-compose 1.29) and the base image --------------


def test_nothing_compose_v1_rejects() -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())

    # docker-compose 1.29: "'name' does not match any of the regexes: '^x-'".
    assert "name" not in raw
    assert "COMPOSE_PROJECT_NAME" in read_env_file(ENV_EXAMPLE)


def test_every_image_is_built_from_the_settable_base() -> None:
    for environment, expected in (
        ({}, "python:3.12.11-slim-bookworm"),
        ({"PYTHON_IMAGE": "local/base:1"}, "local/base:1"),
    ):
        builds = {name: s["build"] for name, s in load_compose(environment)["services"].items() if "build" in s}
        for name, build in builds.items():
            assert build.get("args", {}).get("PYTHON_IMAGE") == expected, name


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (v1) is not installed")
def test_docker_compose_v1_parses_the_file() -> None:
    result = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON_IMAGE": "local/base:1"},
    )
    assert result.returncode == 0, result.stderr


# -- docker-compose.emulator.yml: the project's emulator in place of LocalStack --

EMULATOR_FILE = ROOT / "docker-compose.emulator.yml"


def merged_with_emulator(environment: dict[str, str] | None = None) -> dict[str, Any]:
    """The main file with the emulator file merged over it, as Compose merges them
    (mappings key by key; volumes by their path in the container)."""
    base = load_compose(environment)
    override = interpolate(yaml.safe_load(EMULATOR_FILE.read_text()), environment or {})
    base.setdefault("volumes", {}).update(override.get("volumes") or {})
    for name, service in override["services"].items():
        target = base["services"].setdefault(name, {})
        for key, value in service.items():
            if key == "volumes":
                by_path = {str(v).split(":")[1] if ":" in str(v) else str(v): v for v in target.get("volumes", [])}
                by_path.update({str(v).split(":")[1] if ":" in str(v) else str(v): v for v in value})
                target["volumes"] = list(by_path.values())
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key] = {**target[key], **value}
            else:
                target[key] = value
    return base


def test_emulator_file_is_valid_and_keeps_every_invariant_but_the_socket(validator) -> None:
    raw = yaml.safe_load(EMULATOR_FILE.read_text())
    assert not list(validator.iter_errors(raw))
    merged = merged_with_emulator()
    assert not list(validator.iter_errors(merged))

    assert invariant_violations(merged) == ["localstack does not mount the Docker socket"]


def test_emulator_replaces_localstack_and_needs_no_docker() -> None:
    emulator = merged_with_emulator({"PYTHON_IMAGE": "local/base:1"})["services"]["localstack"]

    assert emulator["image"] == "causal-analysis-stack/emulator:local"
    assert emulator["build"]["dockerfile"] == "localstack/Dockerfile"
    assert emulator["build"]["args"]["PYTHON_IMAGE"] == "local/base:1"
    assert emulator["command"][:3] == ["python", "-m", "causal_embedded"]
    assert socket_mounts(emulator) == []  # the socket's path is covered by an empty volume
    assert "/_causal/health" in " ".join(emulator["healthcheck"]["test"])
    assert emulator["user"].split(":")[0] != "0"
    assert published_ports(emulator) == [("127.0.0.1", "4566", "4566")]


def test_with_the_emulator_init_deploys_for_the_emulators_python() -> None:
    init = merged_with_emulator()["services"]["init"]

    assert init["command"][:4] == ["causal-stack", "deploy", "--target", "embedded"]
    assert init["command"][init["command"].index("--endpoint-url") + 1] == "http://localstack:4566"
    assert environment_of(init)["DEPLOY_TARGET"] == "embedded"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (v1) is not installed")
def test_docker_compose_v1_merges_the_emulator_file() -> None:
    result = subprocess.run(
        [
            "docker-compose",
            "--project-directory",
            str(ROOT),
            "-f",
            str(COMPOSE_FILE),
            "-f",
            str(EMULATOR_FILE),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    merged = yaml.safe_load(result.stdout)["services"]["localstack"]
    assert merged["image"] == "causal-analysis-stack/emulator:local"
    assert socket_mounts(merged) == []


def test_with_the_emulator_every_service_signs_with_the_stacks_own_pair() -> None:
    """LocalStack accepts any pair; the project's emulator verifies, so the route has a pair of its own and no
    service is left on the well-known test/test (which anyone on the machine knows)."""
    merged = merged_with_emulator()
    services = merged["services"]
    keys = services["stack-keys"]
    assert keys["network_mode"] == "none" and keys["command"][:3] == ["python", "-m", "causal_stack.compose_keys"]
    assert "./.stack:/checkout-stack" in keys["volumes"] and "stack-keys:/run/causal-stack" in keys["volumes"]
    assert "stack-keys" in merged["volumes"]

    for name in ("localstack", "ecs-runner", "init", "gateway"):
        environment = environment_of(services[name])
        assert environment["STACK_CREDENTIALS_FILE"] == "/run/causal-stack/credentials", name
        assert environment["AWS_ACCESS_KEY_ID"] == environment["AWS_SECRET_ACCESS_KEY"] == "", name
        assert "stack-keys:/run/causal-stack:ro" in services[name]["volumes"], name
        assert services[name]["depends_on"]["stack-keys"]["condition"] == "service_completed_successfully", name


def test_the_localstack_route_keeps_the_pair_localstack_takes() -> None:
    environment = environment_of(load_compose()["services"]["gateway"])
    assert (environment["AWS_ACCESS_KEY_ID"], environment.get("STACK_CREDENTIALS_FILE")) == ("test", None)
