"""The dashboard and the chat pages in headless Chromium against a whole stack,
and the terminal chat's one-shot mode."""

from __future__ import annotations

import json
import subprocess

import pytest
from stack_support import CLI
from support import ARTIFACTS

FUNCTIONS = (
    "websocket-handler",
    "parse-initial-query",
    "invoke-llm",
    "dispatch-tool",
    "data-query",
    "send-prompt",
    "append-tool-output",
    "handle-finish",
    "handle-error",
    "handle-timeout",
)


@pytest.mark.slow
def test_terminal_chat_one_shot_prints_the_answer_json(stack):
    result = subprocess.run(
        [
            str(CLI),
            "chat",
            "--url",
            stack.websocket_url,
            "--http-url",
            stack.gateway_url,
            "--user",
            "ivan",
            "--dataset",
            "synthetic_linear",
            "--json",
            "What is the effect of v0 on y?",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)
    assert answer["type"] == "answer"
    assert abs(answer["result"]["estimate"] - 10) < 0.2


@pytest.mark.slow
@pytest.mark.browser
def test_chat_page_gets_an_answer_and_the_dashboard_shows_its_path(stack, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{stack.gateway_url}/chat")
    page.get_by_test_id("user-id").fill("judy")
    page.get_by_test_id("signin-button").click()
    page.wait_for_selector('[data-testid="connection-status"][data-connection="open"]', timeout=20_000)
    page.get_by_test_id("dataset-select").select_option("lalonde_nsw")
    page.get_by_test_id("question").fill("What is the effect of treat on re78?")
    page.get_by_test_id("ask-button").click()
    page.wait_for_selector('[data-testid="answer-estimate"]', timeout=180_000)
    estimate = float(page.get_by_test_id("answer-estimate").inner_text().replace(",", "").replace("$", "").split()[0])
    # Within one standard error of the experimental benchmark, and adjusted: not the raw $1,794 difference.
    assert abs(estimate - 1794.34) <= 800 and round(estimate) != 1794
    assert page.get_by_test_id("answer-refutations").inner_text().strip()
    answer_text = page.get_by_test_id("answer-text")
    assert answer_text.locator("code").count() > 0 and "`" not in answer_text.inner_text(), "markdown is rendered"
    page.wait_for_selector('[data-testid="answer-plot"] img, img[data-testid="answer-plot"]', timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "e2e-chat-answer.png"), full_page=True)

    dashboard = browser.new_page(viewport={"width": 1280, "height": 800})
    stack.sign_in_page(dashboard)
    dashboard.wait_for_selector('[data-testid="live-status"][data-state="live"]', timeout=20_000)
    for function in FUNCTIONS:
        row = dashboard.get_by_test_id(f"function-row-{function}")
        row.wait_for(timeout=20_000)
        assert row.get_attribute("data-state") == "Active", function
    execution = dashboard.locator('[data-testid^="execution-row-"][data-status="SUCCEEDED"]').first
    execution.wait_for(timeout=20_000)
    execution.click()
    dashboard.wait_for_selector('[data-testid="diagram-node-HandleFinish"][data-status="visited"]', timeout=20_000)
    for state in ("ParseInitialQuery", "InvokeLLM", "DispatchTool", "RunAnalysisJob", "AppendToolOutput"):
        assert dashboard.get_by_test_id(f"diagram-node-{state}").get_attribute("data-status") == "visited", state
    assert dashboard.get_by_test_id("diagram-node-HandleError").get_attribute("data-status") == "idle"
    dashboard.screenshot(path=str(ARTIFACTS / "e2e-dashboard-after-question.png"), full_page=True)
