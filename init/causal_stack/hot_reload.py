"""``causal-stack up --watch``: saved changes redeploy what they touch, within about a second.

What a change touches (:func:`plan`):

* a file in a function's folder (``lambdas/<function>/``): that function;
* a module of a shared package (``lambdas/causal_common``, ``lambdas/causal_agent``): every function
  whose zip bundles it (its imports are followed as the zips are built), before or after the change;
* ``lambdas/state-machine.asl.json``: the state machine (``UpdateStateMachine``);
* the task code (``ecs-tasks/causal_tasks``): the next ECS task; the local ECS runner notices the
  change itself and starts that task with the new code (its warm worker is replaced).

Functions are redeployed through the deployer (:class:`causal_deploy.code_update.CodeUpdater`): the
emulator retires the warm workers of the old code, so the next invocation runs the new one. Changed
``.py`` files are compiled first: a syntax error is reported with its file and line, nothing is
deployed, and the previous code keeps serving until a save that compiles (the blocked changes are kept
and go out with it). Bursts of saves are taken as one change (watchfiles' debounce).

Each reload is printed and appended to a small JSON-lines log the dashboard shows
(:data:`RELOADS_FILE_VARIABLE`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from causal_common.errors import CausalStackError
from causal_dashboard.reloads import RELOADS_FILE_VARIABLE, RELOADS_SHOWN, read_reloads

__all__ = ["RELOADS_FILE_VARIABLE", "HotReloader", "Layout", "ReloadLog", "read_reloads", "start_watching"]

RELOADS_KEPT = RELOADS_SHOWN
STATE_MACHINE_FILE = "state-machine.asl.json"
TASK_PACKAGE = Path("ecs-tasks") / "causal_tasks"
# A burst of saves (editors write a file several times) ends after this much quiet, at most DEBOUNCE_MS.
STEP_MS = 80
DEBOUNCE_MS = 600


@dataclass(frozen=True)
class SyntaxProblem:
    path: Path
    line: int
    message: str

    def describe(self, root: Path) -> str:
        return f"{_relative(self.path, root)}:{self.line}: {self.message}"


@dataclass
class ReloadPlan:
    functions: set[str] = field(default_factory=set)
    state_machine: bool = False
    task_code: bool = False
    # Changed files that reach nothing deployed (a module no function imports, a top-level note).
    unused: set[Path] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.functions or self.state_machine or self.task_code)


class Layout:
    """Where the stack's code lives under ``source_dir``, and which shared modules each function bundles."""

    def __init__(self, source_dir: Path, functions: Iterable[str]) -> None:
        from causal_deploy.lambda_zip import VENDORED_PACKAGES

        self.source_dir = source_dir.resolve()
        self.lambdas_dir = self.source_dir / "lambdas"
        self.state_machine_file = self.lambdas_dir / STATE_MACHINE_FILE
        self.task_dir = self.source_dir / TASK_PACKAGE
        self.functions = sorted(functions)
        self.shared = tuple(self.lambdas_dir / name for name in VENDORED_PACKAGES)
        self._bundles: dict[str, set[Path]] = {}
        for function in self.functions:
            self._bundles[function] = self._bundled(function, set())

    def watched(self) -> list[Path]:
        return [path for path in (self.lambdas_dir, self.task_dir) if path.is_dir()]

    def _bundled(self, function: str, previous: set[Path]) -> set[Path]:
        from causal_deploy.errors import PackagingError
        from causal_deploy.lambda_zip import imported_project_modules

        try:
            return {path.resolve() for path in imported_project_modules(self.lambdas_dir / function, self.lambdas_dir)}
        except PackagingError:
            return previous  # a module that does not parse: the last known imports stand

    def plan(self, changed: Iterable[Path]) -> ReloadPlan:
        result = ReloadPlan()
        shared_changes: set[Path] = set()
        for raw in changed:
            path = raw.resolve() if raw.exists() else raw.parent.resolve() / raw.name
            if path == self.state_machine_file:
                result.state_machine = True
            elif _inside(path, self.task_dir):
                if path.suffix == ".py":
                    result.task_code = True
                else:
                    result.unused.add(path)
            elif any(_inside(path, package) for package in self.shared):
                shared_changes.add(path)
            elif _inside(path, self.lambdas_dir) and path.relative_to(self.lambdas_dir).parts[0] in self.functions:
                result.functions.add(path.relative_to(self.lambdas_dir).parts[0])
            else:
                result.unused.add(path)
        if shared_changes:
            reached: set[Path] = set()
            for function in self.functions:
                before = self._bundles.get(function, set())
                after = self._bundled(function, before)
                self._bundles[function] = after
                hit = shared_changes & (before | after)
                if hit:
                    result.functions.add(function)
                    reached |= hit
            result.unused |= shared_changes - reached
        return result


def syntax_problems(paths: Iterable[Path]) -> list[SyntaxProblem]:
    """Each changed ``.py`` file that does not compile, with the line of its first error."""
    problems = []
    for path in sorted(set(paths)):
        if path.suffix != ".py" or not path.is_file():
            continue
        try:
            source = path.read_bytes()
            compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:  # IndentationError and TabError are SyntaxErrors
            problems.append(SyntaxProblem(path, exc.lineno or 0, exc.msg))
        except (OSError, ValueError) as exc:
            problems.append(SyntaxProblem(path, 0, str(exc)))
    return problems


