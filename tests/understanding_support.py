"""Phrasing sets for the question reader, and how a reading is scored against what the question meant."""

from __future__ import annotations

import json
from collections import Counter
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


# --- phrasing sets in folders (generate.py makes the data, cases.json the questions and replies) -------------


def folder_sets(root: Path = CASES_FILE.parent) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "generate.py").is_file() and (p / "cases.json").is_file())


def phrasing_sets(root: Path = CASES_FILE.parent) -> list[Path]:
    """Every phrasing set: the single-file ones (``*.json`` apart from ``floors.json``), then the folder ones."""
    files = [path for path in sorted(root.glob("*.json")) if path.name != "floors.json"]
    return files + folder_sets(root)


def set_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def load_any(path: Path) -> list[Case]:
    """The question cases of a set, whichever kind it is."""
    return load_cases(path) if path.is_file() else load_folder(path)


def load_folder(folder: Path) -> list[Case]:
    """The question cases of a folder set, each with the manifest its data get when uploaded as a CSV."""
    from causal_tasks.evaluation.questions import as_upload, load_set

    datasets, cases = load_set(folder)
    manifests = {name: as_upload(frame, name)[1] for name, frame in datasets.items()}
    return [
        Case(case["schema"], case["question"], case["expected"], manifests[case["schema"]])
        for case in cases
        if "reply" not in case and "question" in case and case["schema"] in manifests
    ]


