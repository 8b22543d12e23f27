"""Questions in plain words, end to end and in process: reader → planner → design choice → estimation.

Each phrasing set under ``tests/data/understanding/<set>/`` (``generate.py`` makes the data with known
truth, ``cases.json`` holds the questions and what they mean) is run through the same code the agent runs:
the CSV is typed as an upload would be, the offline planner decides each step, the causal-analysis task
estimates in this process (data queries and EDA are skipped: they do not change the estimate). Each
causal case is scored on its roles (treatment, outcome), its design, and — where the set records the
truth — whether the interval covers it and how far the estimate is from it.

    causal-stack eval --questions [--set NAME]
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, CausalResult

SETS_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "understanding"
MAX_STEPS = 8


@dataclass
class QuestionOutcome:
    set_name: str
    schema: str
    question: str
    expected: dict[str, Any]
    treatment: str | None = None
    outcome: str | None = None
    design: str | None = None
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def covers(self) -> bool | None:
        truth = self.expected.get("truth")
        if truth is None or self.ci is None:
            return None if truth is None else False
        return bool(self.ci[0] <= float(truth) <= self.ci[1])


def load_set(folder: Path) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    spec = importlib.util.spec_from_file_location(
        f"phrasing_set_{folder.name.replace('-', '_')}", folder / "generate.py"
    )
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{folder / 'generate.py'} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = json.loads((folder / "cases.json").read_text())["cases"]
    return module.datasets(), cases


def as_upload(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, Any]:
    from causal_datasets.table import parse_csv
    from causal_datasets.uploads import manifest_for_upload

    table = parse_csv(frame.to_csv(index=False).encode())
    stored = pd.read_csv(io.StringIO(table.to_csv_text()))  # the data as an upload stores them
    return stored, manifest_for_upload(table, name.lower().replace("_", "-")[:60])


def run_question(
    question: str, frame: pd.DataFrame, manifest: Any
) -> tuple[dict[str, Any] | None, CausalResult | None]:
    """The planner's causal_analysis arguments and the task's result for one question (no user to ask)."""
    from causal_agent import planner
    from causal_agent.conversation import assistant_tool_call, compact_outcome, tool_message, user_message
    from causal_common.models.tools import ToolOutcome
    from causal_tasks.causal import run_causal_analysis
    from causal_tasks.design import DatasetRoles

    conversation = [user_message(question)]
    arguments: dict[str, Any] | None = None
    result: CausalResult | None = None
    for _ in range(MAX_STEPS):
        decision = planner.plan(planner.PlannerInput(conversation, manifest, interactive=False))
        call = decision.tool_call
        if decision.kind != "tool" or call is None:
            break
        conversation.append(assistant_tool_call(call))
        if call.name == "causal_analysis":
            arguments = dict(call.arguments)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = run_causal_analysis(
                    frame,
                    CausalAnalysisArgs.model_validate({**arguments, "refutation_simulations": 1}),
                    roles=DatasetRoles.from_manifest(manifest),
                )
            outcome = ToolOutcome(tool=call.name, call_id=call.call_id, ok=True, result=result.model_dump(mode="json"))
        else:
            outcome = ToolOutcome(tool=call.name, call_id=call.call_id, ok=True, result={})
        conversation.append(tool_message(call.call_id, compact_outcome(outcome)))
    return arguments, result


def evaluate_case(set_name: str, frames: dict[str, Any], case: dict[str, Any]) -> QuestionOutcome:
    expected = case["expected"]
    frame, manifest = frames[case["schema"]]
    found = QuestionOutcome(set_name, case["schema"], case["question"], expected)
    started = time.perf_counter()
    try:
        arguments, result = run_question(case["question"], frame, manifest)
    except InvalidInputError as exc:
        # The analysis refused the arguments with a message the user sees: a miss, not a crash.
        found.error = f"refused: {exc}"[:200]
        found.problems.append("refused")
        found.seconds = time.perf_counter() - started
        return found
    except Exception as exc:  # noqa: BLE001 - a crash is a miss the report must show, not a stop
        found.error = f"{type(exc).__name__}: {exc}"[:200]
        found.problems.append("error")
        found.seconds = time.perf_counter() - started
        return found
    found.seconds = time.perf_counter() - started
    if arguments is not None:
        found.treatment, found.outcome = arguments.get("treatment"), arguments.get("outcome")
    if result is not None:
        found.design, found.estimate, found.ci = result.design, result.estimate, result.ci
        factor = _contrast_factor(case["question"], manifest, result.treatment_mean)
        if factor != 1.0 and found.estimate is not None:
            # The truth is for the contrast asked ("raised by 1,000", "stopped"): scale the per-unit estimate.
            found.estimate *= factor
            if found.ci is not None:
                low, high = sorted((found.ci[0] * factor, found.ci[1] * factor))
                found.ci = (low, high)
    for role in ("treatment", "outcome"):
        if role in expected and getattr(found, role) != expected[role]:
            found.problems.append(f"{role} {getattr(found, role)}")
    if "design" in expected and found.design != expected["design"]:
        found.problems.append(f"design {found.design}")
    if found.covers is False:
        found.problems.append("interval misses the truth")
    return found


def _contrast_factor(question: str, manifest: Any, treatment_mean: float | None) -> float:
    from causal_agent.reading.reader import read_question

    contrast = read_question(question, manifest).contrast
    units = contrast.units(treatment_mean) if contrast is not None else None
    return float(units) if units is not None else 1.0


def causal_cases(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions (not replies) whose meaning is causal, with something to score."""
    return [
        c
        for c in cases
        if "reply" not in c
        and c["expected"].get("intent") == "causal"
        and not c["expected"].get("by_group")
        and any(key in c["expected"] for key in ("treatment", "design", "truth"))
    ]


