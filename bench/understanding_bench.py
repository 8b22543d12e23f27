"""How well questions are understood: the question reader against the reader it replaced, in one run.

    .venv/bin/python bench/understanding_bench.py [--baseline REV] [--show-failures]

Over each phrasing set in tests/data/understanding/ it prints the share of
questions read right (intent; for causal questions treatment, outcome — so
direction —, contrast and adjustment instructions; for descriptive ones the
statistic, columns and grouping), for this checkout's reader and for the
previous reader (``resolve_variables`` in causal_agent/intent.py at
``--baseline``, loaded from git). The previous reader had no intents: it read
every question as causal when it found two columns, and asked otherwise.

``cases.json`` is the development set written with the reader. The other sets
were written independently, without the reader's code, to measure how it does on
schemas and wordings it was not built on; each was scored once (that first-run
figure is in tests/data/understanding/README.md) and is a development set since
(``dev-*``). Folder sets (``dev-3/``: generate.py + cases.json) also get rows for
designs said in words and for subgroups.

Target: ≥ 95 % of the development set read right.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "lambdas")]

from understanding_support import (  # noqa: E402
    Case,
    load_any,
    phrasing_sets,
    reading_as_dict,
    score,
    score_designs,
    set_name,
)

from causal_agent.reading.reader import read_question  # noqa: E402

BASELINE_REV = "c816d48"
TARGET = 0.95


def load_baseline(rev: str) -> Any:
    """The previous reader's module, from git (it no longer exists in the tree)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:lambdas/causal_common/agent/intent.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "previous_intent.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("previous_intent", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["previous_intent"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def baseline_reading(module: Any, case: Case) -> dict[str, Any]:
    variables = module.resolve_variables(case.question, case.manifest)
    if not variables.complete:
        return {"intent": "unclear"}
    return {
        "intent": "causal",
        "treatment": variables.treatment,
        "outcome": variables.outcome,
        "contrast_sign": 1,
        "adjust_only": None,
        "exclude": [],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the previous reader")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    previous = load_baseline(args.baseline)
    development_ok = True
    print(
        f"{'set':<16} {'cases':>5}  {'reader: all right':>17} {'intent':>7} {'causal roles':>12} {'ms/question':>11}"
        f"   {'previous: all right':>19} {'intent':>7} {'causal roles':>12}   ratio"
    )
    design_rows: list[tuple[str, dict[str, tuple[int, int]]]] = []
    for path in phrasing_sets():
        cases = load_any(path)
        if path.is_dir():
            design_rows.append((set_name(path), score_designs(cases)))
        started = time.perf_counter()
        current = score(cases, lambda case: reading_as_dict(read_question(case.question, case.manifest)))
        per_question = (time.perf_counter() - started) * 1000 / len(cases)
        old = score(cases, lambda case: baseline_reading(previous, case))
        ratio = current["all_right"] / old["all_right"] if old["all_right"] else float("inf")
        print(
            f"{set_name(path):<16} {len(cases):>5}  {current['all_right']:>17.1%} {current['intent_right']:>7.1%} "
            f"{current['causal_roles_right']:>12.1%} {per_question:>11.2f}   {old['all_right']:>19.1%} "
            f"{old['intent_right']:>7.1%} {old['causal_roles_right']:>12.1%}   {ratio:.2f}x"
        )
        if set_name(path) == "cases":
            development_ok = current["all_right"] >= TARGET
        if args.show_failures:
            for schema, question, problems in current["failures"]:
                print(f"    {schema}: {question!r}: {'; '.join(problems)}")
    for name, rows in design_rows:
        for part, (right, asked) in rows.items():
            share = f"{right / asked:.1%}" if asked else "–"
            print(f"{name + ': ' + part + ' in words':<30} {share:>9} ({right}/{asked})")
    # Replies to the agent's own prompts (tests/data/understanding/replies), by prompt kind.
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from test_reply_set import scores as reply_scores

    for kind, share in sorted(reply_scores().items()):
        print(f"{'replies: ' + kind:<30} {share:>9.1%}")
    # The replies that come with the folder sets, read against their data's manifests.
    from causal_tasks.evaluation.questions import as_upload, load_set

    for path in phrasing_sets():
        if not path.is_dir():
            continue
        datasets, raw = load_set(path)
        replies = [case for case in raw if "reply" in case and case.get("schema") in datasets]
        if not replies:
            continue
        manifests = {name: as_upload(frame, name)[1] for name, frame in datasets.items()}
        for kind, share in sorted(reply_scores(replies, manifests).items()):
            print(f"{set_name(path) + ': replies ' + kind:<30} {share:>9.1%}")
    print("designs and estimates end to end: causal-stack eval --questions")
    print(f"target: development set ≥ {TARGET:.0%} read right: {'met' if development_ok else 'MISSED'}")
    return 0 if development_ok else 1


if __name__ == "__main__":
    sys.exit(main())
