"""A real Docker engine for the `docker` tests: is there one, which compose
command, which base image, and a compose project with bounded waits that
leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from support import ROOT, free_port

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.emulator.yml")
DEFAULT_PYTHON_IMAGE = "python:3.12.11-slim-bookworm"
LOCAL_BASE_IMAGE = "causal-analysis-stack/python-base:bookworm"
BASE_IMAGE_SCRIPT = ROOT / "scripts" / "local-base-image.sh"
TASK_LABEL = "com.causal-analysis.task-arn"
LONG_RUNNING = ("localstack", "ecs-runner", "gateway")
ONE_SHOT = ("task-image", "init")


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def engine_problem() -> str | None:
    """``None`` when a Docker engine answers; otherwise why the docker tests are skipped."""
    if shutil.which("docker") is None:
        return "the docker command is not installed (as root, `make test` installs Debian's docker.io)"
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "the Docker engine does not answer `docker info` within 30 s"
    if result.returncode != 0:
        return f"no Docker engine answers ({result.stderr.strip()[-200:]}); as root, `make test` starts dockerd"
    return None


def compose_command() -> list[str] | None:
    """Compose v2 (`docker compose`) when installed, else v1 (`docker-compose`)."""
    try:
        if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0:
            return ["docker", "compose"]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return ["docker-compose"] if shutil.which("docker-compose") else None


def image_exists(name: str) -> bool:
    return docker("image", "inspect", name, check=False).returncode == 0


def python_image() -> str:
    """The base every image is built from: $PYTHON_IMAGE, else python:3.12.x-slim when it is
    present or can be pulled, else a local Debian base built (once, then cached) by the repo's script."""
    if os.environ.get("PYTHON_IMAGE"):
        return os.environ["PYTHON_IMAGE"]
    if image_exists(DEFAULT_PYTHON_IMAGE):
        return DEFAULT_PYTHON_IMAGE
    try:
        if docker("pull", "--quiet", DEFAULT_PYTHON_IMAGE, timeout=120, check=False).returncode == 0:
            return DEFAULT_PYTHON_IMAGE
    except subprocess.TimeoutExpired:
        pass
    result = subprocess.run([str(BASE_IMAGE_SCRIPT), LOCAL_BASE_IMAGE], capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        raise AssertionError(f"{BASE_IMAGE_SCRIPT.name} failed: {result.stderr[-2000:]}")
    return LOCAL_BASE_IMAGE


@dataclass
class ComposeProject:
    """The compose route with the project's emulator, under a name, network and ports of its own."""

    command: list[str]
    python_image: str
    root: Path = ROOT  # the repository (build context) the stack is built from
    name: str = field(default_factory=lambda: f"causal-test-{uuid.uuid4().hex[:8]}")
    ports: dict[str, int] = field(
        default_factory=lambda: {
            "LOCALSTACK_PORT": free_port(),
            "GATEWAY_PORT": free_port(),
            "ECS_RUNNER_PORT": free_port(),
            "RESOURCES_PORT": free_port(),
        }
    )
    log: list[str] = field(default_factory=list)
    operator_key: str = field(default_factory=lambda: uuid.uuid4().hex)  # the dashboard's login

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "OPENAI_", "COMPOSE_"))}
        env.update({key: str(port) for key, port in self.ports.items()})
        env.update(
            {
                "COMPOSE_PROJECT_NAME": self.name,
                "COMPOSE_NETWORK_NAME": self.name,
                "PYTHON_IMAGE": self.python_image,
                "DASHBOARD_OPERATOR_KEY": self.operator_key,
                # The legacy builder: BuildKit would try to pull its frontend.
                "DOCKER_BUILDKIT": "0",
                "COMPOSE_DOCKER_CLI_BUILD": "0",
            }
        )
        return env

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        files = [argument for name in COMPOSE_FILES for argument in ("-f", str(self.root / name))]
        argv = [*self.command, "--project-directory", str(self.root), *files, *args]
        started = time.monotonic()
        result = subprocess.run(
            argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        self.log.append(
            f"$ {' '.join(args)} ({time.monotonic() - started:.0f} s, exit {result.returncode})\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
        if result.returncode != 0:
            raise AssertionError(f"compose {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def url(self, port_variable: str) -> str:
        return f"http://127.0.0.1:{self.ports[port_variable]}"

    def operator_client(self, port_variable: str = "GATEWAY_PORT"):
        """An httpx client logged in to the dashboard at that port with the operator key."""
        import httpx

        client = httpx.Client(base_url=self.url(port_variable), timeout=60)
        response = client.post("/login", data={"key": self.operator_key, "next": "/dashboard"})
        assert response.status_code in (200, 303), response.text
        return client

    def containers(self, service: str | None = None, *, all_states: bool = True) -> list[dict]:
        filters = ["--filter", f"label=com.docker.compose.project={self.name}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = docker("ps", "-q", *(["-a"] if all_states else []), *filters).stdout.split()
        return json.loads(docker("inspect", *ids).stdout) if ids else []

    def state(self, service: str) -> dict:
        found = self.containers(service)
        assert len(found) == 1, f"{service}: {len(found)} containers"
        return found[0]["State"]

    def wait_healthy(self, services: tuple[str, ...], limit_seconds: float) -> None:
        deadline = time.monotonic() + limit_seconds
        while time.monotonic() < deadline:
            states = {service: self.state(service) for service in services}
            if all(state.get("Health", {}).get("Status") == "healthy" for state in states.values()):
                return
            dead = [s for s, state in states.items() if state.get("Status") in ("exited", "dead")]
            assert not dead, f"{dead} stopped: {self.logs(*dead)}"
            time.sleep(1)
        raise AssertionError(
            f"not healthy within {limit_seconds:.0f} s: "
            f"{ {s: self.state(s).get('Health', {}).get('Status') for s in services} }"
        )

    def logs(self, *services: str) -> str:
        try:
            return self.run("logs", "--no-color", "--tail", "60", *services, timeout=60).stdout
        except AssertionError as exc:
            return str(exc)

    def task_containers(self) -> list[str]:
        """Containers the ECS runner started on this stack's network (not compose's own)."""
        return docker("ps", "-aq", "--filter", f"label={TASK_LABEL}", "--filter", f"network={self.name}").stdout.split()

    def volumes(self) -> set[str]:
        """Every volume of the stack: its named volumes and the anonymous ones its containers use."""
        named = docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={self.name}").stdout.split()
        anonymous = [
            mount["Name"]
            for container in self.containers()
            for mount in container.get("Mounts", [])
            if mount.get("Type") == "volume"
        ]
        return {*named, *anonymous}

    def down(self) -> None:
        # Task containers are the ECS runner's, not compose's: a leftover one would also keep the network busy.
        for container in self.task_containers():
            docker("rm", "-f", container, check=False)
        self.run("down", "-v", "--remove-orphans", "--timeout", "10", timeout=180)

    def leftovers(self, volumes: set[str]) -> dict[str, list[str]]:
        present = set(docker("volume", "ls", "-q").stdout.split())
        return {
            "containers": docker(
                "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.name}"
            ).stdout.split(),
            "volumes": sorted(volumes & present),
            "networks": [n for n in docker("network", "ls", "--format", "{{.Name}}").stdout.split() if n == self.name],
        }
