"""The dashboard and its JSON API need the operator's login; the chat shows a user only their own.

Ways in that worked before: reading every user's sessions, frames and the live
``promptToken`` (a Step Functions task token) with no login at all; a form
post from any web page replacing a dataset; CSVs served back with cells a
spreadsheet runs as formulas.
"""

from __future__ import annotations

import uuid

import dashboard_fixtures as fixtures
import pytest
import requests
from dashboard_testing import serve, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gateway_testing import running_gateway
from security.conftest import needs_chromium
from support import free_port

from causal_common.tokens import issue_token
from causal_dashboard import DashboardSettings, build_router
from causal_dashboard.clients import AwsClients
from causal_dashboard.operator_login import SESSION_COOKIE

SIGNING_KEY = "do-not-show-this-signing-key-of-32-bytes-or-more"  # the fixtures' token signing key
PROMPT_TOKEN = "AAAAKgAAAAIAAAAAAAAAAQ-live-task-token-of-a-waiting-prompt"


@pytest.fixture(scope="module")
def world(moto_endpoint: str):
    requests.post(
        f"{moto_endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
    )
    settings = DashboardSettings(AWS_ENDPOINT_URL=moto_endpoint, RESOURCE_PREFIX=f"sec{uuid.uuid4().hex[:6]}-")
    clients = AwsClients(settings)
    fixtures.create_resources(clients)
    fixtures.put_session(clients, "sess-alice", user_id="alice", status="awaiting_reply", frames=2)
    fixtures.put_session(clients, "sess-bob", user_id="bob", frames=1)
    clients.dynamodb.update_item(
        TableName=clients.names.sessions_table,
        Key={"sessionId": {"S": "sess-alice"}},
        UpdateExpression="SET promptToken = :t, promptCallId = :c",
        ExpressionAttributeValues={":t": {"S": PROMPT_TOKEN}, ":c": {"S": "call-1"}},
    )
    fixtures.put_job(clients, "job-1", "sess-alice")
    router = build_router(settings, None, clients=clients)
    app = FastAPI()
    router.add_to(app)
    return settings, clients, router, app


def test_the_dashboard_and_its_api_need_the_operators_login(world) -> None:
    *_, app = world
    anonymous = TestClient(app)
    for path in (
        "/api/sessions",
        "/api/sessions/sess-alice",
        "/api/jobs",
        "/api/datasets",
        "/api/executions",
        "/api/functions",
        "/api/config",
        "/api/events",
        "/api/artifacts",
    ):
        assert anonymous.get(path).status_code == 401, path
    page = anonymous.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # The resource list (names and counts, as the old stack's :4567 served it) is open to local programs,
    # and holds nobody's conversation and no secret value.
    listed = anonymous.get("/api/resources")
    assert listed.status_code == 200
    assert "sess-alice" not in listed.text and "What is the effect" not in listed.text
    assert anonymous.get("/chat").status_code == 200  # the chat page is for users, not operators