def load_folder_replies(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A folder set's reply cases and, by schema, the manifest its data get when uploaded as a CSV."""
    from causal_tasks.evaluation.questions import as_upload, load_set

    datasets, cases = load_set(folder)
    manifests = {name: as_upload(frame, name)[1] for name, frame in datasets.items()}
    return [case for case in cases if "reply" in case and case.get("schema") in manifests], manifests


def _same_value(expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is got
    try:
        return abs(float(expected) - float(got)) < 1e-9
    except (TypeError, ValueError):
        return str(expected).strip().lower() == str(got).strip().lower()


def judge_design_words(expected: dict[str, Any], design: Any) -> list[str] | None:
    """Problems with a design said in words (cutoff, instrument, named groups and start, randomisation), or None
    when the question says none (a panel visible only in the data's shape is the estimation's job)."""
    kind = expected.get("design")
    details = expected.get("design_details") or {}
    problems: list[str] = []
    if kind == "rdd" and "cutoff" in details:
        if design.running != details.get("running", design.running):
            problems.append(f"running {design.running} != {details.get('running')}")
        if not _same_value(details["cutoff"], design.cutoff):
            problems.append(f"cutoff {design.cutoff} != {details['cutoff']}")
        if "cutoff_side" in details and design.cutoff_side != details["cutoff_side"]:
            problems.append(f"side {design.cutoff_side} != {details['cutoff_side']}")
    elif kind == "iv" and "instrument" in details:
        if details["instrument"] not in design.instruments:
            problems.append(f"instruments {design.instruments} lack {details['instrument']}")
    elif kind == "randomised":
        if not (design.randomised or design.design == "randomised"):
            problems.append("randomisation not read")
    elif kind == "did" and details.get("treated_groups"):
        if design.group_column != details.get("group_column", design.group_column):
            problems.append(f"group column {design.group_column} != {details.get('group_column')}")
        if sorted(map(str.lower, design.treated_groups)) != sorted(map(str.lower, details["treated_groups"])):
            problems.append(f"groups {design.treated_groups} != {details['treated_groups']}")
        if "treatment_start" in details and not _same_value(details["treatment_start"], design.treatment_start):
            problems.append(f"start {design.treatment_start} != {details['treatment_start']}")
    else:
        return None
    return problems


def judge_subgroup_words(expected: dict[str, Any], design: Any) -> list[str] | None:
    """Problems with a subgroup or a by-group question, or None when the question asks for neither."""
    if "subgroup" in expected:
        want = expected["subgroup"]
        for got in design.subgroup:
            if got.column == want.get("column") and _same_value(want.get("value"), got.value):
                return []
        return [f"subgroup {[(g.column, g.op, g.value) for g in design.subgroup]} != {want}"]
    if "by_group" in expected:
        return [] if design.by_group == expected["by_group"] else [f"by {design.by_group} != {expected['by_group']}"]
    return None


def score_designs(cases: list[Case]) -> dict[str, tuple[int, int]]:
    """(right, asked) for designs said in words and for subgroups, from what the words say about the design
    (``causal_agent.reading.designs``) once the question's treatment and outcome are read."""
    from causal_agent.reading.designs import read_design
    from causal_agent.reading.reader import read_question

    designs, subgroups = [0, 0], [0, 0]
    for case in cases:
        if case.expected.get("intent") != "causal":
            continue
        reading = read_question(case.question, case.manifest)
        design = read_design(case.question, case.manifest, reading.treatment, reading.outcome)
        for tally, problems in (
            (designs, judge_design_words(case.expected, design)),
            (subgroups, judge_subgroup_words(case.expected, design)),
        ):
            if problems is not None:
                tally[1] += 1
                tally[0] += not problems
    return {"designs": (designs[0], designs[1]), "subgroups": (subgroups[0], subgroups[1])}


# --- replies to the agent's prompts (timing, choose a column, confirm a design) ----------------------------------


def _reply_manifest(case: dict[str, Any]) -> DatasetManifest:
    columns = [
        Column(name=c["name"], dtype=c["dtype"] if c["dtype"] != "boolean" else "boolean", role="covariate")
        for c in case["columns"]
    ]
    return DatasetManifest(id="replies", title="replies", description="", rows=100, data_key="r/d.csv", columns=columns)


def reply_read_right(case: dict[str, Any], manifest: DatasetManifest | None = None) -> bool:
    """Whether the reply is read as ``expected`` says; ``manifest`` is the data's (folder sets), else the
    case's own column list (this set)."""
    from causal_agent.reading.columns import ColumnIndex
    from causal_agent.reading.confirm import read_confirmation
    from causal_agent.reading.reader import read_question
    from causal_agent.reading.replies import apply_replies
    from causal_agent.reading.timing import read_timing_reply

    manifest = manifest or _reply_manifest(case)
    prompt, expected, reply = case["prompt"], case["expected"], case["reply"]
    options = [str(o["id"]) for o in prompt.get("options") or []]
    if prompt["kind"] == "timing":
        read = read_timing_reply(
            reply,
            list(prompt.get("about") or []),
            ColumnIndex(manifest),
            options=options or None,
            prompt=prompt.get("text") or "Should I leave it out?",
        )
        if expected.get("unsettled"):
            return not read.decisions
        return read.decisions == expected.get("decisions")
    if prompt["kind"].startswith("choose_"):
        role = {"choose_treatment": "treatment", "choose_outcome": "outcome", "choose_column": "treatment"}[
            prompt["kind"]
        ]
        labels = [str(o.get("label")) for o in prompt.get("options") or []]
        reading = read_question(case["question"], manifest)
        expects = {"kind": "roles", "missing": [role], "options": {role: labels}}
        after = apply_replies(reading, [(expects, reply)], manifest)
        got = getattr(after, role)
        if expected.get("unsettled"):
            return got == getattr(reading, role)
        want = expected.get(role) or expected.get("column")
        return got == want
    # confirm_design
    options = [(str(o["id"]), str(o.get("label") or o["id"])) for o in prompt.get("options") or []]
    confirmed = read_confirmation(reply, options)
    if expected.get("unsettled"):
        return confirmed is None
    return confirmed is expected.get("design_confirmed")


def reply_tally(
    cases: list[dict[str, Any]], manifests: dict[str, DatasetManifest] | None = None
) -> dict[str, tuple[int, int]]:
    """(read right, asked) per prompt kind (the three choose kinds as one); ``manifests`` by schema for a
    folder set's replies."""
    asked: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for case in cases:
        kind = "choose" if case["prompt"]["kind"].startswith("choose_") else case["prompt"]["kind"]
        asked[kind] += 1
        right[kind] += reply_read_right(case, manifests[case["schema"]] if manifests else None)
    return {kind: (right[kind], asked[kind]) for kind in asked}
