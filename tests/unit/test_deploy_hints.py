"""A function that does not become Active is reported with its StateReason and a fix hint."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import WaiterError

from causal_common.function_hints import DOCKER_SOCKET_HINT, hint_for
from causal_deploy.lambda_functions import wait_until_active
from causal_deploy.report import DeployReport


class StubWaiter:
    def __init__(self, configurations: dict[str, dict[str, Any]]) -> None:
        self.configurations = configurations

    def wait(self, FunctionName: str, WaiterConfig: dict[str, int]) -> None:
        configuration = self.configurations[FunctionName]
        if configuration["State"] != "Active":
            raise WaiterError("FunctionActiveV2", "stopped", {"Configuration": configuration})


class StubLambda:
    def __init__(self, configurations: dict[str, dict[str, Any]]) -> None:
        self.waiter = StubWaiter(configurations)

    def get_waiter(self, name: str) -> StubWaiter:
        assert name == "function_active_v2"
        return self.waiter


def test_failed_function_is_reported_with_reason_and_docker_socket_hint():
    client = StubLambda(
        {
            "ok-fn": {"State": "Active"},
            "bad-fn": {"State": "Failed", "StateReason": "Error while creating lambda: Docker not available"},
        }
    )
    report = DeployReport(target="localstack", endpoint_url="http://localhost:4566")

    wait_until_active(client, ["ok-fn", "bad-fn"], timeout_seconds=1, report=report)

    assert not report.ok
    [problem] = report.problems
    assert problem.resource == "function bad-fn"
    assert "State=Failed" in problem.message and "Docker not available" in problem.message
    assert problem.hint == DOCKER_SOCKET_HINT
    assert "/var/run/docker.sock" in report.summary()


def test_pending_function_says_how_long_it_waited():
    client = StubLambda({"slow-fn": {"State": "Pending", "StateReason": "The function is being created."}})
    report = DeployReport(target="localstack", endpoint_url="http://localhost:4566")

    wait_until_active(client, ["slow-fn"], timeout_seconds=3, report=report)

    assert "State=Pending" in report.problems[0].message
    assert "after 3 s" in report.problems[0].message
    assert "Pending" in report.problems[0].hint


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("Error while creating lambda: Docker not available", "/var/run/docker.sock"),
        ("exec /var/lang/bin/python: exec format error", "LAMBDA_IGNORE_ARCHITECTURE=1"),
        ("Error response from daemon: pull access denied for public.ecr.aws/lambda/python", "pre-pull"),
        ("Timeout while starting the runtime environment", "LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT"),
        ("something nobody foresaw", "/aws/lambda/fn"),
    ],
)
def test_hint_matches_the_reason(reason, expected):
    assert expected in hint_for("fn", "Failed", reason)


def test_the_dashboard_and_the_deployer_give_the_same_hint():
    from causal_common.function_hints import DOCKER_SOCKET_HINT, hint_for
    from causal_dashboard.functions import fix_hint

    reason = "Error while creating lambda: Docker not available"
    assert fix_hint("fn", "Failed", reason, None) == hint_for("fn", "Failed", reason) == DOCKER_SOCKET_HINT