FLOORS_FILE = SETS_DIR / "floors.json"


def shares(outcomes: list[QuestionOutcome]) -> dict[str, tuple[int, int]]:
    """(right, asked) for all right, roles, design and the interval covering the truth."""

    def tally(items: list[bool]) -> tuple[int, int]:
        return sum(items), len(items)

    return {
        "all right": tally([not o.problems for o in outcomes]),
        "roles right": tally(
            [
                not any(p.startswith(("treatment", "outcome")) for p in o.problems)
                for o in outcomes
                if "treatment" in o.expected or "outcome" in o.expected
            ]
        ),
        "design right": tally([o.design == o.expected["design"] for o in outcomes if "design" in o.expected]),
        "interval covers the truth": tally([bool(o.covers) for o in outcomes if o.expected.get("truth") is not None]),
    }


def floor_key(limit: int | None) -> str:
    return "end to end" if not limit else f"end to end, {limit} of each set"


def spread(cases: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """``limit`` cases spread evenly over the set (sets are written in sections: designs, contrasts, …)."""
    if not limit or limit >= len(cases):
        return cases
    return [cases[index * len(cases) // limit] for index in range(limit)]


def run_sets(
    set_names: list[str] | None = None, limit: int | None = None, out: TextIO | None = None
) -> dict[str, list[QuestionOutcome]]:
    """Every causal question of each set (or ``limit`` of them, spread over it), printed as it is answered."""
    out = out or sys.stdout
    folders = sorted(p for p in SETS_DIR.iterdir() if (p / "generate.py").is_file() and (p / "cases.json").is_file())
    if set_names:
        folders = [p for p in folders if p.name in set_names]
    results: dict[str, list[QuestionOutcome]] = {}
    for folder in folders:
        datasets, cases = load_set(folder)
        frames = {name: as_upload(frame, name) for name, frame in datasets.items()}
        chosen = spread(causal_cases(cases), limit)
        results[folder.name] = []
        for case in chosen:
            outcome = evaluate_case(folder.name, frames, case)
            results[folder.name].append(outcome)
            mark = "ok  " if not outcome.problems else "MISS"
            estimate = f"{outcome.estimate:,.4g}" if outcome.estimate is not None else "–"
            truth = outcome.expected.get("truth")
            print(
                f"{mark} {folder.name:<11} {outcome.design or '–':<10} {estimate:>10} "
                f"(truth {truth if truth is not None else '–'})  {outcome.question[:70]!r}"
                + (f"  [{'; '.join(outcome.problems)}]" if outcome.problems else "")
                + (f" {outcome.error}" if outcome.error else ""),
                file=out,
                flush=True,
            )
    return results


def evaluate(set_names: list[str] | None = None, limit: int | None = None, out: TextIO | None = None) -> int:
    """Run the sets, print per-set and pooled shares; non-zero when a question crashes or a set scores below the
    floor recorded for it in ``floors.json`` (for whole sets, or for the same ``limit``)."""
    out = out or sys.stdout
    started = time.perf_counter()
    results = run_sets(set_names, limit, out)
    outcomes = [o for per_set in results.values() for o in per_set]
    if not outcomes:
        print("no phrasing set with generate.py and cases.json found", file=out)
        return 1
    floors = json.loads(FLOORS_FILE.read_text()).get(floor_key(limit), {}) if FLOORS_FILE.is_file() else {}
    below: list[str] = []
    print(file=out)
    for name, per_set in [*results.items(), ("all sets", outcomes)]:
        figures = shares(per_set)
        print(
            f"{name}: {len(per_set)} questions; "
            + "; ".join(f"{k} {r}/{n} = {r / n:.1%}" if n else f"{k} –" for k, (r, n) in figures.items()),
            file=out,
        )
        right, asked = figures["all right"]
        # The pooled floor is for every set together; with some sets chosen, each is held to its own.
        floor = None if name == "all sets" and set_names else floors.get(name)
        if floor is not None and asked and right / asked < floor - 1e-9:
            below.append(f"{name} all right {right / asked:.1%} < floor {floor:.1%}")
    errors = sum(1 for o in outcomes if "error" in o.problems)
    refused = sum(1 for o in outcomes if "refused" in o.problems)
    print(f"crashes: {errors}; refused with a message: {refused}; time {time.perf_counter() - started:.0f} s", file=out)
    if errors or below:
        print("TARGETS MISSED: " + "; ".join(below + ([f"{errors} question(s) crashed"] if errors else [])), file=out)
        return 1
    return 0
