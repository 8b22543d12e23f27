import pytest
from pydantic import ValidationError

from causal_common.models.tools import TOOL_ARGS, CausalAnalysisArgs, DataQueryArgs
from causal_common.names import FUNCTIONS, ResourceNames


def test_eleven_functions_with_the_design_names():
    names = ResourceNames()
    assert len(FUNCTIONS) == 11 and FUNCTIONS[-1] == "task-stopped"
    assert names.function("invoke-llm") == "causal-analysis-dev-invoke-llm"
    assert names.state_machine_arn == (
        "arn:aws:states:eu-central-1:000000000000:stateMachine:causal-analysis-dev-agent-sm"
    )


def test_tool_arguments_are_validated_strictly():
    with pytest.raises(ValidationError):
        DataQueryArgs(sql="")
    with pytest.raises(ValidationError):
        CausalAnalysisArgs.model_validate({"treatment": "t", "outcome": "y", "bogus": 1})
    assert set(TOOL_ARGS) == {"data_query", "eda", "causal_analysis", "ask_user"}
