"""The dashboard and chat pages in headless Chromium, against moto and a fake chat backend."""

from __future__ import annotations

import os
import uuid

import dashboard_fixtures as fixtures
import pytest
import requests
from dashboard_testing import FailedFunctionClients, FakeAgent, serve
from fastapi import FastAPI
from support import ARTIFACTS, free_port

from causal_common.names import FUNCTIONS
from causal_dashboard import DashboardSettings, build_router

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="Debian's chromium is not installed (/usr/bin/chromium); run `make browser`",
    ),
]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2273f0a0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def site(moto_endpoint: str):
    requests.post(
        f"{moto_endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
    )
    prefix = f"web{uuid.uuid4().hex[:6]}-"
    settings = DashboardSettings(
        AWS_ENDPOINT_URL=moto_endpoint,
        RESOURCE_PREFIX=prefix,
        DASHBOARD_POLL_SECONDS=0.3,
        DASHBOARD_LOG_POLL_SECONDS=0.5,
    )
    clients = FailedFunctionClients(
        settings,
        prefix + "data-query",
        "Unable to import module 'handler': No module named 'duckdb'",
        "InvalidZipFileException",
    )
    created = fixtures.create_resources(clients)
    fixtures.write_invocation_logs(clients, "invoke-llm", count=4, error_last=True)
    clients.stepfunctions.start_execution(stateMachineArn=created["stateMachineArn"], name="exec-first", input="{}")
    fixtures.put_session(clients, "sess-web", frames=4)
    fixtures.put_job(clients, "job-1", "sess-web")
    clients.s3.put_object(
        Bucket=clients.names.artifacts_bucket, Key="jobs/job-1/balance.png", Body=PNG, ContentType="image/png"
    )
    clients.s3.put_object(
        Bucket=clients.names.datasets_bucket,
        Key="lalonde_nsw/manifest.json",
        Body=b'{"id": "lalonde_nsw", "title": "Lalonde NSW", "description": "", "rows": 445, "columns": [{"name": "treat", "dtype": "integer", "role": "treatment"}, {"name": "re78", "dtype": "float", "role": "outcome"}], "origin": "bundled", "data_key": "lalonde_nsw/data.csv"}',
    )
    agent = FakeAgent(drop_after=3)
    app = FastAPI()
    agent.app_routes(app, settings.stage)
    router = build_router(settings, None, clients=clients)
    router.add_to(app)
    with serve(app, free_port()) as base:
        SIGN_IN[base] = router.operator_login
        yield base, clients, created, agent


SIGN_IN: dict[str, object] = {}


def _open_dashboard(page, base: str) -> None:
    """Sign in with a one-time login link, as the person who ran `causal-stack up` does."""
    page.goto(f"{base}/login?code={SIGN_IN[base].login_code()}")
    page.wait_for_url(f"{base}/dashboard")


_WIDE_ELEMENTS = """() => [...document.querySelectorAll('*')]
  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    && !el.closest('.scroll, .diagram-wrap, pre'))
  .slice(0, 8).map((el) => `${el.tagName}#${el.id}.${el.className}`)"""


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_dashboard_shows_functions_states_and_a_failed_reason_in_red(browser, site) -> None:
    base, clients, created, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        _open_dashboard(page, base)
        page.wait_for_selector('[data-testid="function-row-invoke-llm"]')
        assert page.get_attribute('[data-testid="function-row-websocket-handler"]', "data-state") == "Active"
        failed = page.locator('[data-testid="function-row-data-query"]')
        assert failed.get_attribute("data-state") == "Failed"
        reason = page.locator('[data-testid="function-reason-data-query"]')
        assert "duckdb" in reason.inner_text()
        assert page.locator('[data-testid="function-hint-data-query"]').inner_text().startswith("Fix:")
        color = reason.evaluate("el => getComputedStyle(el).color")
        assert color == "rgb(179, 38, 30)"  # --bad
        # Every function but the broken one is Active.
        assert f"{len(FUNCTIONS) - 1} Active" in page.inner_text('[data-testid="functions-summary"]')
        # The newest execution is followed: its path is drawn on the diagram.
        page.wait_for_selector('[data-testid="diagram-node-HandleFinish"][data-status="visited"]')
        assert page.get_attribute('[data-testid="diagram-node-DispatchTool"]', "data-status") == "idle"
        # Plots load lazily: scroll to the first one, as a reader would, and check it really loaded.
        plot = page.locator('[data-testid="artifact"] img').first
        plot.wait_for(state="attached")
        plot.scroll_into_view_if_needed()
        plot.wait_for(state="visible")
        page.wait_for_function("() => document.querySelector('[data-testid=\"artifact\"] img').naturalWidth > 0")
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_selector('[data-testid="resources-tables"]')
        page.wait_for_selector('[data-testid="live-status"][data-state="live"]')
        _shot(page, "overview")
        # Live: a new execution and session appear without a reload.
        clients.stepfunctions.start_execution(
            stateMachineArn=created["stateMachineArn"], name="exec-second", input="{}"
        )
        fixtures.put_session(clients, "sess-new", status="running")
        page.wait_for_selector('[data-testid="execution-row-exec-second"]', timeout=10000)
        page.wait_for_selector('[data-testid="session-row-sess-new"]', timeout=10000)
        # Keyboard: open the invoke-llm log lines with Enter.
        page.focus('[data-testid="function-row-invoke-llm"]')
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="function-log-lines"] .log-line.error')
        page.click('[data-testid="session-row-sess-web"]')
        page.wait_for_selector('[data-testid="session-frames"] tbody tr:nth-child(4)')
        _shot(page, "details")
    finally:
        page.close()


