from causal_agent.answer import headline_sentence, write_answer
from causal_agent.conversation import ToolExchange
from causal_common.models.tools import CausalSummary


def causal_exchange(reason: str) -> ToolExchange:
    result = {
        "treatment": "treat",
        "outcome": "re78",
        "target": "ate",
        "target_reason": reason,
        "estimate": 1676.34,
        "ci": [421.06, 2931.63],
        "method": "backdoor.linear_regression",
        "naive_estimate": 1794.34,
        "common_causes": ["age", "educ"],
        "rows": 445,
        "refutations": [],
        "warnings": [],
    }
    return ToolExchange(call_id="c1", name="causal_analysis", arguments={}, outcome={"ok": True, "result": result})


def test_the_target_is_named_once_in_the_reason():
    text = write_answer(
        "effect?", "Lalonde NSW", [causal_exchange("ATE: treated and control overlap")], "named in the question"
    )
    assert "Why ATE: treated and control overlap" in text
    assert "ATE: ATE" not in text


def test_the_answer_carries_the_estimate_interval_and_naive_comparison():
    text = write_answer("effect?", "Lalonde NSW", [causal_exchange("overlap is good")], "named in the question")
    assert "1,676.34" in text and "421.06" in text and "2,931.63" in text
    assert "1,794.34" in text


def result_with(**update):
    base = {
        "treatment": "t",
        "outcome": "y",
        "target": "ate",
        "estimate": 2.5,
        "ci": [1.0, 4.0],
        "treatment_kind": "binary",
        "outcome_kind": "continuous",
    }
    return {**base, **update}


def test_an_interval_covering_zero_says_no_clear_evidence_and_never_raises():
    sentence = headline_sentence(CausalSummary.model_validate(result_with(estimate=0.8, ci=[-0.4, 2.0])))
    assert sentence.startswith("**No clear evidence that `t` changes `y`**")
    assert "0.8" in sentence and "-0.4" in sentence and "includes no effect" in sentence
    assert "raises" not in sentence and "lowers" not in sentence


def test_a_continuous_treatment_is_per_unit_and_the_estimand_is_named():
    sentence = headline_sentence(CausalSummary.model_validate(result_with(treatment_kind="continuous", target="att")))
    assert sentence.startswith("**Each one-unit increase in `t` raises `y` by about 2.5**")
    assert "average effect on the treated (ATT): 2.5" in sentence


def test_a_binary_outcome_is_a_risk_difference_in_percentage_points():
    sentence = headline_sentence(
        CausalSummary.model_validate(result_with(outcome_kind="binary", estimate=-0.062, ci=[-0.09, -0.034]))
    )
    assert "lowers the risk of `y` by about 6.2 percentage points" in sentence
    assert "risk difference" in sentence and "-9.0 percentage points to -3.4 percentage points" in sentence


def test_disagreement_sensitivity_and_assumptions_are_said():
    text = write_answer(
        "effect?",
        "data",
        [
            ToolExchange(
                call_id="c",
                name="causal_analysis",
                arguments={},
                outcome={
                    "ok": True,
                    "result": {
                        **result_with(),
                        "rows": 100,
                        "method": "doubly robust",
                        "naive_estimate": 5.0,
                        "disagreement": ["`backdoor.linear_regression` gives 6"],
                        "sensitivity": [
                            {
                                "name": "robustness value",
                                "value": 0.2,
                                "sentence": "An unmeasured confounder would need to explain 20%",
                            }
                        ],
                        "assumptions": ["no unmeasured confounding"],
                        "left_out": [{"column": "id", "reason": "an identifier"}],
                    },
                },
            )
        ],
        "named",
    )
    assert "Estimators disagree: `backdoor.linear_regression` gives 6." in text
    assert "Sensitivity: An unmeasured confounder would need to explain 20%" in text
    assert "This rests on: no unmeasured confounding." in text and "`id` (an identifier)" in text
