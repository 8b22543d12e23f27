"""The known answers of the bundled datasets never reach the agent.

The stored manifest keeps ``ground_truth`` for evaluation and the dashboard; the
agent's reader drops it, the descriptions state no effect, and neither the
LLM's requests (system prompt, tool outputs) nor the offline planner's inputs
carry it. Each check runs against the real bundled datasets as published.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from functional.test_agent_openai import FakeOpenAI, _completion, _tool_call
from functional.test_agent_support import EmbeddedAgent, bundled_world, publish_bundled
from support import ARTIFACTS

from causal_agent import llm_openai, planner
from causal_common import datasets as agent_datasets
from causal_common.models.datasets import manifest_key
from causal_datasets.bundled import bundled_datasets

# A figure such as 10, 1794.34, "$1,794", "-$8,498" or "1.8k" is not preceded by a letter (v0, W4 are names).
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])-?\$?(\d[\d,]*(?:\.\d+)?)(k)?", re.IGNORECASE)


def figures(text: str) -> list[float]:
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", "")) * (1000 if match.group(2) else 1)
        found.append(-value if match.group(0).startswith("-") else value)
    return found


def near(value: float, truth: float) -> bool:
    """Within 2% of the truth: a rounded or approximate statement of the answer ("about $1,800") is a leak."""
    return abs(value - truth) <= 0.02 * abs(truth)


def leaked_figures(text: str, truth: float) -> list[float]:
    return [value for value in figures(text) if near(value, truth)]


def truth_markers(ground_truth: dict[str, Any]) -> list[str]:
    """Strings only the ground truth holds: the field name and its stated source."""
    return ["ground_truth", "groundTruth", ground_truth["source"]]


@pytest.fixture(scope="module")
def bundled():
    return bundled_datasets(ARTIFACTS / "dataset-cache")


@pytest.fixture
def published(monkeypatch):
    with bundled_world(monkeypatch) as clients:
        yield clients


def _publish(clients, bundled, **llm) -> dict[str, dict[str, Any]]:
    """Publish; return each dataset's manifest as stored (ground truth included, as evaluation reads it)."""
    publish_bundled(clients, bundled, **llm)
    stored = {}
    for manifest, _ in bundled:
        body = clients.s3.get_object(Bucket=clients.names.datasets_bucket, Key=manifest_key(manifest.id))["Body"]
        stored[manifest.id] = json.loads(body.read())
    return stored


def test_the_figure_finder_sees_the_ways_an_answer_is_written():
    # The detector itself: each way of writing the answer is caught, names and other counts are not.
    assert leaked_figures("the difference in means ($1,794.34) is the effect", 1794.34) == [1794.34]
    assert leaked_figures("the experimental answer is about $1.8k", 1794.34) == [1800.0]
    assert leaked_figures("the true effect is beta = 10 for every unit", 10.0) == [10.0]
    assert leaked_figures("the naive difference (about -$8,498) is biased", -8497.5) == [-8498.0]
    assert leaked_figures("10000 rows, columns v0, W0-W4, Z0; 1975-77", 10.0) == []


def test_the_stored_manifest_keeps_the_truth_and_the_agent_reader_drops_it(published, bundled):
    stored = _publish(published, bundled)
    names = published.names
    assert {dataset for dataset, manifest in stored.items() if manifest["ground_truth"]} == {
        "synthetic_linear",
        "lalonde_nsw",
        "lalonde_observational",
    }
    listed = agent_datasets.list_manifests(published.s3, names)
    assert [m.id for m in listed] == sorted(stored)
    for manifest in listed:
        assert manifest.ground_truth is None
        assert agent_datasets.load_manifest(published.s3, names, manifest.id).ground_truth is None