def test_dashboard_upload_refuses_a_bad_file_with_a_message(browser, site, tmp_path) -> None:
    base, *_ = site
    bad = tmp_path / "notes.csv"
    bad.write_text("no commas here\n1\n")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        _open_dashboard(page, base)
        page.set_input_files("#upload-file", str(bad))
        page.click("#upload-submit")
        page.wait_for_selector('[data-testid="upload-status"][data-result="error"]')
        assert "header" in page.inner_text('[data-testid="upload-status"]')
    finally:
        page.close()


def test_dashboard_is_usable_on_a_narrow_window(browser, site) -> None:
    base, *_ = site
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        _open_dashboard(page, base)
        page.wait_for_selector('[data-testid="function-row-data-query"]')
        page.wait_for_selector('[data-testid="resources-tables"]')
        page.wait_for_selector('[data-testid="execution-diagram"]')
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        culprits = page.evaluate(_WIDE_ELEMENTS)
        assert overflow <= 1, culprits
        _shot(page, "narrow")
    finally:
        page.close()


def test_chat_signs_in_asks_and_gets_the_answer_across_a_dropped_connection(browser, site) -> None:
    base, _, _, agent = site
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{base}/chat")
        page.fill('[data-testid="user-id"]', "alice")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="connection-status"][data-connection="open"]')
        page.wait_for_selector('[data-testid="dataset-select"] option[value="lalonde_nsw"]', state="attached")
        page.fill('[data-testid="question"]', "What is the effect of treat on re78?")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="answer"]', timeout=15000)
        # The fake backend dropped the socket after frame 3: the page reconnected and resumed.
        assert agent.connections >= 2
        assert any(m.get("action") == "resume" and m.get("afterSeq") == 3 for m in agent.received)
        assert page.evaluate("window.chatState.client.applied") == [1, 2, 3, 4, 5, 6]
        assert page.inner_text('[data-testid="answer-estimate"]') == "1,794"
        assert "[372.5, 3,216]" in page.inner_text('[data-testid="answer-ci"]')
        refutations = page.inner_text('[data-testid="answer-refutations"]')
        assert "✓ passed" in refutations and "✗ failed" in refutations
        assert page.get_attribute('[data-testid="tool-causal_analysis"]', "data-status") == "succeeded"
        page.wait_for_function("document.querySelector('[data-testid=answer-plot]').naturalWidth > 0")
        assert page.locator('[data-testid="answer-text"] strong').inner_text() == "$1,794"
        _shot(page, "chat")
    finally:
        page.close()


def test_chat_prompt_is_answered_in_place(browser, site) -> None:
    base, _, _, agent = site
    agent.ask, agent.drop_after = True, None
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{base}/chat")
        page.fill('[data-testid="user-id"]', "bob")
        page.click('[data-testid="signin-button"]')
        page.fill('[data-testid="question"]', "Does it help?")
        page.click('[data-testid="ask-button"]')
        page.wait_for_selector('[data-testid="prompt-form"]')
        page.fill('[data-testid="prompt-input"]', "re78")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="answer"]')
        reply = next(m for m in agent.received if m.get("action") == "reply")
        assert reply["text"] == "re78" and reply["sessionId"].startswith("sess-")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
        _shot(page, "chat-narrow")
    finally:
        page.close()
        agent.ask = False


def test_chat_sign_in_error_is_shown(browser, site) -> None:
    base, *_ = site
    page = browser.new_page()
    try:
        page.goto(f"{base}/chat")
        page.fill('[data-testid="user-id"]', "not valid!")
        page.click('[data-testid="signin-button"]')
        page.wait_for_selector('[data-testid="signin-error"]:has-text("Sign-in failed")')
    finally:
        page.close()


def test_chat_sign_in_clicked_while_the_configuration_loads_still_signs_in(browser, site) -> None:
    """A slow /api/chat/config must not let the sign-in form submit natively (a reload that loses it)."""
    base, *_ = site
    page = browser.new_page()
    held: list = []
    page.route("**/api/chat/config", lambda route: held.append(route))
    try:
        page.goto(f"{base}/chat")
        page.fill('[data-testid="user-id"]', "dora")
        page.click('[data-testid="signin-button"]')
        page.wait_for_timeout(300)
        assert held, "the configuration request is held"
        assert page.url == f"{base}/chat", "the form was not submitted natively"
        held[0].continue_()
        page.wait_for_selector('[data-testid="connection-status"][data-connection="open"]', timeout=10000)
        assert page.locator('[data-testid="signed-in-as"]').inner_text() == "signed in as dora"
    finally:
        page.close()
