"""A condition that is the rule the treatment followed ("for anyone with a score of 650 or higher") is how the
treatment was given, not the rows asked about: within it nobody is untreated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, SubgroupCondition
from causal_tasks.causal import run_causal_analysis


def _waiver(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(640, 60, n).round()
    income = rng.normal(60, 15, n) + 0.05 * (score - 640)
    waived = (score >= 650).astype(int)
    stayed = 0.3 + 0.0008 * (score - 640) + 0.2 * waived + rng.normal(0, 0.15, n)
    return pd.DataFrame({"score": score, "income_k": income, "waived": waived, "stayed": stayed})


def test_the_rule_said_as_a_subgroup_is_answered_as_a_discontinuity_with_a_note():
    args = CausalAnalysisArgs(
        treatment="waived",
        outcome="stayed",
        common_causes=["score", "income_k"],
        subgroup=[SubgroupCondition(column="score", op=">=", value=650.0)],
        refutation_simulations=1,
    )
    result = run_causal_analysis(_waiver(), args)
    assert result.design == "rdd"
    low, high = result.ci
    assert low <= 0.2 <= high
    assert any("not a subgroup" in warning for warning in result.warnings)


def test_a_real_subgroup_beside_the_rule_is_kept():
    data = _waiver()
    data["branch"] = np.where(np.arange(len(data)) % 2 == 0, "north", "south")
    args = CausalAnalysisArgs(
        treatment="waived",
        outcome="stayed",
        subgroup=[
            SubgroupCondition(column="score", op=">=", value=650.0),
            SubgroupCondition(column="branch", op="==", value="north"),
        ],
        refutation_simulations=1,
    )
    result = run_causal_analysis(data, args)
    assert result.design == "rdd" and result.subgroup == "branch == north"


def test_a_subgroup_where_everyone_was_treated_is_refused_plainly():
    rng = np.random.default_rng(8)
    n = 2000
    age = rng.integers(18, 80, n)
    treated = np.where(age >= 60, 1, rng.integers(0, 2, n))  # older people all got it; no sharp rule
    data = pd.DataFrame({"age": age, "treated": treated, "y": treated + rng.normal(size=n)})
    args = CausalAnalysisArgs(
        treatment="treated", outcome="y", subgroup=[SubgroupCondition(column="age", op=">=", value=70.0)]
    )
    with pytest.raises(InvalidInputError, match="nobody to compare"):
        run_causal_analysis(data, args)