def test_the_login_link_works_once_and_sets_a_strict_httponly_cookie(world) -> None:
    _, _, router, app = world
    code = router.operator_login.login_code()
    browser = TestClient(app)
    first = browser.get("/login", params={"code": code}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/dashboard"
    cookie = first.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert browser.get("/api/sessions").status_code == 200
    assert TestClient(app).get("/login", params={"code": code}, follow_redirects=False).status_code == 403
    wrong = TestClient(app).post("/login", data={"key": "not-the-key-at-all"}, follow_redirects=False)
    assert wrong.status_code == 403


def test_task_tokens_never_leave_the_server(world) -> None:
    _, _, router, app = world
    operator = TestClient(app)
    sign_in(operator, router.operator_login)
    for path in ("/api/sessions/sess-alice", "/api/sessions", "/api/jobs", "/api/sessions/sess-alice"):
        response = operator.get(path)
        assert response.status_code == 200
        assert PROMPT_TOKEN not in response.text and "secret-task-token" not in response.text, path
        assert "promptToken" not in response.text and "taskToken" not in response.text, path
    assert operator.get("/api/sessions/sess-alice").json()["session"]["status"] == "awaiting_reply"


def test_uploads_need_the_csrf_token(world) -> None:
    _, clients, router, app = world
    operator = TestClient(app)
    csrf = sign_in(operator, router.operator_login)
    del operator.headers["x-csrf-token"]
    refused = operator.post("/api/datasets", files={"file": ("forged.csv", b"a,b\n1,2\n", "text/csv")})
    assert refused.status_code == 403
    assert "forged" not in [d["id"] for d in operator.get("/api/datasets").json()["datasets"]]
    accepted = operator.post(
        "/api/datasets", files={"file": ("mine.csv", b"a,b\n1,2\n", "text/csv")}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 201, accepted.text


def test_the_chat_api_shows_a_user_only_their_own_sessions(world) -> None:
    *_, app = world
    chat = TestClient(app)
    assert chat.get("/api/chat/sessions").status_code == 401
    alice = chat.get(
        "/api/chat/sessions", headers={"Authorization": f"Bearer {issue_token(SIGNING_KEY, 'alice')}"}
    ).json()
    assert [s["sessionId"] for s in alice["sessions"]] == ["sess-alice"]
    assert "promptToken" not in str(alice) and "connectionId" not in str(alice)
    bob = chat.get("/api/chat/sessions", headers={"Authorization": f"Bearer {issue_token(SIGNING_KEY, 'bob')}"}).json()
    assert [s["sessionId"] for s in bob["sessions"]] == ["sess-bob"]
    forged = chat.get(
        "/api/chat/sessions",
        headers={"Authorization": f"Bearer {issue_token('another-key-of-32-bytes-or-more-0000', 'alice')}"},
    )
    assert forged.status_code == 401


def test_csv_served_back_has_formulas_neutralised(world) -> None:
    _, clients, router, app = world
    operator = TestClient(app)
    sign_in(operator, router.operator_login)
    payload = b'name,score,link\nann,-3.5,"=HYPERLINK(""http://attacker.example"",""open"")"\nbob,+2,@SUM(A1:A9)\n'
    clients.s3.put_object(
        Bucket=clients.names.artifacts_bucket, Key="jobs/job-1/table.csv", Body=payload, ContentType="text/csv"
    )
    served = operator.get("/artifacts/jobs/job-1/table.csv").text
    assert "'=HYPERLINK" in served and "'@SUM" in served and ",-3.5," in served and ",+2," in served
    stored = operator.post("/api/datasets", files={"file": ("formulas.csv", payload, "text/csv")})
    assert stored.status_code == 201, stored.text
    download = operator.get("/api/datasets/formulas/data.csv").text
    assert "'=HYPERLINK" in download and "'@SUM" in download and "-3.5" in download


@pytest.mark.browser
@needs_chromium
def test_a_web_page_cannot_use_the_dashboard_even_when_the_operator_is_logged_in(
    browser, moto_endpoint, foreign_origin
) -> None:
    with running_gateway(moto_endpoint, create_secrets=False) as gateway:
        clients = AwsClients(
            DashboardSettings(AWS_ENDPOINT_URL=moto_endpoint, RESOURCE_PREFIX=gateway.settings.resource_prefix)
        )
        fixtures.create_resources(clients)
        context = browser.new_context()
        try:
            operator = context.new_page()
            operator.goto(f"{gateway.url}/login?code={gateway.operator_login.login_code()}")
            operator.wait_for_url(f"{gateway.url}/dashboard")
            page = context.new_page()
            page.goto(foreign_origin)
            read = page.evaluate(
                """async (base) => {
                try { const r = await fetch(`${base}/api/sessions`, {credentials: "include"});
                      return `read ${r.status}: ${await r.text()}`; }
                catch (error) { return `blocked: ${error}`; } }""",
                gateway.url,
            )
            assert read.startswith("blocked"), read
            page.set_content(f"""<form id="f" method="POST" action="{gateway.url}/api/datasets" enctype="multipart/form-data">
                <input name="datasetId" value="planted"><input type="file" name="file"></form>""")
            page.set_input_files(
                'input[type="file"]', files=[{"name": "planted.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}]
            )
            with page.expect_navigation():
                page.evaluate("document.getElementById('f').submit()")
            assert "Forbidden" in page.content()
        finally:
            context.close()
        listed = clients.s3.list_objects_v2(Bucket=clients.names.datasets_bucket, Prefix="planted/").get("KeyCount", 0)
        assert listed == 0


def test_the_gateways_own_json_api_needs_the_login_too(moto_endpoint) -> None:
    with running_gateway(moto_endpoint) as gateway:
        import httpx

        for path in ("/api/connections", "/api/metrics", "/api/connections/x/timeline", "/openapi.json"):
            assert httpx.get(f"{gateway.url}{path}").status_code == 401, path
        assert gateway.operator_client().get("/api/metrics").status_code == 200


def test_served_with_uvicorn_the_login_cookie_round_trips(world) -> None:
    """The cookie flags survive a real server (not only the test client)."""
    _, _, router, app = world
    import httpx

    with serve(app, free_port()) as base, httpx.Client(base_url=base) as http:
        sign_in(http, router.operator_login)
        assert http.get("/api/session").json()["operator"] is True
        kept = next(cookie.value for cookie in http.cookies.jar if cookie.name == SESSION_COOKIE)
        assert http.post("/logout").status_code == 303
        # A copy of the cookie kept after signing out no longer works.
        assert httpx.get(f"{base}/api/session", cookies={SESSION_COOKIE: kept}).status_code == 401
