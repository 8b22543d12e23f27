"""Pure logic behind the dashboard: log parsing, execution paths, diagram layout, diffs, upload checks."""

from __future__ import annotations

import pytest
from dashboard_fixtures import AGENT_LIKE_DEFINITION

from causal_common.errors import InvalidInputError
from causal_dashboard.asl_diagram import layout
from causal_dashboard.datasets import check_upload, dataset_id_for
from causal_dashboard.execution_history import fold
from causal_dashboard.functions import fix_hint
from causal_dashboard.lambda_logs import summarise
from causal_dashboard.live import diff


def _events(lines: list[str]) -> list[dict]:
    return [{"timestamp": 1000 + index, "message": line} for index, line in enumerate(lines)]


def test_invocations_are_folded_from_lambda_style_lines() -> None:
    summary = summarise(
        _events(
            [
                "START RequestId: a-1 Version: $LATEST",
                '{"level": "INFO", "message": "working"}',
                "END RequestId: a-1",
                "REPORT RequestId: a-1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 300.00 ms",
                "START RequestId: b-2 Version: $LATEST",
                '{"errorType": "KeyError", "errorMessage": "\'sessionId\'"}',
                "END RequestId: b-2",
                "REPORT RequestId: b-2\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB",
            ]
        )
    ).to_json()
    assert summary["invocations"] == 2
    assert summary["errors"] == 1
    first, second = summary["recentInvocations"][1], summary["recentInvocations"][0]
    assert first["durationMs"] == 12.5 and first["initDurationMs"] == 300.0 and first["maxMemoryMb"] == 40
    assert second["error"].startswith("KeyError")
    assert summary["lastDurationMs"] == 3.0
    assert [line["error"] for line in summary["recentLines"]] == [False, True]


def test_error_lines_in_the_python_runtime_format_count_as_errors() -> None:
    summary = summarise(
        _events(
            [
                "START RequestId: c-3",
                "[ERROR] ValueError: bad input\nTraceback ...",
                "END RequestId: c-3",
                "REPORT RequestId: c-3\tDuration: 1.00 ms",
            ]
        )
    )
    assert summary.invocations[0].error == "ValueError: bad input"


def test_report_status_error_marks_a_crash_without_a_handler_line() -> None:
    summary = summarise(
        _events(
            [
                "START RequestId: d-4",
                "END RequestId: d-4",
                "REPORT RequestId: d-4\tDuration: 5.00 ms\tStatus: error\tError Type: Runtime.ExitError",
            ]
        )
    )
    assert summary.invocations[0].error == "Runtime.ExitError"


def test_failed_function_gets_a_hint_and_active_one_none() -> None:
    assert fix_hint("fn", "Active", None, None) is None
    assert "zip" in fix_hint("fn", "Failed", "bad zip", "InvalidZipFileException")
    assert "requirements.txt" in fix_hint("fn", "Failed", "No module named 'duckdb'", None)
    assert "deploy" in fix_hint("fn", "Failed", "something odd", None)
    assert "deploy" in fix_hint("fn", "Missing", None, None)


def _history(*events: tuple[str, dict]) -> list[dict]:
    return [
        {"id": index + 1, "type": kind, "timestamp": 1000 + index * 10, **details}
        for index, (kind, details) in enumerate(events)
    ]


def test_path_of_a_running_execution_marks_the_current_state() -> None:
    path = fold(
        _history(
            ("ExecutionStarted", {}),
            ("PassStateEntered", {"stateEnteredEventDetails": {"name": "ParseInitialQuery", "input": "{}"}}),
            ("PassStateExited", {"stateExitedEventDetails": {"name": "ParseInitialQuery", "output": '{"a":1}'}}),
            ("TaskStateEntered", {"stateEnteredEventDetails": {"name": "InvokeLLM", "input": '{"a":1}'}}),
        ),
        "RUNNING",
    )
    assert [step["name"] for step in path["steps"]] == ["ParseInitialQuery", "InvokeLLM"]
    assert path["current"] == "InvokeLLM"
    assert path["steps"][0]["durationMs"] == 10 and path["steps"][0]["status"] == "succeeded"
    assert path["steps"][1]["status"] == "running"


def test_path_of_a_failed_execution_carries_the_error_on_the_failing_state() -> None:
    path = fold(
        _history(
            ("TaskStateEntered", {"stateEnteredEventDetails": {"name": "InvokeLLM", "input": "{}"}}),
            ("LambdaFunctionFailed", {"lambdaFunctionFailedEventDetails": {"error": "LlmError", "cause": "no key"}}),
            ("ExecutionFailed", {"executionFailedEventDetails": {"error": "LlmError", "cause": "no key"}}),
        ),
        "FAILED",
    )
    assert path["current"] is None
    assert path["failedStates"] == ["InvokeLLM"]
    assert path["steps"][0]["error"] == "LlmError"


def test_diagram_places_every_state_once_and_marks_the_loop_back() -> None:
    drawn = layout(AGENT_LIKE_DEFINITION)
    ids = [node["id"] for node in drawn["nodes"]]
    assert sorted(ids) == sorted(AGENT_LIKE_DEFINITION["States"])
    assert len({(node["x"], node["y"]) for node in drawn["nodes"]}) == len(ids)
    back = [edge for edge in drawn["edges"] if edge["back"]]
    assert [(edge["from"], edge["to"]) for edge in back] == [("AppendToolOutput", "InvokeLLM")]
    y = {node["id"]: node["y"] for node in drawn["nodes"]}
    assert y["ParseInitialQuery"] < y["InvokeLLM"] < y["CheckResponse"] < y["DispatchTool"] < y["AppendToolOutput"]


def test_diagram_includes_catch_edges_and_survives_an_empty_definition() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "E"}],
                "End": True,
            },
            "E": {"Type": "Fail"},
        },
    }
    drawn = layout(definition)
    assert {"from": "A", "to": "E", "kind": "catch", "back": False} in drawn["edges"]
    assert drawn["nodes"][0]["resource"] == "lambda:invoke"
    assert layout({"States": {}})["nodes"] == []


def test_diff_sends_only_changed_and_removed_items() -> None:
    old = {"a": {"status": "RUNNING"}, "b": {"status": "SUCCEEDED"}}
    new = {"a": {"status": "SUCCEEDED"}, "c": {"status": "RUNNING"}}
    assert diff(old, new) == {"upsert": {"a": {"status": "SUCCEEDED"}, "c": {"status": "RUNNING"}}, "remove": ["b"]}
    assert diff(new, dict(new)) is None


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (None, b"a,b\n1,2\n", "no file"),
        ("data.xlsx", b"a,b\n1,2\n", "not a .csv"),
        ("data.csv", b"   \n", "empty"),
        ("data.csv", b"a,b\n" + b"1,2\n" * 100, "limit"),
        ("data.csv", b"a,b\n\x00\x01", "binary"),
        ("data.csv", b"\xff\xfe,\xfa\n", "UTF-8"),
        ("data.csv", b"just one column\n1\n", "header"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(filename, data, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_upload(filename, "text/csv", data, max_bytes=200)


def test_dataset_id_comes_from_the_request_or_the_file_name() -> None:
    assert dataset_id_for("My Data 2024.csv", None) == "my_data_2024"
    assert dataset_id_for("x.csv", "sales-2024") == "sales-2024"
    with pytest.raises(InvalidInputError, match="not accepted"):
        dataset_id_for("x.csv", "Bad Id!")
    with pytest.raises(InvalidInputError, match="give a dataset id"):
        dataset_id_for("!!!.csv", None)
