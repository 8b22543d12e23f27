"""The Step Functions mock configuration file: parsed into a typed model, every error naming its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causal_embedded import sfn_mock_config
from causal_embedded.sfn_mock_config import MockConfigError, parse

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "sfn-mock-config.json"


def config(responses: dict, cases: dict | None = None) -> str:
    cases = cases if cases is not None else {"Case": {"State": next(iter(responses), "Missing")}}
    return json.dumps({"StateMachines": {"sm": {"TestCases": cases}}, "MockedResponses": responses})


def test_the_shipped_file_parses_and_names_the_agents_states():
    parsed = sfn_mock_config.load(SHIPPED)
    asl = json.loads((SHIPPED.parents[2] / "lambdas" / "state-machine.asl.json").read_text())
    for machine in parsed.StateMachines.values():
        for states in machine.TestCases.values():
            assert set(states) <= set(asl["States"]), states


def test_attempt_ranges_are_expanded_in_order():
    parsed = parse(
        config({"R": {"1-2": {"Throw": {"Error": "E", "Cause": "c"}}, "0": {"Return": {"a": 1}}, "3": {"Return": 7}}})
    )
    case = sfn_mock_config.moto_test_case(parsed, "sm", "Case")
    assert case is not None
    responses = [case.next_response("State") for _ in range(4)]
    assert [type(r).__name__ for r in responses] == [
        "MockedResponseReturn",
        "MockedResponseThrow",
        "MockedResponseThrow",
        "MockedResponseReturn",
    ]
    assert responses[0].payload == {"a": 1} and responses[3].payload == 7
    assert (responses[1].error, responses[1].cause) == ("E", "c")
    with pytest.raises(
        RuntimeError, match=r"state 'State' has no mocked response for call 4 \(its mocked response defines calls 0-3\)"
    ):
        case.next_response("State")


def test_an_undefined_test_case_is_none():
    parsed = parse(config({"R": {"0": {"Return": {}}}}))
    assert sfn_mock_config.moto_test_case(parsed, "sm", "Other") is None
    assert sfn_mock_config.moto_test_case(parsed, "other-sm", "Case") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        (json.dumps({"MockedResponses": {}}), "StateMachines: Field required"),
        (config({"R": {"1": {"Return": {}}}}), "MockedResponses.R: .*attempt key '1' starts at 1.*expected 0"),
        (config({"R": {"0": {"Return": {}}, "0-1": {"Return": {}}}}), "MockedResponses.R: .*'0-1' starts at 0"),
        (config({"R": {"x": {"Return": {}}}}), "MockedResponses.R: .*'x' is neither a number"),
        (config({"R": {"2-1": {"Return": {}}}}), "MockedResponses.R: .*ends before it starts"),
        (config({"R": {"0": {}}}), "MockedResponses.R.0: .*exactly one of 'Return' and 'Throw'"),
        (config({"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}), "MockedResponses.R.0: .*exactly one"),
        (config({"R": {"0": {"Throw": {"Cause": "c"}}}}), r"MockedResponses.R.0.Throw.Error: Field required"),
        (config({"R": {"0": {"Throw": {"Error": "E", "Extra": 1}}}}), r"MockedResponses.R.0.Throw.Extra"),
        (
            config({"R": {"0": {"Return": {}}}}, {"Case": {"State": "Nope"}}),
            r"StateMachines.sm.TestCases.Case.State: .*'Nope'",
        ),
        (config({"R": {}}), "MockedResponses.R: .*at least the attempt '0'"),
    ],
)
def test_a_bad_file_is_refused_with_the_key_named(text, message):
    with pytest.raises(MockConfigError, match=message) as raised:
        parse(text, "mock.json")
    assert str(raised.value).startswith("mock.json: ")


def test_the_file_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "mock.json"
    path.write_text(config({"R": {"0": {"Return": 1}}}))
    source = sfn_mock_config.MockConfigFile(path)
    assert "Case" in source.current().StateMachines["sm"].TestCases
    path.write_text(config({"R": {"0": {"Return": 1}}}, {"Other": {"State": "R"}, "Third": {}}))
    assert set(source.current().StateMachines["sm"].TestCases) == {"Other", "Third"}
    path.write_text("{")
    with pytest.raises(MockConfigError, match="not JSON"):
        source.current()


def test_a_missing_file_is_named():
    with pytest.raises(MockConfigError, match="nowhere.json: cannot be read"):
        sfn_mock_config.MockConfigFile(Path("/nowhere.json"))


def test_up_checks_the_file_before_starting_and_passes_it_on(tmp_path, monkeypatch, capsys):
    from causal_stack.launcher import LaunchError, _sfn_mock_config_env

    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    assert _sfn_mock_config_env(None) == {}
    assert _sfn_mock_config_env(SHIPPED) == {"SFN_MOCK_CONFIG": str(SHIPPED)}
    assert "test case(s)" in capsys.readouterr().out
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(SHIPPED))
    assert _sfn_mock_config_env(None) == {"SFN_MOCK_CONFIG": str(SHIPPED)}
    bad = tmp_path / "bad.json"
    bad.write_text(config({"R": {"0": {"Return": 1}}}, {"Case": {"State": "Nope"}}))
    with pytest.raises(LaunchError, match=r"TestCases.Case.State: .*'Nope'"):
        _sfn_mock_config_env(bad)


def test_up_takes_the_flag():
    from causal_stack.cli import build_parser

    args = build_parser().parse_args(["up", "--sfn-mock-config", str(SHIPPED)])
    assert args.sfn_mock_config == SHIPPED


def test_compose_mounts_the_file_where_localstack_is_told_to_read_it():
    import yaml

    compose = yaml.safe_load((SHIPPED.parents[2] / "docker-compose.yml").read_text())
    localstack = compose["services"]["localstack"]
    target = localstack["environment"]["SFN_MOCK_CONFIG"]
    mounted = [str(volume) for volume in localstack["volumes"] if str(volume).endswith(f":{target}:ro")]
    assert mounted == ["${SFN_MOCK_CONFIG_FILE:-./tests/data/sfn-mock-config.json}:" + target + ":ro"]
