"""Designs visible in the data's shape: a unit repeated over periods with an indicator that switches on is a
panel; a cross-section whose columns merely repeat is not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs
from causal_tasks.causal import run_causal_analysis
from causal_tasks.did import period_codes
from causal_tasks.shape import detect_panel, start_code


def _panel(staggered: bool, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, periods = 60, 10
    unit = np.repeat([f"r{i:02d}" for i in range(units)], periods)
    year = np.tile(np.arange(2010, 2010 + periods), units)
    starts = rng.choice([2014, 2016] if staggered else [2015], units)
    starts[: units // 3] = 9999  # never treated
    on = (year >= np.repeat(starts, periods)).astype(int)
    level = np.repeat(rng.normal(0, 3, units) + 2 * (starts < 9999), periods)
    outcome = level + 0.3 * (year - 2010) + 2.0 * on + rng.normal(0, 0.5, units * periods)
    return pd.DataFrame({"region": unit, "year": year, "policy": on, "outcome": outcome})


def test_a_switch_on_indicator_over_units_and_years_is_a_panel():
    shape = detect_panel(_panel(staggered=False), "policy", "outcome")
    assert shape is not None and (shape.unit, shape.period, shape.layout) == ("region", "year", "switch_on")


def test_units_switching_on_in_different_periods_are_staggered():
    shape = detect_panel(_panel(staggered=True), "policy", "outcome")
    assert shape is not None and shape.layout == "staggered" and set(shape.adoption) == {"2014", "2016"}


def test_a_cross_section_with_a_date_and_a_repeated_measurement_is_not_a_panel():
    rng = np.random.default_rng(2)
    n = 2000
    frame = pd.DataFrame(
        {
            "driver_age": rng.integers(18, 80, n),
            "policy_start": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D"),
            "telematics": rng.integers(0, 2, n),
            "claims": rng.normal(1000, 200, n),
        }
    )
    frame["policy_start"] = frame["policy_start"].dt.strftime("%Y-%m-%d")
    assert detect_panel(frame, "telematics", "claims") is None


def test_the_panel_is_answered_by_difference_in_differences_without_roles():
    result = run_causal_analysis(
        _panel(staggered=False), CausalAnalysisArgs(treatment="policy", outcome="outcome", refutation_simulations=1)
    )
    assert result.design == "did"
    assert abs(result.estimate - 2.0) < 0.3  # the naive difference also carries the treated regions' higher level
    assert any("panel" in warning for warning in result.warnings)


def test_a_treated_group_named_by_value_from_a_start_quarter_is_a_difference_in_differences():
    rng = np.random.default_rng(4)
    states = ["Oregon", "Washington", "Idaho", "Nevada"]
    quarters = [f"{year}Q{q}" for year in (2018, 2019, 2020, 2021) for q in (1, 2, 3, 4)]
    rows = []
    for state in states:
        for pharmacy in range(15):
            base = rng.normal(50, 5)
            for index, quarter in enumerate(quarters):
                treated = state == "Oregon" and quarter >= "2020Q1"
                rows.append(
                    (state, f"{state}-{pharmacy}", quarter, base + 0.5 * index + 6.0 * treated + rng.normal(0, 1))
                )
    frame = pd.DataFrame(rows, columns=["state", "pharmacy", "qtr", "fills"])
    args = CausalAnalysisArgs(
        treatment="state",
        outcome="fills",
        group_column="state",
        treated_groups=["oregon"],
        treatment_start="2020Q1",
        design="did",
        refutation_simulations=1,
    )
    result = run_causal_analysis(frame, args)
    assert result.design == "did" and result.ci is not None and result.ci[0] <= 6.0 <= result.ci[1]
    codes, _ = period_codes(frame["qtr"])
    assert start_code(frame["qtr"], "2020Q1") == codes[frame["qtr"] == "2020Q1"].iloc[0]
