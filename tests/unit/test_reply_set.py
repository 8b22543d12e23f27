"""The reply reader against replies written by someone who never read it (tests/data/understanding/replies).

Each case is a prompt the agent could ask (when a column was measured, which column is the treatment …),
the user's reply, and what it settles, or that it settles nothing and must be asked again. The floors
are the figures recorded when the set was first scored; a change that reads fewer replies right fails.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from causal_agent.reading.columns import ColumnIndex
from causal_agent.reading.confirm import read_confirmation
from causal_agent.reading.reader import read_question
from causal_agent.reading.replies import apply_replies
from causal_agent.reading.timing import read_timing_reply
from causal_common.models.datasets import Column, DatasetManifest

SET = Path(__file__).resolve().parents[1] / "data" / "understanding" / "replies" / "cases.json"
# Share read right, per prompt kind, as last recorded (first scoring: timing 0.766, choose 0.717, confirm 0).
FLOORS = {"timing": 1.0, "choose": 0.978, "confirm_design": 1.0}


def _manifest(case: dict[str, Any]) -> DatasetManifest:
    columns = [
        Column(name=c["name"], dtype=c["dtype"] if c["dtype"] != "boolean" else "boolean", role="covariate")
        for c in case["columns"]
    ]
    return DatasetManifest(id="replies", title="replies", description="", rows=100, data_key="r/d.csv", columns=columns)


def read_right(case: dict[str, Any], manifest: DatasetManifest | None = None) -> bool:
    manifest = manifest or _manifest(case)
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


def scores(
    cases: list[dict[str, Any]] | None = None, manifests: dict[str, DatasetManifest] | None = None
) -> dict[str, float]:
    """Share read right per prompt kind: this set's replies, or a folder set's (each with its data's manifest)."""
    cases = cases if cases is not None else json.loads(SET.read_text())["cases"]
    tally: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for case in cases:
        kind = "choose" if case["prompt"]["kind"].startswith("choose_") else case["prompt"]["kind"]
        tally[kind] += 1
        right[kind] += read_right(case, (manifests or {}).get(case.get("schema", "")))
    return {kind: right[kind] / tally[kind] for kind in tally}


def test_replies_are_read_at_least_as_well_as_when_the_set_was_first_scored():
    found = scores()
    for kind, floor in FLOORS.items():
        assert found[kind] >= floor - 1e-9, f"{kind}: {found[kind]:.1%} < floor {floor:.1%}"


if __name__ == "__main__":
    for kind, share in sorted(scores().items()):
        print(f"{kind:<15} {share:.1%}")
