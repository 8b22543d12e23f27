"""A cutoff visible in the data: the treatment is on exactly on one side of a value of a column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_tasks.shape import cutoff_in, detect_cutoff

RNG = np.random.default_rng(17)


def test_a_treatment_on_at_and_above_a_value_of_a_continuous_column_is_a_cutoff():
    score = pd.Series(RNG.normal(600, 50, 2000).round(), name="score")
    found = cutoff_in((score >= 620).astype(float), score)
    assert found is not None and (found.column, found.cutoff, found.side) == ("score", 620.0, "above")


def test_a_treatment_on_below_a_value_is_a_cutoff_on_the_lower_side():
    income = pd.Series(RNG.uniform(5, 80, 2000), name="income_k")
    found = cutoff_in((income < 30).astype(float), income)
    assert found is not None and found.side == "below" and 30 <= found.cutoff < 30.2


def test_an_outcome_the_treatment_moved_far_apart_is_not_a_cutoff():
    treated = pd.Series(RNG.integers(0, 2, 2000).astype(float))
    outcome = pd.Series(1000 * treated + RNG.normal(0, 10, 2000), name="sales")
    assert cutoff_in(treated, outcome) is None


def test_an_overlapping_column_a_code_with_few_levels_or_too_few_rows_on_a_side_is_not_a_cutoff():
    x = pd.Series(RNG.normal(0, 1, 2000), name="x")
    fuzzy = ((x + RNG.normal(0, 0.3, 2000)) > 0).astype(float)
    assert cutoff_in(fuzzy, x) is None
    band = pd.Series(RNG.integers(1, 6, 2000), name="band")
    assert cutoff_in((band >= 3).astype(float), band) is None
    assert cutoff_in((x > 3.2).astype(float), x) is None  # a handful of treated rows


def test_a_yes_no_treatment_is_read_through_its_words_and_the_first_cutoff_column_is_given():
    score = RNG.normal(50, 10, 1500).round(1)
    frame = pd.DataFrame(
        {"age": RNG.integers(18, 80, 1500), "score": score, "passed": np.where(score >= 55, "Yes", "No")}
    )
    found = detect_cutoff(frame, "passed", ["age", "score"])
    assert found is not None and found.column == "score" and found.cutoff == 55.0
    assert detect_cutoff(frame, "passed", ["age"]) is None


def test_the_dose_of_a_yes_no_treatment_is_not_a_cutoff():
    coached = pd.Series(RNG.integers(0, 2, 2000).astype(float))
    hours = pd.Series(np.where(coached == 1, RNG.integers(2, 30, 2000), 0).astype(float), name="coaching_hrs")
    assert cutoff_in(coached, hours) is None
