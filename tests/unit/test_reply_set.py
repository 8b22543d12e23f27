"""The reply reader against replies written by someone who never read it (tests/data/understanding/replies).

Each case is a prompt the agent could ask (when a column was measured, which column is the treatment …),
the user's reply, and what it settles, or that it settles nothing and must be asked again. The floors
are the figures recorded when the set was first scored; a change that reads fewer replies right fails.
"""

from __future__ import annotations

import json
from pathlib import Path

from understanding_support import reply_tally

SET = Path(__file__).resolve().parents[1] / "data" / "understanding" / "replies" / "cases.json"
# Share read right, per prompt kind, as last recorded (first scoring: timing 0.766, choose 0.717, confirm 0).
FLOORS = {"timing": 1.0, "choose": 1.0, "confirm_design": 1.0}


def scores() -> dict[str, float]:
    return {kind: right / asked for kind, (right, asked) in reply_tally(json.loads(SET.read_text())["cases"]).items()}


def test_replies_are_read_at_least_as_well_as_when_the_set_was_first_scored():
    found = scores()
    for kind, floor in FLOORS.items():
        assert found[kind] >= floor - 1e-9, f"{kind}: {found[kind]:.1%} < floor {floor:.1%}"


if __name__ == "__main__":
    for kind, share in sorted(scores().items()):
        print(f"{kind:<15} {share:.1%}")
