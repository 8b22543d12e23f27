"""Datasets a user uploads with design roles — a panel, a cutoff — asked about over a real WebSocket.

The manifests carry the roles (period and unit; running variable and cutoff) the way an upload with roles set does;
the question names only the treatment and the outcome, and the task takes the design from the roles.
"""

from __future__ import annotations

import asyncio

import boto3
import numpy as np
import pandas as pd
import pytest
from e2e.test_agent_e2e import ask, assert_well_numbered

from causal_common.datasets import publish
from causal_common.models.datasets import DatasetManifest, data_key
from causal_common.names import ResourceNames
from causal_datasets.inference import columns_of

pytestmark = pytest.mark.slow
NAMES = ResourceNames()
PROMOTION_EFFECT = 4.0
SCHOLARSHIP_EFFECT = 2500.0


def upload(
    stack, dataset_id: str, frame: pd.DataFrame, roles: dict[str, str], cutoffs: dict[str, float] | None = None
) -> None:
    columns = [
        column.model_copy(update={"role": roles.get(column.name, "other"), "cutoff": (cutoffs or {}).get(column.name)})
        for column in columns_of(frame)
    ]
    manifest = DatasetManifest(
        id=dataset_id,
        title=dataset_id.replace("_", " "),
        description="uploaded for a test",
        rows=len(frame),
        columns=columns,
        data_key=data_key(dataset_id),
        origin="uploaded",
    )
    s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    publish(s3, NAMES, manifest, frame.to_csv(index=False).encode())


def store_panel() -> pd.DataFrame:
    """120 stores over 8 weeks; 45 run a promotion from week 5. Promoted stores sell more anyway (selection on levels)."""
    rng = np.random.default_rng(7)
    stores, weeks = 120, 8
    store = np.repeat(np.arange(1, stores + 1), weeks)
    week = np.tile(np.arange(1, weeks + 1), stores)
    promoted = np.zeros(stores)
    promoted[rng.choice(stores, 45, replace=False)] = 1
    level = 50 + 10 * promoted + rng.normal(0, 5, stores)
    season = np.array([0, 1, 3, 2, 4, 6, 5, 7], dtype=float)
    promotion = promoted[store - 1] * (week >= 5)
    sales = level[store - 1] + season[week - 1] + PROMOTION_EFFECT * promotion + rng.normal(0, 2, stores * weeks)
    return pd.DataFrame({"store": store, "week": week, "promotion": promotion.astype(int), "sales": sales.round(2)})


def scholarship_data() -> pd.DataFrame:
    """Students scoring 70 or more on an exam get a scholarship; income later rises smoothly with the score too."""
    rng = np.random.default_rng(11)
    n = 3000
    exam_score = rng.uniform(30, 100, n).round(1)
    scholarship = (exam_score >= 70).astype(int)
    age = rng.normal(19, 1.2, n).round(1)
    income = (
        20000
        + 250 * exam_score
        + 3 * (exam_score - 70) ** 2
        + SCHOLARSHIP_EFFECT * scholarship
        + 300 * (age - 19)
        + rng.normal(0, 2000, n)
    )
    return pd.DataFrame({"exam_score": exam_score, "scholarship": scholarship, "age": age, "income": income.round(0)})


def test_a_panel_with_period_and_unit_roles_is_answered_by_difference_in_differences(stack):
    frame = store_panel()
    upload(
        stack,
        "store_promotions",
        frame,
        {"store": "unit", "week": "time", "promotion": "treatment", "sales": "outcome"},
    )
    frames = asyncio.run(ask(stack, "dora", "Did the promotion raise sales?", "store_promotions"))
    assert_well_numbered(frames)
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert (result["treatment"], result["outcome"], result["design"], result["target"]) == (
        "promotion",
        "sales",
        "did",
        "att",
    )
    assert result["ci"][0] <= PROMOTION_EFFECT <= result["ci"][1], result
    promoted = frame.groupby("store")["promotion"].max()
    naive = frame[frame.promotion == 1].sales.mean() - frame[frame.promotion == 0].sales.mean()
    assert abs(result["estimate"] - PROMOTION_EFFECT) < abs(naive - PROMOTION_EFFECT)  # the level difference is gone
    pre_trends = next(r for r in result["refutations"] if r["name"] == "parallel pre-trends")
    assert pre_trends["passed"] and promoted.sum() == 45
    text = answer["text"]
    assert "difference in differences" in text and "promotion" in text and "parallel" in text
    assert text.count("**") >= 2 and "raises `sales`" in text


def test_a_cutoff_on_a_running_variable_is_answered_by_regression_discontinuity(stack):
    frame = scholarship_data()
    upload(
        stack,
        "scholarship_cutoff",
        frame,
        {"exam_score": "running", "scholarship": "treatment", "income": "outcome", "age": "covariate"},
        {"exam_score": 70.0},
    )
    frames = asyncio.run(ask(stack, "emil", "What is the effect of the scholarship on income?", "scholarship_cutoff"))
    assert_well_numbered(frames)
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert (result["treatment"], result["outcome"], result["design"], result["target"]) == (
        "scholarship",
        "income",
        "rdd",
        "at_cutoff",
    )
    assert result["ci"][0] <= SCHOLARSHIP_EFFECT <= result["ci"][1], result
    # Comparing all holders with all non-holders mixes in the score's own effect on income: far larger.
    assert result["naiveEstimate"] > 3 * SCHOLARSHIP_EFFECT
    assert next(r for r in result["refutations"] if r["name"] == "covariate balance at the cutoff")["passed"]
    text = answer["text"]
    assert "regression discontinuity" in text and "bandwidth" in text and "effect at the cutoff" in text