@dataclass
class Reload:
    """One redeploy, as the terminal and the dashboard show it."""

    at: str
    changed: list[str]
    functions: list[str]
    state_machine: bool
    task_code: bool
    ok: bool
    seconds: float
    error: str = ""
    # Whether the previous code still serves (an error before anything was deployed).
    kept_previous: bool = False

    def line(self) -> str:
        targets = [*self.functions]
        if self.state_machine:
            targets.append("the state machine")
        if self.task_code:
            targets.append("the ECS task code (the next task runs it)")
        what = ", ".join(targets) or "nothing deployed"
        files = ", ".join(self.changed[:4]) + (f" and {len(self.changed) - 4} more" if len(self.changed) > 4 else "")
        if self.ok:
            return f"reload: {what} updated in {self.seconds:.2f} s ({files})"
        kept = "; the previous code keeps serving" if self.kept_previous else ""
        return f"reload failed ({files}): {self.error}{kept}"

    def as_json(self) -> dict[str, Any]:
        return {_camel(key): value for key, value in asdict(self).items()}


class ReloadLog:
    """The last reloads, in a JSON-lines file the dashboard reads (a small one: older lines are dropped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, reload: Reload) -> None:
        with self._lock:
            lines = read_reloads(self.path, RELOADS_KEPT - 1)
            lines.append(reload.as_json())
            partial = self.path.with_suffix(".partial")
            partial.write_text("".join(json.dumps(line) + "\n" for line in lines))
            partial.replace(self.path)


class HotReloader:
    def __init__(self, layout: Layout, updater: Any, log: ReloadLog | None, say: Callable[[str], None] = print) -> None:
        self.layout, self.updater, self.log, self.say = layout, updater, log, say
        # Changes held back by a syntax error: they go out with the first save that compiles.
        self._blocked: set[Path] = set()

    def handle(self, changed: Iterable[Path]) -> Reload | None:
        """Redeploy what ``changed`` touches; the reload (None when the change touches nothing deployed)."""
        started = time.monotonic()
        paths = {Path(path) for path in changed} | self._blocked
        plan = self.layout.plan(paths)
        if plan.empty:
            self._blocked.clear()
            return None
        names = sorted(_relative(path, self.layout.source_dir) for path in paths)
        reload = Reload(
            at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            changed=names,
            functions=sorted(plan.functions),
            state_machine=plan.state_machine,
            task_code=plan.task_code,
            ok=True,
            seconds=0.0,
        )
        problems = syntax_problems(paths)
        if problems:
            self._blocked = paths
            reload.ok, reload.kept_previous = False, True
            reload.error = "; ".join(problem.describe(self.layout.source_dir) for problem in problems)
        else:
            reload.error, reload.kept_previous = self._deploy(plan)
            reload.ok = not reload.error
            self._blocked = paths if reload.kept_previous else set()
        reload.seconds = round(time.monotonic() - started, 3)
        self.say(reload.line())
        if self.log is not None:
            self.log.append(reload)
        return reload

    def _deploy(self, plan: ReloadPlan) -> tuple[str, bool]:
        """The error ('' when none) and whether nothing was changed because of it."""
        from causal_deploy.code_update import CodeNotReady

        if not (plan.functions or plan.state_machine):
            return "", False
        try:
            report = self.updater.update(sorted(plan.functions), definition=plan.state_machine)
        except CodeNotReady as exc:
            return exc.message, True
        except CausalStackError as exc:
            return exc.message, False
        problems = "; ".join(f"{problem.resource}: {problem.message}" for problem in report.problems)
        return problems, False


def watch(reloader: HotReloader, stopping: threading.Event) -> None:
    """Redeploy on every burst of saves under the watched folders until ``stopping`` is set."""
    import watchfiles

    watched = reloader.layout.watched()
    for changes in watchfiles.watch(
        *watched,
        watch_filter=watchfiles.PythonFilter(extra_extensions=(".json", ".txt")),
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stopping,
        raise_interrupt=False,
    ):
        try:
            reloader.handle(Path(path) for _, path in changes)
        except Exception as exc:  # noqa: BLE001 - a failed reload must not end watching
            reloader.say(f"reload failed: {type(exc).__name__}: {exc}")


def start_watching(
    env: dict[str, str], log_path: Path, stopping: threading.Event, say: Callable[[str], None]
) -> threading.Thread:
    """The watching thread of ``up --watch`` (started once the stack is deployed)."""
    from causal_deploy import DeployConfig
    from causal_deploy.code_update import CodeUpdater

    updater = CodeUpdater(
        DeployConfig(
            target="embedded",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            ecs_endpoint_url=env["AWS_ENDPOINT_URL_ECS"],
            websocket_callback_url=env["WEBSOCKET_CALLBACK_URL"],
            artifacts_base_url=env["ARTIFACTS_BASE_URL"],
        )
    )
    layout = Layout(updater.config.source_dir, updater.function_names())
    reloader = HotReloader(layout, updater, ReloadLog(log_path), say)
    thread = threading.Thread(target=watch, args=(reloader, stopping), name="hot-reload", daemon=True)
    thread.start()
    say(
        "watching "
        + ", ".join(_relative(path, layout.source_dir) + "/" for path in layout.watched())
        + " for changes: a save redeploys what it touches"
    )
    return thread


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
