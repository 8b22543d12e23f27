"""Which saved files redeploy what (``causal-stack up --watch``), and what a syntax error holds back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from causal_deploy.code_update import CodeNotReady
from causal_deploy.report import DeployReport
from causal_stack.hot_reload import HotReloader, Layout, ReloadLog, read_reloads, syntax_problems


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    lambdas = tmp_path / "lambdas"
    _write(lambdas / "causal_common" / "__init__.py")
    _write(lambdas / "causal_common" / "models.py", "VALUE = 1\n")
    _write(lambdas / "causal_common" / "texts.py", "TEXT = 'a'\n")
    _write(lambdas / "causal_common" / "unused.py", "X = 1\n")
    _write(lambdas / "causal_agent" / "__init__.py")
    _write(lambdas / "causal_agent" / "planner.py", "from causal_common.texts import TEXT\n")
    _write(lambdas / "reader" / "handler.py", "from causal_common import models\n\ndef handler(e, c):\n    return 1\n")
    _write(lambdas / "reader" / "requirements.txt", "")
    _write(
        lambdas / "planner" / "handler.py",
        "from causal_agent.planner import TEXT\n\ndef handler(e, c):\n    return 2\n",
    )
    _write(lambdas / "state-machine.asl.json", '{"StartAt": "A", "States": {}}')
    _write(lambdas / "README.txt", "notes")
    _write(tmp_path / "ecs-tasks" / "causal_tasks" / "causal.py", "def run():\n    pass\n")
    _write(tmp_path / "ecs-tasks" / "causal_tasks" / "notes.md", "")
    return tmp_path


def _layout(source: Path) -> Layout:
    return Layout(source, ["planner", "reader"])


def test_a_file_in_a_function_folder_redeploys_that_function(source: Path) -> None:
    plan = _layout(source).plan([source / "lambdas" / "reader" / "handler.py"])
    assert plan.functions == {"reader"}
    assert not plan.state_machine and not plan.task_code
    plan = _layout(source).plan([source / "lambdas" / "reader" / "requirements.txt"])
    assert plan.functions == {"reader"}


def test_a_shared_module_redeploys_each_function_that_bundles_it(source: Path) -> None:
    layout = _layout(source)
    assert layout.plan([source / "lambdas" / "causal_common" / "models.py"]).functions == {"reader"}
    # Reached through causal_agent.planner: only the planner function bundles it.
    assert layout.plan([source / "lambdas" / "causal_common" / "texts.py"]).functions == {"planner"}
    assert layout.plan([source / "lambdas" / "causal_agent" / "planner.py"]).functions == {"planner"}
    # Every function bundles the package's __init__.
    assert layout.plan([source / "lambdas" / "causal_common" / "__init__.py"]).functions == {"planner", "reader"}
    plan = layout.plan([source / "lambdas" / "causal_common" / "unused.py"])
    assert plan.empty and plan.unused == {(source / "lambdas" / "causal_common" / "unused.py").resolve()}


def test_a_module_a_function_stops_importing_still_redeploys_it(source: Path) -> None:
    layout = _layout(source)
    handler = source / "lambdas" / "reader" / "handler.py"
    handler.write_text("def handler(e, c):\n    return 1\n")
    assert layout.plan([handler]).functions == {"reader"}
    # The layout remembers what the function bundled before: deleting that module still reaches it.
    models = source / "lambdas" / "causal_common" / "models.py"
    models.unlink()
    assert layout.plan([models]).functions == {"reader"}


def test_the_asl_updates_the_state_machine_and_task_code_the_next_task(source: Path) -> None:
    layout = _layout(source)
    plan = layout.plan([source / "lambdas" / "state-machine.asl.json"])
    assert plan.state_machine and not plan.functions and not plan.task_code
    plan = layout.plan([source / "ecs-tasks" / "causal_tasks" / "causal.py"])
    assert plan.task_code and not plan.functions and not plan.state_machine
    assert layout.plan([source / "ecs-tasks" / "causal_tasks" / "notes.md"]).empty
    assert layout.plan([source / "lambdas" / "README.txt"]).empty


def test_syntax_problems_name_the_file_and_line(source: Path) -> None:
    handler = source / "lambdas" / "reader" / "handler.py"
    handler.write_text("def handler(e, c):\n    return (1\n\nx = 2\n")
    (problem,) = syntax_problems([handler, source / "lambdas" / "state-machine.asl.json"])
    assert problem.path == handler and problem.line == 2
    assert problem.describe(source).startswith("lambdas/reader/handler.py:2: ")
    assert syntax_problems([source / "lambdas" / "causal_common" / "models.py"]) == []


class RecordingUpdater:
    """Records what the reloader asks the deployer to update; can refuse as the deployer does."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bool]] = []
        self.refusal: str | None = None

    def update(self, functions: Any = (), *, definition: bool = False) -> DeployReport:
        if self.refusal:
            raise CodeNotReady(self.refusal)
        self.calls.append((list(functions), definition))
        return DeployReport(target="embedded", endpoint_url=None)


