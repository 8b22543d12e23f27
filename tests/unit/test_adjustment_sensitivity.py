"""Every adjustment answer shows how the estimate moves when each covariate is left out, so a collider with a
neutral name cannot hide: the user sees that the decision matters and is asked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_common.models.tools import CausalAnalysisArgs
from causal_tasks.causal import run_causal_analysis


def _collider_data(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    campaign = (rng.uniform(size=n) < 1 / (1 + np.exp(-(age - 40) / 10))).astype(int)
    sales = 2.0 * campaign + 0.1 * age + rng.normal(size=n)
    # Caused by both the treatment and the outcome: adjusting for it biases the estimate towards zero.
    tickets = 3.0 * campaign + 2.0 * sales + rng.normal(size=n)
    return pd.DataFrame({"age": age, "campaign": campaign, "sales": sales, "tickets": tickets})


def test_leaving_out_a_neutrally_named_collider_is_shown_to_change_the_answer():
    data = _collider_data()
    args = CausalAnalysisArgs(
        treatment="campaign", outcome="sales", common_causes=["age", "tickets"], refutation_simulations=1
    )
    result = run_causal_analysis(data, args)
    variants = {tuple(v.left_out): v for v in result.adjustment_sensitivity}
    assert set(variants) == {(), ("age",), ("tickets",)}
    without_collider = variants[("tickets",)]
    assert without_collider.moves
    assert without_collider.ci is not None and without_collider.ci[0] <= 2.0 <= without_collider.ci[1]
    assert any("depends on what is adjusted for" in warning for warning in result.warnings)


def test_a_confounder_that_barely_matters_is_not_flagged():
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.normal(size=n)
    t = (rng.uniform(size=n) < 0.5).astype(int)
    y = 1.5 * t + 0.05 * x + rng.normal(size=n)
    args = CausalAnalysisArgs(treatment="t", outcome="y", common_causes=["x"], refutation_simulations=1)
    result = run_causal_analysis(pd.DataFrame({"x": x, "t": t, "y": y}), args)
    assert result.adjustment_sensitivity and not any(v.moves for v in result.adjustment_sensitivity)
