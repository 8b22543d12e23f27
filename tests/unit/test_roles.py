"""The column-role rules are written once: the agent decides the adjustment set, the task applies it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_common.models.datasets import Column, DatasetManifest
from causal_common.models.roles import AdjustmentInstructions
from causal_common.models.tools import CausalAnalysisArgs
from causal_common.roles import decide_adjustment, measured_after_cue, with_adjustment_set
from causal_tasks.checks import post_treatment_suspects


def _manifest() -> DatasetManifest:
    def column(name: str, role: str, description: str = "") -> Column:
        return Column(name=name, dtype="float", role=role, description=description)  # type: ignore[arg-type]

    return DatasetManifest(
        id="study",
        title="study",
        description="",
        rows=100,
        columns=[
            column("person_id", "identifier"),
            column("treat", "treatment"),
            column("earnings", "outcome"),
            column("age", "covariate"),
            column("score_fu", "covariate"),
            column("baseline_score", "covariate"),
            column("mood", "covariate", "measured at the follow-up visit"),
            column("lottery", "instrument"),
            column("visit_date", "date"),
            column("region", "other"),
        ],
        data_key="study/data.csv",
    )


@pytest.mark.parametrize(
    "name, description, cue",
    [
        ("score_fu", "", "name"),
        ("finalExam", "", "name"),
        ("post_weight", "", "name"),
        ("baseline_score", "", None),
        ("weight_post", "weight before the programme", None),
        ("mood", "a mediator of the effect", "description"),
        ("age", "age in years", None),
    ],
)
def test_measured_after_cues(name, description, cue):
    assert measured_after_cue(name, description) == cue


def test_the_adjustment_set_leaves_out_what_the_roles_never_adjust_for_with_the_reason():
    decision = decide_adjustment(_manifest(), "treat", "earnings")
    assert decision.common_causes == ["age", "score_fu", "baseline_score", "mood"]
    assert decision.left_out["person_id"].startswith("an identifier")
    assert decision.left_out["lottery"].startswith("an instrument")
    assert decision.left_out["visit_date"] == "a date"
    assert "no role" in decision.left_out["region"]
    assert set(decision.suspects) == {"score_fu", "mood"}


def test_the_users_instruction_and_timing_win():
    decision = decide_adjustment(
        _manifest(),
        "treat",
        "earnings",
        instructions=AdjustmentInstructions(exclude={"age": "you asked to leave it out"}, also=["region"]),
        timing={"score_fu": "before"},
    )
    assert decision.common_causes == ["score_fu", "baseline_score", "mood", "region"]
    assert decision.left_out["age"] == "you asked to leave it out"
    assert set(decision.suspects) == {"mood"}


def test_a_call_without_common_causes_gets_the_decided_set_and_one_with_them_is_kept():
    args = CausalAnalysisArgs(treatment="treat", outcome="earnings", excluded=["mood"])
    assert with_adjustment_set(args, _manifest()).common_causes == ["age", "score_fu", "baseline_score"]
    given = CausalAnalysisArgs(treatment="treat", outcome="earnings", common_causes=["age"])
    assert with_adjustment_set(given, _manifest()).common_causes == ["age"]


def test_the_task_flags_by_the_same_cues_as_the_agent():
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {"treat": rng.integers(0, 2, 200), "score_fu": rng.normal(size=200), "age": rng.normal(size=200)}
    )
    flagged = {note.column for note in post_treatment_suspects(data, "treat", ["score_fu", "age"], {})}
    assert flagged == {"score_fu"}


@pytest.mark.parametrize(
    ("name", "description", "fixed"),
    [
        ("age", "", True),
        ("customerAge", "", True),
        ("sex", "", True),
        ("distance_km", "", True),
        ("home_region", "", True),
        ("baseline_score", "", True),
        ("engagement", "measured at enrolment", True),
        ("engagement", "", False),
        ("complaints_12m", "", False),
        ("page_views", "", False),
    ],
)
def test_traits_no_treatment_changes_are_fixed_before_it(name, description, fixed):
    from causal_common.roles import fixed_before_treatment

    assert fixed_before_treatment(name, description) is fixed


def test_a_yes_no_after_marker_beside_a_yes_no_treatment_is_a_period_not_a_suspect():
    columns = [
        Column(name="harbourside", dtype="integer", levels=["0", "1"], role="covariate"),
        Column(name="after_switch", dtype="integer", levels=["0", "1"], role="covariate"),
        Column(name="satisfaction_after", dtype="float", role="covariate"),
        Column(name="delay_min", dtype="float", role="covariate"),
    ]
    manifest = DatasetManifest(
        id="ferries", title="ferries", description="", rows=10, data_key="f/d.csv", columns=columns
    )
    assert manifest.column("after_switch").binary
    decision = decide_adjustment(manifest, "harbourside", "delay_min")
    assert "after_switch" not in decision.suspects
    assert "satisfaction_after" in decision.suspects  # a measurement taken afterwards stays a suspect
