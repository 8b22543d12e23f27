"""Each image of the compose route installs one dependency group of
pyproject.toml: the group must cover every third-party module its code
imports, and the slim images must not pull the analysis stack in."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
image_requirements = __import__("image-requirements")

# image -> (the group its Dockerfile installs, the project code it runs; the
# project modules that code imports are followed). The deployer's image also
# vendors every function's imports into the zips it builds for the emulator.
IMAGES = {
    "gateway": ("gateway", ["gateway/causal_gateway", "dashboard/causal_dashboard"]),
    "init": (
        "deploy",
        ["init/causal_deploy", *(str(p.parent.relative_to(ROOT)) for p in (ROOT / "lambdas").glob("*/handler.py"))],
    ),
    "emulator": ("emulator", ["localstack/causal_embedded"]),
    "ecs-runner": ("ecs-runner", ["ecs-tasks/causal_ecs_runner"]),
    "task": ("tasks", ["ecs-tasks/causal_tasks"]),
}
DOCKERFILES = {
    "gateway": "gateway/Dockerfile",
    "init": "init/Dockerfile",
    "emulator": "localstack/Dockerfile",
    "ecs-runner": "ecs-tasks/runner.Dockerfile",
    "task": "ecs-tasks/Dockerfile",
}
# Imported only on paths that image never takes (each with the reason).
NOT_RUN_THERE = {
    # The compose deployer publishes the bundled datasets the task image generated into the shared cache; it
    # never runs causal_datasets.generators, which uses these.
    *(("init", module) for module in ("pandas", "numpy", "dowhy", "causaldata")),
    # The end-to-end question evaluation (causal_tasks.evaluation.questions) runs the agent's question reader
    # from the CLI (`causal-stack eval --questions`), never inside the task image.
    ("task", "rapidfuzz"),
    ("task", "snowballstemmer"),
}
ANALYSIS_STACK = {"dowhy", "scikit-learn", "scipy", "matplotlib", "statsmodels", "econml"}
PROJECT_MODULES = {
    "causal_common",
    "causal_agent",
    "causal_guard",
    "causal_embedded",
    "causal_deploy",
    "causal_stack",
    "causal_gateway",
    "causal_dashboard",
    "causal_tasks",
    "causal_datasets",
    "causal_ecs_runner",
    "handler",
    "query",
    "sandbox",
    "authorizer",
    "task_stopped",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _distributions_of_module() -> dict[str, list[str]]:
    return {module: [_canonical(d) for d in dists] for module, dists in metadata.packages_distributions().items()}


def closure(requirements: list[str]) -> set[str]:
    """Every distribution the requirements install (from the metadata of this environment)."""
    found: set[str] = set()
    pending = [Requirement(r) for r in requirements]
    while pending:
        requirement = pending.pop()
        name = _canonical(requirement.name)
        extras = requirement.extras
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in found:
            continue
        found.add(key)
        found.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for dependency in requires:
            parsed = Requirement(dependency)
            marker = parsed.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                pending.append(parsed)
    return {name for name in found if "[" not in name}


def _package_dirs() -> dict[str, Path]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {package: ROOT / folder for package, folder in setuptools["package-dir"].items()}


def _module_file(name: str) -> Path | None:
    top, *rest = name.split(".")
    base = _package_dirs().get(top)
    if base is None:
        return None
    candidate = base.joinpath(*rest)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def _imports(path: Path) -> set[str]:
    """Every module named by an import in ``path`` (also inside functions: lazy imports run too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def third_party_imports(folders: list[str]) -> set[str]:
    """Third-party top-level modules imported by the code in ``folders`` and by every
    project module that code imports, transitively (package ``__init__`` files included)."""
    pending = [path for folder in folders for path in (ROOT / folder).rglob("*.py")]
    seen: set[Path] = set()
    modules: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                file = _module_file(".".join(parts[:depth]))
                if file is not None:
                    pending.append(file)
            modules.add(parts[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in PROJECT_MODULES and m != "__future__"}


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_images_group_covers_what_its_code_imports(image):
    group, folders = IMAGES[image]
    installed = closure(image_requirements.requirements([group]))
    missing = {}
    for module in sorted(third_party_imports(folders)):
        if (image, module) in NOT_RUN_THERE:
            continue
        distributions = _distributions_of_module().get(module)
        assert distributions, f"{module} is imported by the {image} image's code but installed nowhere here"
        if not set(distributions) & installed:
            missing[module] = distributions
    assert not missing, f"add to the `{group}` group in pyproject.toml: {missing}"


@pytest.mark.parametrize("image", ["gateway", "init", "emulator", "ecs-runner"])
def test_slim_images_carry_no_analysis_stack(image):
    group, _ = IMAGES[image]
    assert not closure(image_requirements.requirements([group])) & ANALYSIS_STACK


def test_the_task_image_has_the_analysis_stack():
    assert {"dowhy", "matplotlib", "scikit-learn"} <= closure(image_requirements.requirements(["tasks"]))


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_each_dockerfile_installs_its_group(image):
    text = (ROOT / DOCKERFILES[image]).read_text()
    assert f"python scripts/image-requirements.py {IMAGES[image][0]} >" in text


def test_dev_installs_every_group():
    groups = set(image_requirements.requirements(["dev"]))
    for group in ("lambda", "emulator", "gateway", "tasks", "ecs-runner", "deploy", "cli"):
        assert set(image_requirements.requirements([group])) <= groups, group


def test_lambda_requirements_files_are_in_the_lambda_group():
    """The embedded zips copy a function's requirements from the deployer's environment."""
    group = {_canonical(Requirement(r).name) for r in image_requirements.requirements(["lambda"])}
    for path in (ROOT / "lambdas").glob("*/requirements.txt"):
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                assert _canonical(Requirement(line).name) in group, f"{path}: {line}"


def test_an_unknown_group_is_refused_with_the_known_ones():
    with pytest.raises(SystemExit, match="unknown dependency group 'nope'.*gateway"):
        image_requirements.requirements(["nope"])