def test_a_syntax_error_deploys_nothing_and_its_changes_go_out_with_the_fix(source: Path) -> None:
    updater, lines = RecordingUpdater(), []
    log = ReloadLog(source / "reloads.jsonl")
    reloader = HotReloader(_layout(source), updater, log, lines.append)
    handler = source / "lambdas" / "reader" / "handler.py"
    asl = source / "lambdas" / "state-machine.asl.json"
    handler.write_text("def handler(e, c)\n    return 1\n")
    reload = reloader.handle([handler, asl])
    assert reload is not None and not reload.ok and reload.kept_previous
    assert "lambdas/reader/handler.py:1" in reload.error
    assert updater.calls == []
    assert "previous code keeps serving" in lines[-1] and "lambdas/reader/handler.py:1" in lines[-1]

    handler.write_text("def handler(e, c):\n    return 3\n")
    reload = reloader.handle([handler])
    assert reload is not None and reload.ok
    # The ASL change held back by the error went out with the fix.
    assert updater.calls == [(["reader"], True)]
    records = read_reloads(source / "reloads.jsonl")
    assert [record["ok"] for record in records] == [False, True]
    assert records[0]["keptPrevious"] is True and records[1]["stateMachine"] is True


def test_a_package_the_deployer_cannot_build_keeps_the_previous_code(source: Path) -> None:
    updater = RecordingUpdater()
    updater.refusal = "function reader: bad requirement"
    reloader = HotReloader(_layout(source), updater, None, lambda _line: None)
    reload = reloader.handle([source / "lambdas" / "reader" / "requirements.txt"])
    assert reload is not None and not reload.ok and reload.kept_previous
    assert reload.error == "function reader: bad requirement"


def test_a_change_that_reaches_nothing_is_not_a_reload(source: Path) -> None:
    updater = RecordingUpdater()
    reloader = HotReloader(_layout(source), updater, None, lambda _line: None)
    assert reloader.handle([source / "lambdas" / "README.txt"]) is None
    assert updater.calls == []


def test_task_code_is_reported_without_a_deploy(source: Path) -> None:
    updater = RecordingUpdater()
    reloader = HotReloader(_layout(source), updater, None, lambda _line: None)
    reload = reloader.handle([source / "ecs-tasks" / "causal_tasks" / "causal.py"])
    assert reload is not None and reload.ok and reload.task_code
    assert updater.calls == []


def test_the_reload_log_keeps_the_last_ones(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import causal_stack.hot_reload as hot_reload

    monkeypatch.setattr(hot_reload, "RELOADS_KEPT", 3)
    reloader = HotReloader(_layout(source), RecordingUpdater(), ReloadLog(source / "r.jsonl"), lambda _line: None)
    for _ in range(5):
        reloader.handle([source / "lambdas" / "reader" / "handler.py"])
    assert len(read_reloads(source / "r.jsonl")) == 3
