"""Questions in a user's own words about a user's own CSV, over a real WebSocket, against `causal-stack up`.

The CSV is generated here with a known truth: a yes/no treatment whose take-up depends on a text column
(department), missing values, and an outcome the department also moves.
"""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np
import pandas as pd
import pytest
from stack_support import CLI

pytestmark = pytest.mark.slow
TRUE_EFFECT = 5.0


def _staff_csv(path) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 2000
    department = rng.choice(["sales", "support", "engineering"], n, p=[0.4, 0.35, 0.25])
    base = pd.Series(department).map({"sales": 0.0, "support": -6.0, "engineering": 9.0}).to_numpy()
    take_up = pd.Series(department).map({"sales": 0.25, "support": 0.45, "engineering": 0.75}).to_numpy()
    trained = rng.random(n) < take_up
    tenure = rng.gamma(2.0, 2.0, n).round(1)
    output = 50 + base + 0.8 * tenure + TRUE_EFFECT * trained + rng.normal(0, 3, n)
    frame = pd.DataFrame(
        {
            "staff_id": [f"S{i:05d}" for i in range(n)],
            "department": department,
            "tenure_years": tenure,
            "got_training": np.where(trained, rng.choice(["Yes", "yes"], n), rng.choice(["No", "no"], n)),
            "weekly_output": output.round(2),
        }
    )
    missing = rng.random(n) < 0.03
    frame.loc[missing, "tenure_years"] = np.nan
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture(scope="module")
def staff(stack, tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "staff.csv"
    frame = _staff_csv(path)
    uploaded = subprocess.run(
        [str(CLI), "upload", str(path), "--id", "staff-training"],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert uploaded.returncode == 0, uploaded.stderr
    assert "got_training (string): covariate; coded 'yes' = 1, 'no' = 0" in uploaded.stdout
    assert "staff_id (string): identifier" in uploaded.stdout
    return frame


async def _converse(stack, user: str, text: str, dataset: str, replies: list[str]) -> list[dict]:
    """Ask; answer each prompt with the next reply, in words; return every frame up to the answer."""
    from e2e.test_structure_e2e import converse

    return await converse(stack, user, text, dataset, [{"text": reply} for reply in replies])


def test_a_descriptive_question_gets_the_exact_number_and_its_query(stack, staff):
    frames = asyncio.run(
        _converse(stack, "dana", "what's the median weekly output in engineering?", "staff-training", [])
    )
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    expected = staff.loc[staff["department"] == "engineering", "weekly_output"].median()
    assert f"{expected:,.2f}" in answer["text"]
    assert "```sql" in answer["text"] and "MEDIAN" in answer["text"]
    assert "not an estimate of a causal effect" in answer["text"]
    assert answer.get("result") is None
    assert [f["name"] for f in frames if f["type"] == "tool" and f["status"] == "started"] == ["data_query"]


def test_a_question_about_something_the_data_lack_gets_no_estimate(stack, staff):
    frames = asyncio.run(
        _converse(stack, "dana", "Does the weather affect weekly output?", "staff-training", ["the weather", "no idea"])
    )
    prompts = [f for f in frames if f["type"] == "prompt"]
    assert prompts and "'weather'" in prompts[0]["question"] and "department" in prompts[0]["question"]
    answer = frames[-1]
    assert answer["type"] == "answer" and answer.get("result") is None
    assert "matches none of its columns" in answer["text"]
    assert not [f for f in frames if f["type"] == "tool" and f.get("name") == "causal_analysis"]


def test_a_yes_no_treatment_with_a_text_confounder_and_missing_values_is_estimated_with_the_right_adjustment(
    stack, staff
):
    frames = asyncio.run(
        _converse(stack, "dana", "Is weekly output affected by the training?", "staff-training", ["no, keep it"])
    )
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert (result["treatment"], result["outcome"]) == ("got_training", "weekly_output")
    low, high = result["ci"]
    assert low <= TRUE_EFFECT <= high, result
    assert abs(result["estimate"] - TRUE_EFFECT) < 1.0, result
    naive = staff.groupby(staff["got_training"].str.lower())["weekly_output"].mean()
    assert abs((naive["yes"] - naive["no"]) - TRUE_EFFECT) > 2.0  # the department confounds the raw comparison
    text = answer["text"]
    assert "Adjusted for:" in text and "`department`" in text and "`tenure_years`" in text
    assert "`staff_id` (an identifier" in text
    assert "missing" in text
