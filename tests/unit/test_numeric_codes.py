"""Numbers that are codes: a covariate with a few whole-number values that name categories (an education
category 1–5, a region code 1–9) is one-hot coded when adjusted for, and the answer says so; counts
(number of children 0–4) stay numbers. The rule: at most 10 distinct whole numbers, and the column's name
or description calls it a code, category, type, group, class, level, region, … and not a count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_agent.answer import causal_lines
from causal_common.models.tools import CausalSummary, ColumnNote
from causal_tasks.frame import numeric_code_levels, prepare


def _frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "t": rng.integers(0, 2, n),
            "y": rng.normal(size=n),
            "educ_cat": rng.integers(1, 6, n),
            "region": rng.integers(1, 10, n),
            "n_children": rng.integers(0, 5, n),
            "kids": rng.integers(0, 5, n),
            "age": rng.integers(18, 80, n),
            "plan": rng.choice([1, 2, 4], n),
            "sector_code": rng.integers(1, 13, n),  # 12 levels: too many to call a handful of categories
            "score_level": rng.normal(size=n).round(2),  # not whole numbers
        }
    )


@pytest.mark.parametrize(
    "name, levels",
    [("educ_cat", (1, 5)), ("region", (1, 9))],
)
def test_a_named_code_with_few_whole_levels_is_one_hot_coded_and_said(name, levels):
    prepared = prepare(_frame(), "t", "y", [name, "age"], [])
    count = levels[1] - levels[0] + 1
    dummies = [column for column, source in prepared.encoded_from.items() if source == name]
    assert len(dummies) == count - 1 and name not in prepared.covariates
    note = next(note for note in prepared.coded if note.column == name)
    assert f"({levels[0]}–{levels[1]}) treated as {count} categories" in note.reason
    assert "age" in prepared.covariates  # a measurement with many values stays a number


@pytest.mark.parametrize("name", ["n_children", "kids", "age", "sector_code", "score_level"])
def test_counts_measurements_and_many_level_codes_stay_numbers(name):
    prepared = prepare(_frame(), "t", "y", [name], [])
    assert prepared.covariates == [name] and not prepared.coded


def test_a_description_can_say_a_number_is_a_code():
    prepared = prepare(_frame(), "t", "y", ["plan"], [], descriptions={"plan": "insurance plan type"})
    note = next(note for note in prepared.coded if note.column == "plan")
    assert "treated as 3 categories" in note.reason and "1, 2, 4" in note.reason
    plain = prepare(_frame(), "t", "y", ["plan"], [])
    assert plain.covariates == ["plan"]


def test_a_count_cue_outweighs_a_code_cue():
    frame = _frame().rename(columns={"n_children": "number_of_children_group"})
    prepared = prepare(frame, "t", "y", ["number_of_children_group"], [])
    assert prepared.covariates == ["number_of_children_group"]


def test_the_rule_is_explainable_column_by_column():
    frame = _frame()
    assert numeric_code_levels("region", frame["region"]) == list(range(1, 10))
    assert numeric_code_levels("n_children", frame["n_children"]) is None
    assert numeric_code_levels("sector_code", frame["sector_code"]) is None


def test_the_treatment_and_outcome_are_never_recoded():
    frame = _frame().rename(columns={"t": "group"})
    frame["group"] = frame["group"] + 1  # 1/2 coded
    prepared = prepare(frame, "group", "y", ["region"], [])
    assert "group" in prepared.frame.columns and all(n.column != "group" for n in prepared.coded)


def test_the_answer_says_which_coding_it_used():
    summary = CausalSummary.model_validate(
        {
            "treatment": "t",
            "outcome": "y",
            "estimate": 1.0,
            "ci": [0.5, 1.5],
            "method": "backdoor.linear_regression",
            "common_causes": ["education", "age"],
            "coded": [ColumnNote(column="education", reason="(1–5) treated as 5 categories (a code, not an amount)")],
        }
    )
    text = "\n".join(causal_lines(summary))
    assert "education (1–5) treated as 5 categories" in text


@pytest.mark.slow
def test_adjusting_for_a_region_code_as_categories_removes_the_confounding_a_slope_leaves():
    from causal_common.models.tools import CausalAnalysisArgs
    from causal_tasks.causal import run_causal_analysis

    rng = np.random.default_rng(5)
    n = 3000
    region = rng.integers(1, 8, n)
    # Each region's pull on treatment and outcome has no order: a slope in the code cannot capture it.
    pull = np.array([0.0, 2.0, -1.5, 1.0, -2.0, 2.5, -0.5, 0.0])[region]
    treated = (rng.normal(size=n) + pull > 0).astype(int)
    outcome = 1.0 * treated + 2.0 * pull + rng.normal(size=n)

    def linear(name: str):
        frame = pd.DataFrame({"t": treated, "y": outcome, name: region})
        args = CausalAnalysisArgs(treatment="t", outcome="y", common_causes=[name], refutation_simulations=2)
        result = run_causal_analysis(frame, args)
        return result, next(m for m in result.methods if m.method == "backdoor.linear_regression")

    coded, line = linear("region")
    assert line.ci[0] <= 1.0 <= line.ci[1], line
    assert any(note.column == "region" and "treated as 7 categories" in note.reason for note in coded.coded)
    assert coded.common_causes == ["region"]
    _, as_number = linear("r")  # no word says it is a code: one slope, and the regression is far off
    assert as_number.estimate > 3.0
