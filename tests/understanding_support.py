"""Phrasing sets for the question reader, and how a reading is scored against what the question meant."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from causal_common.models.datasets import Column, DatasetManifest

CASES_FILE = Path(__file__).parent / "data" / "understanding" / "cases.json"


@dataclass
class Case:
    schema: str
    question: str
    expected: dict[str, Any]
    manifest: DatasetManifest


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    data = json.loads(path.read_text())
    manifests = {
        name: DatasetManifest(
            id=name.lower().replace(" ", "_")[:60] or "x",
            title=name,
            description="",
            rows=100,
            data_key=f"{name}/data.csv",
            columns=[Column(**column) for column in columns],
        )
        for name, columns in data["schemas"].items()
    }
    return [
        Case(case["schema"], case["question"], case["expected"], manifests[case["schema"]]) for case in data["cases"]
    ]


@dataclass
class Verdict:
    ok: bool
    problems: list[str] = field(default_factory=list)


def judge(expected: dict[str, Any], got: dict[str, Any]) -> Verdict:
    """Right intent; for causal questions the right treatment, outcome (so direction), contrast and adjustment;
    for descriptive ones the right kind, columns and grouping."""
    problems: list[str] = []
    if got.get("intent") != expected["intent"]:
        problems.append(f"intent {got.get('intent')} != {expected['intent']}")
    if expected["intent"] == "causal":
        for role in ("treatment", "outcome"):
            if got.get(role) != expected.get(role):
                problems.append(f"{role} {got.get(role)} != {expected.get(role)}")
        if "contrast_sign" in expected and got.get("contrast_sign") != expected["contrast_sign"]:
            problems.append(f"contrast {got.get('contrast_sign')} != {expected['contrast_sign']}")
        if "adjust_only" in expected and sorted(got.get("adjust_only") or []) != sorted(expected["adjust_only"]):
            problems.append(f"adjust only {got.get('adjust_only')} != {expected['adjust_only']}")
        if "exclude" in expected and not set(expected["exclude"]) <= set(got.get("exclude") or []):
            problems.append(f"exclude {got.get('exclude')} lacks {expected['exclude']}")
    if expected["intent"] == "descriptive":
        if "descriptive_kind" in expected and got.get("descriptive_kind") != expected["descriptive_kind"]:
            problems.append(f"kind {got.get('descriptive_kind')} != {expected['descriptive_kind']}")
        if "descriptive_columns" in expected and sorted(got.get("descriptive_columns") or []) != sorted(
            expected["descriptive_columns"]
        ):
            problems.append(f"columns {got.get('descriptive_columns')} != {expected['descriptive_columns']}")
        if "group_by" in expected and got.get("group_by") != expected["group_by"]:
            problems.append(f"group {got.get('group_by')} != {expected['group_by']}")
    return Verdict(not problems, problems)


def reading_as_dict(reading: Any) -> dict[str, Any]:
    """The fields ``judge`` compares, from a ``causal_agent.reading.reader.Reading``."""
    got: dict[str, Any] = {"intent": reading.intent}
    if reading.intent == "causal":
        got.update(
            treatment=reading.treatment,
            outcome=reading.outcome,
            contrast_sign=reading.contrast.sign if reading.contrast else 1,
            adjust_only=reading.adjustment.only,
            exclude=list(reading.adjustment.exclude),
        )
    if reading.intent == "descriptive" and reading.descriptive is not None:
        got.update(
            descriptive_kind=reading.descriptive.kind,
            descriptive_columns=reading.descriptive.columns,
            group_by=reading.descriptive.group_by,
        )
    return got


def score(cases: list[Case], read: Callable[[Case], dict[str, Any]]) -> dict[str, Any]:
    """Shares of cases read right, overall and per part."""
    verdicts = [(case, judge(case.expected, read(case))) for case in cases]
    causal = [(c, v) for c, v in verdicts if c.expected["intent"] == "causal"]
    role_problems = ("treatment", "outcome", "intent")
    return {
        "cases": len(cases),
        "all_right": sum(v.ok for _, v in verdicts) / len(cases),
        "intent_right": sum(not any(p.startswith("intent") for p in v.problems) for _, v in verdicts) / len(cases),
        "causal_roles_right": (
            sum(not any(p.startswith(role_problems) for p in v.problems) for _, v in causal) / max(1, len(causal))
        ),
        "failures": [(c.schema, c.question, v.problems) for c, v in verdicts if not v.ok],
    }