def test_no_prompt_states_the_known_answer(published, bundled):
    stored = _publish(published, bundled)
    for dataset_id, raw in stored.items():
        truth = raw["ground_truth"]["value"]
        manifest = agent_datasets.load_manifest(published.s3, published.names, dataset_id)
        for must_finish in (False, True):
            prompt = llm_openai.system_prompt(manifest, must_finish)
            assert manifest.description in prompt  # the description is shown, so it must hold no answer
            assert leaked_figures(prompt, truth) == [], (dataset_id, prompt)
            assert not [marker for marker in truth_markers(raw["ground_truth"]) if marker in prompt], prompt
        # The naive comparison is the tools' to compute, not the description's to state.
        assert "naive" not in manifest.description.lower() and "effect" not in manifest.description.lower()


def _requests_hold_no_answer(requests: list[dict[str, Any]], ground_truth: dict[str, Any]) -> None:
    assert requests, "the LLM was never asked"
    for request in requests:
        messages = request["body"]["messages"]
        system = messages[0]
        assert system["role"] == "system"
        assert leaked_figures(system["content"], ground_truth["value"]) == [], system["content"]
        whole = json.dumps(request["body"])
        assert not [marker for marker in truth_markers(ground_truth) if marker in whole]


@pytest.mark.slow
def test_the_llm_is_never_handed_the_answer_through_the_real_tools(published, bundled, monkeypatch):
    fake = FakeOpenAI(
        [
            _tool_call(
                "call_n",
                "data_query",
                {"sql": "SELECT treat, COUNT(*) AS n, AVG(re78) AS mean_outcome FROM data GROUP BY treat"},
            ),
            _tool_call(
                "call_c", "causal_analysis", {"treatment": "treat", "outcome": "re78", "refutation_simulations": 2}
            ),
            (200, _completion({"content": "Answered from the tool results."}, "stop")),
        ]
    )
    with fake:
        stored = _publish(
            published, bundled, api_key="sk-test-key", llm_settings={"model": "fake-model", "baseUrl": fake.url}
        )
        agent = EmbeddedAgent(published, monkeypatch.setattr, real_tools=True)
        session_id = agent.ask(
            "c1",
            "alice",
            {"action": "query", "datasetId": "lalonde_observational", "text": "What is the effect of treat on re78?"},
        )
        ended = agent.wait_for_end(agent.execution_of(session_id), seconds=240)
    assert ended["status"] == "SUCCEEDED", ended
    assert len(fake.requests) == 3
    # The tool outputs did reach the LLM (so the check below looked at them).
    last = fake.requests[-1]["body"]["messages"]
    tool_outputs = [message["content"] for message in last if message["role"] == "tool"]
    assert len(tool_outputs) == 2 and '"ok": true' in tool_outputs[1] and "estimate" in tool_outputs[1]
    _requests_hold_no_answer(fake.requests, stored["lalonde_observational"]["ground_truth"])


@pytest.mark.slow
def test_the_offline_planner_is_never_handed_the_answer(published, bundled, monkeypatch):
    stored = _publish(published, bundled)
    seen: list[Any] = []
    plan = planner.plan

    def spying_plan(given, *args, **kwargs):
        seen.append(given)
        return plan(given, *args, **kwargs)

    monkeypatch.setattr(planner, "plan", spying_plan)
    agent = EmbeddedAgent(published, monkeypatch.setattr, real_tools=True)
    session_id = agent.ask(
        "c1", "alice", {"action": "query", "datasetId": "lalonde_nsw", "text": "What is the effect of treat on re78?"}
    )
    ended = agent.wait_for_end(agent.execution_of(session_id), seconds=240)
    assert ended["status"] == "SUCCEEDED", ended
    ground_truth = stored["lalonde_nsw"]["ground_truth"]
    assert len(seen) >= 3  # one decision per step: query, EDA, causal analysis, answer
    for given in seen:
        assert given.manifest.ground_truth is None
        assert leaked_figures(given.manifest.description, ground_truth["value"]) == []
        whole = json.dumps(given.conversation, default=str)
        assert not [marker for marker in truth_markers(ground_truth) if marker in whole]
