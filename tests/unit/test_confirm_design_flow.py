"""A design read from the data alone is put to the user, with options; the reply decides the answer."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from causal_agent import planner
from causal_agent.conversation import assistant_tool_call, compact_outcome, tool_message, user_message
from causal_common.errors import InvalidInputError
from causal_common.models.tools import CausalAnalysisArgs, ToolOutcome
from causal_tasks.causal import run_causal_analysis
from causal_tasks.design import DatasetRoles
from causal_tasks.evaluation.questions import as_upload


def _panel(seed: int = 3) -> pd.DataFrame:
    """Stores over months; some get self-service kiosks from month 7 on, and they had longer queues before."""
    rng = np.random.default_rng(seed)
    stores, months = 60, 12
    store = np.repeat(np.arange(100, 100 + stores), months)
    month = np.tile(np.arange(1, months + 1), stores)
    adopter = rng.uniform(size=stores) < 0.5
    level = rng.normal(size=stores) + 3 * adopter
    kiosk = (adopter[store - 100] & (month >= 7)).astype(int)
    wait = 10 + level[store - 100] + 0.3 * month - 2.0 * kiosk + rng.normal(size=stores * months)
    return pd.DataFrame({"store": store, "month": month, "kiosk": kiosk, "wait_min": wait})


def _answer(conversation: list[dict[str, Any]], call, result: dict[str, Any]) -> None:
    conversation.append(assistant_tool_call(call))
    outcome = ToolOutcome(tool=call.name, call_id=call.call_id, ok=True, result=result)
    conversation.append(tool_message(call.call_id, compact_outcome(outcome)))


def _converse(
    replies: list[dict[str, str]],
    data: pd.DataFrame | None = None,
    question: str = "did the kiosks cut wait_min?",
) -> tuple[list[dict[str, Any]], list[Any], Any]:
    """Run the planner with the real analysis; answer each prompt with the next reply. (asks, analyses, final)."""
    frame, manifest = as_upload(_panel() if data is None else data, "stores" if data is None else "uploaded")
    conversation = [user_message(question)]
    asks: list[dict[str, Any]] = []
    analyses: list[dict[str, Any]] = []
    for _ in range(12):
        decision = planner.plan(planner.PlannerInput(conversation, manifest, interactive=True))
        if decision.kind != "tool":
            return asks, analyses, decision
        call = decision.tool_call
        if call.name == "ask_user":
            asks.append(call.arguments)
            _answer(conversation, call, replies.pop(0))
        elif call.name == "causal_analysis":
            analyses.append(dict(call.arguments))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = run_causal_analysis(
                    frame,
                    CausalAnalysisArgs.model_validate({**call.arguments, "refutation_simulations": 1}),
                    roles=DatasetRoles.from_manifest(manifest),
                )
            _answer(conversation, call, result.model_dump(mode="json"))
        else:
            _answer(conversation, call, {})
    raise AssertionError("the conversation did not end")


def test_a_panel_read_from_the_data_is_confirmed_with_a_button():
    asks, analyses, final = _converse([{"reply": "Yes: use difference in differences", "optionId": "yes"}])
    assert len(asks) == 1 and asks[0]["expects"]["kind"] == "confirm_design"
    assert [o["id"] for o in asks[0]["options"]] == ["yes", "no"]
    assert "difference in differences" in asks[0]["question"] and "'store' observed over 'month'" in asks[0]["question"]
    assert len(analyses) == 1
    assert "you confirmed difference in differences" in final.text


@pytest.mark.parametrize("reply", ["no, just adjust", "nah, plain regression please"])
def test_turning_the_design_down_in_words_gives_plain_adjustment(reply):
    asks, analyses, final = _converse([{"reply": reply}])
    assert len(asks) == 1
    assert [a.get("design") for a in analyses] == [None, "backdoor"]
    assert "turned difference in differences down" in final.text


def test_a_reply_that_settles_nothing_is_asked_again_then_read():
    asks, analyses, final = _converse([{"reply": "what is a difference in differences?"}, {"reply": "ok, go ahead"}])
    assert len(asks) == 2 and asks[1]["question"].startswith("I could not tell from your reply")
    assert len(analyses) == 1 and "you confirmed" in final.text


def test_nobody_is_asked_when_the_question_names_the_design_or_nobody_can_reply():
    frame, manifest = as_upload(_panel(), "stores")
    conversation = [user_message("kiosks went in from month 7 at some stores: did they cut wait_min?")]
    decision = planner.plan(planner.PlannerInput(conversation, manifest, interactive=False))
    assert decision.kind == "tool" and decision.tool_call.name != "ask_user"


def test_a_panel_the_dataset_declares_is_not_put_to_the_user():
    frame = _panel()
    roles = DatasetRoles(time="month", unit="store")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        declared = run_causal_analysis(
            frame, CausalAnalysisArgs(treatment="kiosk", outcome="wait_min", refutation_simulations=1), roles=roles
        )
        read = run_causal_analysis(
            frame, CausalAnalysisArgs(treatment="kiosk", outcome="wait_min", refutation_simulations=1)
        )
    assert declared.design == read.design == "did"
    assert not declared.design_from_data and read.design_from_data


def _bursaries(seed: int = 5) -> pd.DataFrame:
    """Students scoring 70 or more on an entrance test got a bursary; the test score also predicts grades."""
    rng = np.random.default_rng(seed)
    n = 3000
    score = rng.normal(65, 10, n).round()
    bursary = np.where(score >= 70, "yes", "no")
    grade = 40 + 0.5 * score + 4.0 * (score >= 70) + rng.normal(0, 3, n)
    hours = rng.normal(20, 5, n)
    return pd.DataFrame({"entry_test": score, "bursary": bursary, "study_hrs": hours, "grade_y2": grade})


def test_a_cutoff_read_from_the_data_is_put_to_the_user_and_answered_as_a_discontinuity():
    asks, analyses, final = _converse(
        [{"reply": "yes", "optionId": "yes"}], _bursaries(), "did the bursary raise second-year grades?"
    )
    assert len(asks) == 1 and asks[0]["expects"]["kind"] == "confirm_design"
    assert asks[0]["expects"]["design"] == "rdd"
    question = asks[0]["question"]
    assert "regression discontinuity" in question and "'entry_test' is at or above 70" in question
    assert "you confirmed a regression discontinuity" in final.text


def test_the_column_that_assigned_the_treatment_is_never_its_outcome():
    frame, manifest = as_upload(_bursaries(), "uploaded")
    with pytest.raises(InvalidInputError, match="'entry_test' decided who was treated.*'grade_y2'"):
        run_causal_analysis(
            frame,
            CausalAnalysisArgs(treatment="bursary", outcome="entry_test", refutation_simulations=1),
            roles=DatasetRoles.from_manifest(manifest),
        )
