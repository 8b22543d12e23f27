"""Every phrasing set is read at least as well as its recorded figure (tests/data/understanding/floors.json).

The figures are the reader's, with no estimation: intent, treatment, outcome, contrast, adjustment and the
descriptive reading for every set; designs said in words and subgroups for the sets that come with data.
"""

from __future__ import annotations

import json

import pytest
from understanding_support import (
    CASES_FILE,
    folder_sets,
    load_any,
    load_folder_replies,
    phrasing_sets,
    reading_as_dict,
    reply_tally,
    score,
    score_designs,
    set_name,
)

from causal_agent.reading.reader import read_question

ROOT = CASES_FILE.parent
FLOORS = json.loads((ROOT / "floors.json").read_text())
SETS = phrasing_sets()
_name, _cases = set_name, load_any


def test_every_set_has_a_floor():
    assert {_name(path) for path in SETS} <= set(FLOORS["reading"])


@pytest.mark.parametrize("path", SETS, ids=_name)
def test_a_set_is_read_at_least_as_well_as_recorded(path):
    cases = _cases(path)
    result = score(cases, lambda case: reading_as_dict(read_question(case.question, case.manifest)))
    floor = FLOORS["reading"][_name(path)]
    assert result["all_right"] >= floor - 1e-9, (
        f"{_name(path)}: {result['all_right']:.1%} read right, floor {floor:.1%}; first failures: "
        + "; ".join(f"{q!r}: {p}" for _, q, p in result["failures"][:5])
    )


@pytest.mark.parametrize("path", folder_sets(), ids=_name)
def test_designs_and_subgroups_in_words_are_read_at_least_as_well_as_recorded(path):
    rows = score_designs(_cases(path))
    for part in ("designs in words", "subgroups in words"):
        right, asked = rows[part.split()[0]]
        assert asked, f"{_name(path)} asks no {part}"
        assert right / asked >= FLOORS[part][_name(path)] - 1e-9, f"{_name(path)} {part}: {right}/{asked}"


@pytest.mark.parametrize("path", folder_sets(), ids=_name)
def test_replies_in_a_folder_set_are_read_at_least_as_well_as_recorded(path):
    replies, manifests = load_folder_replies(path)
    floors = FLOORS["replies"][_name(path)]
    for kind, (right, asked) in reply_tally(replies, manifests).items():
        assert right / asked >= floors[kind] - 1e-9, f"{_name(path)} replies, {kind}: {right}/{asked}"
