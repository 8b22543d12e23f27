"""A group × post layout in the data (a treated-group indicator beside an after indicator) is a difference in
differences: in a panel, and in repeated cross-sections before and after."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs
from causal_tasks import shape
from causal_tasks.causal import run_causal_analysis

EFFECT = 3.0


def _panel(seed: int = 2) -> pd.DataFrame:
    """Counties over years; the treated ones (higher to begin with) get the rule from 2015; `after` marks 2015 on."""
    rng = np.random.default_rng(seed)
    counties, years = 80, np.arange(2010, 2020)
    rows = []
    treated = rng.uniform(size=counties) < 0.4
    level = rng.normal(size=counties) + 4 * treated
    for county in range(counties):
        for year in years:
            after = int(year >= 2015)
            y = level[county] + 0.5 * (year - 2010) + EFFECT * treated[county] * after + rng.normal()
            rows.append(
                {
                    "county": f"C{county:03d}",
                    "year": int(year),
                    "rule_county": int(treated[county]),
                    "after": after,
                    "injuries": y,
                }
            )
    return pd.DataFrame(rows)


def _cross_sections(seed: int = 4) -> pd.DataFrame:
    """Houses sold before and after an incinerator was announced; those near it were cheaper anyway."""
    rng = np.random.default_rng(seed)
    n = 1200
    near = (rng.uniform(size=n) < 0.3).astype(int)
    post = (rng.uniform(size=n) < 0.5).astype(int)
    rooms = rng.integers(3, 9, n)
    price = 100 - 15 * near + 8 * post + 6 * rooms - 10 * near * post + rng.normal(0, 5, n)
    return pd.DataFrame({"near_site": near, "post_announcement": post, "rooms": rooms, "price": price})


def _run(frame: pd.DataFrame, treatment: str, outcome: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_causal_analysis(
            frame, CausalAnalysisArgs(treatment=treatment, outcome=outcome, refutation_simulations=1)
        )


def test_a_group_indicator_beside_an_after_indicator_in_a_panel_is_a_difference_in_differences():
    frame = _panel()
    found = shape.group_post(frame, "rule_county", "injuries", shape.detect_panel(frame, "rule_county", "injuries"))
    assert found is not None and (found.post, found.start) == ("after", 2015.0)
    result = _run(frame, "rule_county", "injuries")
    assert result.design == "did" and result.design_from_data
    assert result.ci is not None and result.ci[0] <= EFFECT <= result.ci[1]
    assert any("group × post" in w for w in result.warnings)


def test_repeated_cross_sections_with_a_post_column_are_a_two_by_two_difference_in_differences():
    frame = _cross_sections()
    result = _run(frame, "near_site", "price")
    assert result.design == "did" and result.design_from_data
    assert result.ci is not None and result.ci[0] <= -10 <= result.ci[1]


def test_a_binary_covariate_without_an_after_name_or_a_period_pattern_is_not_a_post_column():
    frame = _cross_sections().rename(columns={"post_announcement": "garden"})
    assert shape.group_post(frame, "near_site", "price", None) is None
    assert _run(frame, "near_site", "price").design == "backdoor"
