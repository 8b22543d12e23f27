from causal_common.agent.answer import write_answer
from causal_common.agent.conversation import ToolExchange


def causal_exchange(reason: str) -> ToolExchange:
    result = {
        "treatment": "treat", "outcome": "re78", "target": "ate", "target_reason": reason, "estimate": 1676.34,
        "ci": [421.06, 2931.63], "method": "backdoor.linear_regression", "naive_estimate": 1794.34,
        "common_causes": ["age", "educ"], "rows": 445, "refutations": [], "warnings": [],
    }
    return ToolExchange(call_id="c1", name="causal_analysis", arguments={}, outcome={"ok": True, "result": result})


def test_the_target_is_named_once_in_the_reason():
    text = write_answer("effect?", "Lalonde NSW", [causal_exchange("ATE: treated and control overlap")], "named in the question")
    assert "Why ATE: treated and control overlap" in text
    assert "ATE: ATE" not in text


def test_the_answer_carries_the_estimate_interval_and_naive_comparison():
    text = write_answer("effect?", "Lalonde NSW", [causal_exchange("overlap is good")], "named in the question")
    assert "1,676.34" in text and "421.06" in text and "2,931.63" in text
    assert "1,794.34" in text
