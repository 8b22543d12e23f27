"""The ECS runner's next task runs changed task code: its warm worker, which imported the old, is replaced."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from causal_ecs_runner.backends.base import ContainerSpec
from causal_ecs_runner.backends.subprocess import SubprocessBackend
from causal_ecs_runner.backends.warm_supervisor import code_fingerprint


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A task package of its own (``python -m <name>`` prints its version), importable here and by the worker."""
    name = f"reload_task_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "code"
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "version.py").write_text("VERSION = 'one'\n")
    (root / name / "__main__.py").write_text(f"from {name}.version import VERSION\nprint('version', VERSION)\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    return name, root / name


def _run(backend: SubprocessBackend, name: str) -> str:
    spec = ContainerSpec(
        task_arn=f"arn:aws:ecs:eu-central-1:000000000000:task/test/{uuid.uuid4().hex}",
        family="reload",
        container_name="task",
        image="local",
        command=["python", "-m", name],
    )
    container = backend.start(spec)
    deadline = time.monotonic() + 60
    while backend.exit_code(container) is None:
        assert time.monotonic() < deadline, "the task did not end"
        time.sleep(0.05)
    assert backend.exit_code(container) == 0, backend.logs(container)
    return backend.logs(container).strip().splitlines()[-1]


def _warm(backend: SubprocessBackend) -> dict:
    status = backend.status()["warmWorker"]
    assert isinstance(status, dict)
    return status


def _edit(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))  # a new mtime on coarse clocks too


def test_the_next_task_after_an_edit_runs_the_new_code(package: tuple[str, Path], tmp_path: Path) -> None:
    name, folder = package
    backend = SubprocessBackend(tmp_path / "logs", f"{name}.version", code_packages=(name,))
    try:
        assert backend.wait_warm(60)
        first_worker = _warm(backend)["pid"]
        assert _run(backend, name) == "version one"

        _edit(folder / "version.py", "VERSION = 'two'\n")
        assert _run(backend, name) == "version two"
        status = _warm(backend)
        assert status["codeReloads"] == 1 and status["pid"] != first_worker

        # The new warm worker imported the new code: tasks forked from it run it too.
        assert backend.wait_warm(60)
        assert _run(backend, name) == "version two"
        assert _warm(backend)["codeReloads"] == 1
    finally:
        backend.close()


def test_the_fingerprint_follows_the_package_files(package: tuple[str, Path]) -> None:
    name, folder = package
    before = code_fingerprint((name,))
    assert before == code_fingerprint((name,))
    _edit(folder / "version.py", "VERSION = 'three'\n")
    assert code_fingerprint((name,)) != before
    assert code_fingerprint(("no_such_package_here",)) == code_fingerprint(())
    assert sys.modules.get(name) is None  # found without importing it
