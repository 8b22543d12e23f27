"""The dashboard's execution view in headless Chromium against the embedded emulator (real Lambda workers):
steps with payloads and attempts, a request id opening that invocation's log lines, the timeline, testing a
state from the diagram, and redriving a failed execution."""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_testing import serve
from fastapi import FastAPI
from support import ARTIFACTS, create_execution_role, free_port, running_emulator

from causal_dashboard import DashboardSettings, build_router
from causal_dashboard.clients import AwsClients

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]
HANDLER = """
import os

def parse(event, context):
    print("parsing the question for", event.get("user"))
    return {**event, "parsed": True, "notes": ["n" * 60 for _ in range(40)]}

def analyse(event, context):
    print("analysing with the flag", event["failWhile"])
    if os.path.exists(event["failWhile"]):
        raise KeyError("dose")
    return {**event, "estimate": 1794}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    flag = tmp_path_factory.mktemp("flags") / "analysis-down"
    flag.touch()
    with running_emulator() as url:
        prefix = f"view{uuid.uuid4().hex[:6]}-"
        settings = DashboardSettings(
            AWS_ENDPOINT_URL=url, RESOURCE_PREFIX=prefix, DASHBOARD_POLL_SECONDS=0.3, DASHBOARD_LOG_POLL_SECONDS=0.5
        )
        clients = AwsClients(settings)
        role = create_execution_role(url, "view-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", HANDLER)
        arns = {
            short: clients.lambda_.create_function(
                FunctionName=f"{prefix}{short}",
                Runtime="python3.12",
                Handler=f"handler.{short}",
                Role=role,
                Code={"ZipFile": buffer.getvalue()},
            )["FunctionArn"]
            for short in ("parse", "analyse")
        }

        def task(short: str, next_state: str) -> dict[str, Any]:
            return {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arns[short], "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 2}],
                "Next": next_state,
            }

        definition = {
            "StartAt": "ParseInitialQuery",
            "States": {
                "ParseInitialQuery": task("parse", "Route"),
                "Route": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.parsed", "BooleanEquals": True, "Next": "Analyse"}],
                    "Default": "Done",
                },
                "Analyse": task("analyse", "Done"),
                "Done": {"Type": "Succeed"},
            },
        }
        machine = clients.stepfunctions.create_state_machine(
            name=f"{prefix}agent-sm", definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
        name = "sess-view-0123456789ab"
        execution = clients.stepfunctions.start_execution(
            stateMachineArn=machine,
            name=name,
            input=json.dumps({"sessionId": "sess-view", "user": "u1", "failWhile": str(flag)}),
        )["executionArn"]
        deadline = time.monotonic() + 60
        while (described := clients.stepfunctions.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        # An ECS job of the session, run while the execution ran (the timeline shows it queued, then running).
        started, stopped = (int(described[key].timestamp() * 1000) for key in ("startDate", "stopDate"))
        clients.dynamodb.create_table(
            TableName=clients.names.jobs_table,
            KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        job = {"jobId": "job-1", "sessionId": "sess-view", "tool": "run_analysis", "status": "SUCCEEDED"}
        times = {"createdAt": started + 1, "startedAt": started + 2, "finishedAt": stopped - 1}
        clients.dynamodb.put_item(
            TableName=clients.names.jobs_table,
            Item={**{k: {"S": v} for k, v in job.items()}, **{k: {"N": str(v)} for k, v in times.items()}},
        )
        app = FastAPI()
        router = build_router(settings, None, clients=clients)
        router.add_to(app)
        with serve(app, free_port()) as base:
            yield {"base": base, "router": router, "name": name, "flag": flag}


def _open(page: Any, site: dict[str, Any]) -> None:
    page.goto(f"{site['base']}/login?code={site['router'].operator_login.login_code()}")
    page.wait_for_url(f"{site['base']}/dashboard")


def test_the_execution_view_steps_timeline_logs_state_test_and_redrive(browser, site) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        _open(page, site)
        page.wait_for_selector('[data-testid="execution-status"][data-value="FAILED"]', timeout=20000)
        steps = page.locator('[data-testid="execution-steps"] tbody tr')
        assert steps.count() == 3
        failing = page.locator('[data-testid="step-2"]')
        assert failing.get_attribute("data-state") == "Analyse" and failing.get_attribute("data-status") == "failed"
        assert "KeyError" in failing.inner_text()
        # One bar per state entered, each as long as the state took.
        rows = page.locator('[data-testid="execution-timeline"] .timeline-row:not(.job)')
        assert rows.count() == 3
        assert page.get_attribute('[data-testid="timeline-job-job-1"]', "data-tool") == "run_analysis"
        assert [rows.nth(i).get_attribute("data-state") for i in range(3)] == ["ParseInitialQuery", "Route", "Analyse"]
        assert "in tasks" in page.inner_text('[data-testid="execution-time-split"]')
        # A long payload is cut with a control that shows it whole.
        page.click('[data-testid="step-0"] details.payload:has([data-testid="step-0-output"]) summary')
        output = page.locator('[data-testid="step-0-output"]')
        assert output.get_attribute("data-full") == "false"
        page.click('[data-testid="step-0-output-expand"]')
        assert output.get_attribute("data-full") == "true" and output.inner_text().count('"' + "n" * 60 + '"') == 40
        # The request id opens that invocation's log lines.
        page.click('[data-testid="step-2-request-0"]')
        page.wait_for_selector('[data-testid="invocation-log-lines"] .log-line')
        assert "analysing with the flag" in page.inner_text('[data-testid="invocation-log-lines"]')
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#execution-panel").screenshot(path=str(ARTIFACTS / "dashboard-execution-view.png"))

        # Test a state from the diagram: the Choice with the input it had, then the failing Task with a mocked error.
        page.click('[data-testid="diagram-node-Route"]')
        page.wait_for_selector('[data-testid="state-test-form"][data-state="Route"]')
        assert '"parsed": true' in page.input_value('[data-testid="state-test-input"]')
        page.click('[data-testid="state-test-run"]')
        page.wait_for_selector('[data-testid="state-test-answer"][data-status="SUCCEEDED"]')
        assert page.inner_text('[data-testid="state-test-next"]') == "Analyse"
        page.click('[data-testid="diagram-node-Analyse"]')
        page.wait_for_selector('[data-testid="state-test-form"][data-state="Analyse"]')
        page.select_option('[data-testid="state-test-mock"]', "error")
        page.fill('[data-testid="state-test-mock-error"]', "Lambda.ServiceException")
        page.fill('[data-testid="state-test-mock-cause"]', "the service hiccuped")
        page.click('[data-testid="state-test-run"]')
        page.wait_for_selector('[data-testid="state-test-answer"][data-status="RETRIABLE"]')
        assert "Retry[0]" in page.inner_text('[data-testid="state-test-answer"]')

        # Redrive: the execution resumes at Analyse under the same name and succeeds.
        Path(site["flag"]).unlink()
        page.click('[data-testid="execution-redrive"]')
        page.wait_for_selector('[data-testid="execution-status"][data-value="SUCCEEDED"]', timeout=20000)
        assert page.inner_text('[data-testid="execution-redrive-count"]') == "redriven 1×"
        assert "Redrive 1: resumed at Analyse" in page.inner_text('[data-testid="execution-steps"]')
        assert page.locator('[data-testid="execution-redrive"]').count() == 0
        assert page.get_attribute('[data-testid="diagram-node-Analyse"]', "data-status") == "visited"
        assert page.locator('[data-testid="execution-timeline"] .timeline-row:not(.job)').count() == 5
        page.locator("#execution-panel").screenshot(path=str(ARTIFACTS / "dashboard-execution-redriven.png"))
    finally:
        page.close()
