"""The conversation about causal structure and designs a user implies, over a real WebSocket.

Uploads carry no roles (as a user's CSV does): a panel is recognised from its shape and put to the user to
confirm, a cutoff is read from the question's words, a subgroup from "for …"; a timing prompt is answered by
its button (``optionId``) and by the free text "keep it".
"""

from __future__ import annotations

import asyncio
import json

import boto3
import numpy as np
import pandas as pd
import pytest
import websockets
from e2e.test_agent_e2e import assert_well_numbered, collect, token_for
from e2e.test_designs_e2e import PROMOTION_EFFECT, SCHOLARSHIP_EFFECT, scholarship_data, store_panel

from causal_common.datasets import publish
from causal_common.names import ResourceNames
from causal_datasets.uploads import manifest_for_upload

pytestmark = pytest.mark.slow
NAMES = ResourceNames()
MENTORING_EFFECT = 3.0


def upload_as_is(stack, dataset_id: str, frame: pd.DataFrame) -> None:
    """The CSV with its roles inferred, as `causal-stack upload` without role options stores it."""
    manifest = manifest_for_upload(frame, dataset_id)
    s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    publish(s3, NAMES, manifest, frame.to_csv(index=False).encode())


def mentoring_data() -> pd.DataFrame:
    """Mentoring raises output by 3; `rating_after` is recorded at the end, yet here it was fixed beforehand."""
    rng = np.random.default_rng(5)
    n = 2500
    rating_after = rng.normal(3, 1, n).round(2)  # despite its name, a pre-treatment confounder here
    sex = rng.choice(["woman", "man"], n)
    mentoring = (rng.uniform(size=n) < 1 / (1 + np.exp(-(rating_after - 3)))).astype(int)
    output = 20 + MENTORING_EFFECT * mentoring + 4 * rating_after + rng.normal(0, 1, n)
    return pd.DataFrame({"mentoring": mentoring, "rating_after": rating_after, "sex": sex, "output": output.round(2)})


async def converse(stack, user: str, text: str, dataset: str, replies: list[dict]) -> list[dict]:
    """Ask; answer each prompt with the next reply (text or optionId); every frame up to the answer."""
    frames: list[dict] = []
    async with websockets.connect(f"{stack.websocket_url}?token={token_for(stack, user)}") as socket:
        await socket.send(json.dumps({"action": "query", "text": text, "datasetId": dataset}))
        pending = list(replies)
        while True:
            batch = await collect(socket, until=("answer", "error", "prompt"))
            frames += batch
            last = batch[-1]
            if last["type"] != "prompt":
                return frames
            assert pending, f"unexpected question: {last.get('question')}"
            await socket.send(json.dumps({"action": "reply", "sessionId": last["sessionId"], **pending.pop(0)}))


def test_a_panel_with_a_switch_on_indicator_is_recognised_from_its_shape_and_confirmed_by_button(stack):
    upload_as_is(stack, "store_panel_plain", store_panel())
    frames = asyncio.run(
        converse(stack, "pia", "Did the promotion raise sales?", "store_panel_plain", [{"optionId": "yes"}])
    )
    assert_well_numbered(frames)
    prompts = [f for f in frames if f["type"] == "prompt"]
    assert len(prompts) == 1 and "panel" in prompts[0]["question"]
    assert [o["id"] for o in prompts[0]["options"]] == ["yes", "no"]
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert (result["treatment"], result["outcome"], result["design"]) == ("promotion", "sales", "did")
    assert result["ci"][0] <= PROMOTION_EFFECT <= result["ci"][1], result
    assert "you confirmed difference in differences" in answer["text"]


def test_turning_down_the_panel_design_in_words_gives_plain_adjustment(stack):
    upload_as_is(stack, "store_panel_declined", store_panel())
    frames = asyncio.run(
        converse(stack, "pia", "Did the promotion raise sales?", "store_panel_declined", [{"text": "no, just adjust"}])
    )
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    assert answer["result"]["design"] != "did"
    assert "turned difference in differences down" in answer["text"]


def test_a_cutoff_said_in_the_question_is_answered_by_regression_discontinuity(stack):
    upload_as_is(stack, "scholarship_plain", scholarship_data())
    question = "Everyone who scored 70 or more on the exam got the scholarship. What did the scholarship do to income?"
    frames = asyncio.run(converse(stack, "rui", question, "scholarship_plain", []))
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert (result["treatment"], result["outcome"], result["design"]) == ("scholarship", "income", "rdd")
    assert result["ci"][0] <= SCHOLARSHIP_EFFECT <= result["ci"][1], result


@pytest.mark.parametrize("reply", [{"optionId": "before"}, {"text": "keep it"}], ids=["button", "keep it"])
def test_a_timing_prompt_answered_by_its_button_or_in_words_keeps_the_confounder(stack, reply):
    upload_as_is(stack, "mentoring", mentoring_data())
    frames = asyncio.run(converse(stack, "sam", "Does mentoring raise output?", "mentoring", [reply]))
    prompts = [f for f in frames if f["type"] == "prompt"]
    assert len(prompts) == 1 and "rating_after" in prompts[0]["question"]
    assert [o["id"] for o in prompts[0]["options"]] == ["before", "after", "unsure"]
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    result = answer["result"]
    assert result["ci"][0] <= MENTORING_EFFECT <= result["ci"][1], result
    text = answer["text"]
    assert text.index("Your reply:") < text.index("Method:")  # what the reply changed comes before the method
    assert "`rating_after`: you said it was measured before the treatment" in text


def test_an_effect_for_a_subgroup_is_estimated_within_it(stack):
    upload_as_is(stack, "mentoring_groups", mentoring_data())
    frames = asyncio.run(
        converse(
            stack,
            "tao",
            "For women, does mentoring raise output? rating_after was measured before.",
            "mentoring_groups",
            [{"optionId": "before"}],
        )
    )
    answer = frames[-1]
    assert answer["type"] == "answer", answer
    assert "sex == woman" in answer["text"]
