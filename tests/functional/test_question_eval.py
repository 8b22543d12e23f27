"""`causal-stack eval --questions`: questions in plain words, end to end in process, over a spread sample of each
phrasing set that comes with data; the run fails below the floors recorded in floors.json."""

from __future__ import annotations

import io
import json

import pytest

from causal_tasks.evaluation import questions

pytestmark = pytest.mark.slow
LIMIT = 8


def test_a_spread_sample_of_every_set_is_answered_at_least_as_well_as_recorded():
    floors = json.loads(questions.FLOORS_FILE.read_text())[questions.floor_key(LIMIT)]
    out = io.StringIO()
    code = questions.evaluate(limit=LIMIT, out=out)
    report = out.getvalue()
    assert code == 0, report
    sets = {p.name for p in questions.SETS_DIR.iterdir() if (p / "generate.py").is_file()}
    assert sets <= set(floors), f"sets without a floor: {sorted(sets - set(floors))}"
    for name in sets:
        assert f"{name}: {LIMIT} questions" in report


def test_a_set_below_its_floor_fails_the_run(monkeypatch, tmp_path):
    floors = {questions.floor_key(2): {name: 1.01 for name in ("dev-3", "dev-4")}}
    path = tmp_path / "floors.json"
    path.write_text(json.dumps(floors))
    monkeypatch.setattr(questions, "FLOORS_FILE", path)
    out = io.StringIO()
    assert questions.evaluate(["dev-3"], limit=2, out=out) == 1
    assert "TARGETS MISSED: dev-3 all right" in out.getvalue()
