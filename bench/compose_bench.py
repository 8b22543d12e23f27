"""The compose route on a real Docker engine (with the project's emulator in
place of LocalStack): image sizes, build times, start-up, and question →
answer against the embedded stack measured in the same run.

    .venv/bin/python bench/compose_bench.py [--no-cold] [--questions 2]

Builds from a copy of the repository's tracked files, so the "code change"
rebuild does not touch your checkout. Needs a Docker engine and Compose (v2 or
Debian's v1); prints why and exits 0 without one. The base image is
$PYTHON_IMAGE, python:3.12.x-slim when present or pullable, else the local
Debian base of scripts/local-base-image.sh.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from docker_support import LONG_RUNNING, ComposeProject, compose_command, docker, engine_problem, python_image  # noqa: E402
from stack_support import start_stack, stop_stack  # noqa: E402

CLI = ROOT / ".venv" / "bin" / "causal-stack"
SERVICES = {  # service -> image it builds
    "localstack (emulator)": "causal-analysis-stack/emulator:local",
    "gateway": "causal-analysis-stack/gateway:local",
    "init": "causal-analysis-stack/init:local",
    "ecs-runner": "causal-analysis-stack/ecs-runner:local",
    "task-image": "causal-analysis-stack/task:local",
}
QUESTIONS = [
    ("lalonde_nsw", "What is the effect of treat on re78?"),
    ("synthetic_linear", "What is the effect of v0 on y?"),
]


def copy_of_repository() -> Path:
    target = Path(tempfile.mkdtemp(prefix="compose-bench-"))
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def ask(http_url: str, dataset: str, question: str) -> tuple[float, float]:
    started = time.monotonic()
    result = subprocess.run(
        [
            str(CLI),
            "chat",
            "--json",
            "--timeout",
            "300",
            "--dataset",
            dataset,
            "--url",
            http_url.replace("http://", "ws://") + "/dev",
            "--http-url",
            http_url,
            question,
        ],
        capture_output=True,
        text=True,
        timeout=330,
        check=False,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"no answer from {http_url}: {result.stderr[-1500:]}")
    return elapsed, json.loads(result.stdout)["result"]["estimate"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-cold", action="store_true", help="skip the build without any cache (several minutes)")
    parser.add_argument("--questions", type=int, default=2, help="questions asked on each route (default 2)")
    options = parser.parse_args()
    problem = engine_problem()
    command = compose_command() if problem is None else None
    if problem is not None or command is None:
        print(f"compose bench skipped: {problem or 'no docker compose / docker-compose installed'}")
        return 0
    base = python_image()
    version = subprocess.run([*command, "version", "--short"], capture_output=True, text=True).stdout.strip()
    engine = docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    print(f"engine Docker {engine}, compose {' '.join(command)} {version}, base {base}")

    root = copy_of_repository()
    project = ComposeProject(command, base, root=root)
    try:
        if not options.no_cold:
            cold = timed(lambda: project.run("build", "--no-cache", timeout=3600))
            print(f"cold build, no cache (every dependency downloaded): {cold:7.1f} s")
        else:
            project.run("build", timeout=3600)
        (root / "gateway" / "causal_gateway" / "bench_marker.py").write_text("# a code change\n")
        warm = timed(lambda: project.run("build", timeout=1800))
        print(
            f"build after a code change (dependency layers cached): {warm:7.1f} s"
            + (f"  ({warm / cold:.2f} of the cold build)" if not options.no_cold else "")
        )
        print("image sizes:")
        for service, image in SERVICES.items():
            size = int(docker("image", "inspect", "-f", "{{.Size}}", image).stdout)
            print(f"  {service:24s} {size / 1e6:8.0f} MB  ({image})")
        base_size = int(docker("image", "inspect", "-f", "{{.Size}}", base).stdout)
        print(f"  {'base ' + base:24s} {base_size / 1e6:8.0f} MB  (shared by all)")

        up = timed(lambda: (project.run("up", "-d", timeout=900), project.wait_healthy(LONG_RUNNING, 300)))
        print(f"up -> every service healthy (deploy included): {up:7.1f} s")
        compose_times = [
            ask(project.url("GATEWAY_PORT"), *QUESTIONS[i % len(QUESTIONS)]) for i in range(options.questions)
        ]
    finally:
        project.down()
        shutil.rmtree(root, ignore_errors=True)

    stack = start_stack()
    try:
        embedded_times = [ask(stack.gateway_url, *QUESTIONS[i % len(QUESTIONS)]) for i in range(options.questions)]
    finally:
        stop_stack(stack)

    print("question -> answer (seconds; first one cold):")
    for index, ((compose_s, compose_estimate), (embedded_s, embedded_estimate)) in enumerate(
        zip(compose_times, embedded_times)
    ):
        dataset = QUESTIONS[index % len(QUESTIONS)][0]
        print(
            f"  {dataset:18s} compose {compose_s:6.1f}  embedded {embedded_s:6.1f}  ratio {compose_s / embedded_s:5.2f}"
            f"  (estimates {compose_estimate:,.4g} / {embedded_estimate:,.4g})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
