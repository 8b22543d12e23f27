"""The dashboard's JSON API, live stream and upload against a moto server."""

from __future__ import annotations

import json
import time
import uuid

import dashboard_fixtures as fixtures
import httpx
import pytest
import requests
from dashboard_testing import FailedFunctionClients, serve, sign_in, signed_in_client
from fastapi import FastAPI
from support import free_port

from causal_common.names import FUNCTIONS
from causal_dashboard import DashboardSettings, build_router
from causal_dashboard.clients import AwsClients


@pytest.fixture(scope="module")
def stack(moto_endpoint: str):
    requests.post(
        f"{moto_endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5
    )
    settings = DashboardSettings(
        AWS_ENDPOINT_URL=moto_endpoint,
        RESOURCE_PREFIX=f"dash{uuid.uuid4().hex[:6]}-",
        DASHBOARD_POLL_SECONDS=0.2,
        DASHBOARD_LOG_POLL_SECONDS=0.2,
    )
    clients = AwsClients(settings)
    created = fixtures.create_resources(clients)
    fixtures.write_invocation_logs(clients, "invoke-llm", count=3, error_last=True)
    clients.stepfunctions.start_execution(stateMachineArn=created["stateMachineArn"], name="exec-one", input="{}")
    fixtures.put_session(clients, "sess-1", frames=3)
    fixtures.put_job(clients, "job-1", "sess-1", status="FAILED", reason="exit code 1")
    clients.s3.put_object(
        Bucket=clients.names.artifacts_bucket,
        Key="jobs/job-1/balance.png",
        Body=b"\x89PNG fake",
        ContentType="image/png",
    )
    return settings, clients, created


@pytest.fixture(scope="module")
def api(stack):
    settings, clients, _ = stack
    return signed_in_client(build_router(settings, None, clients=clients))


def test_resources_list_everything_and_never_a_secret_value(api) -> None:
    response = api.get("/api/resources")
    assert response.status_code == 200
    body = response.json()
    tables = {t["name"].split("-", 1)[1]: t for t in body["tables"]}
    assert tables["sessions"]["itemCount"] == 1 and tables["jobs"]["itemCount"] == 1
    assert {b["name"].split("-", 1)[1]: b["objectCount"] for b in body["buckets"]} == {"datasets": 0, "artifacts": 1}
    assert len(body["secrets"]) == 4
    assert "do-not-show" not in response.text
    assert len(body["functions"]) == len(FUNCTIONS) and {f["state"] for f in body["functions"]} == {"Active"}
    assert body["stateMachines"][0]["name"].endswith("agent-sm")
    assert body["ecs"]["cluster"]["status"] == "ACTIVE"
    assert [d["status"] for d in body["ecs"]["taskDefinitions"]] == ["ACTIVE", "ACTIVE"]


def test_functions_show_invocations_errors_and_log_lines(api) -> None:
    functions = {f["shortName"]: f for f in api.get("/api/functions").json()["functions"]}
    assert len(functions) == len(FUNCTIONS)
    logs = functions["invoke-llm"]["logs"]
    assert logs["invocations"] == 3 and logs["errors"] == 1
    assert logs["recentInvocations"][0]["error"] == "ValueError: boom"
    assert functions["send-prompt"]["logs"]["invocations"] == 0


def test_a_failed_function_carries_its_reason_and_a_fix_hint(stack) -> None:
    settings, _, _ = stack
    failing = FailedFunctionClients(
        settings,
        settings.resource_prefix + "data-query",
        "Unable to import module 'handler': No module named 'duckdb'",
        "InvalidZipFileException",
    )
    client = signed_in_client(build_router(settings, None, clients=failing))
    functions = {f["shortName"]: f for f in client.get("/api/functions?logs=false").json()["functions"]}
    assert functions["data-query"]["state"] == "Failed"
    assert "duckdb" in functions["data-query"]["stateReason"]
    assert "redeploy" in functions["data-query"]["fixHint"] or "deploy" in functions["data-query"]["fixHint"]
    assert functions["invoke-llm"]["fixHint"] is None


def test_execution_detail_has_path_diagram_and_payloads(api) -> None:
    listed = api.get("/api/executions").json()["executions"]
    assert [e["name"] for e in listed] == ["exec-one"]
    detail = api.get("/api/executions/exec-one").json()
    assert detail["status"] == "SUCCEEDED"
    assert [s["name"] for s in detail["path"]["steps"]] == [
        "ParseInitialQuery",
        "InvokeLLM",
        "CheckResponse",
        "HandleFinish",
    ]
    assert json.loads(detail["path"]["steps"][1]["output"]) == {"turn": 0, "done": True}
    assert {n["id"] for n in detail["diagram"]["nodes"]} >= {"DispatchTool", "HandleError"}
    assert api.get("/api/executions/missing").status_code == 404


def test_sessions_and_their_frames_and_jobs(api) -> None:
    page = api.get("/api/sessions").json()
    assert page["total"] == 1 and page["items"][0]["sessionId"] == "sess-1"
    detail = api.get("/api/sessions/sess-1").json()
    assert detail["session"]["conversation"][0]["role"] == "user"
    assert [f["seq"] for f in detail["frames"]] == [1, 2, 3]
    assert detail["jobs"][0]["reason"] == "exit code 1" and "taskToken" not in detail["jobs"][0]
    assert api.get("/api/sessions/nope").status_code == 404
    jobs = api.get("/api/jobs").json()["items"]
    assert jobs[0]["status"] == "FAILED" and jobs[0]["runMs"] > 0 and jobs[0]["queuedMs"] == 500


def test_artifacts_stream_from_the_bucket(api) -> None:
    response = api.get("/artifacts/jobs/job-1/balance.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == b"\x89PNG fake"
    assert api.get("/artifacts/jobs/none.png").status_code == 404
    assert api.get("/api/artifacts").json()["artifacts"][0]["url"] == "/artifacts/jobs/job-1/balance.png"


def test_pages_and_static_files_are_served_locally(api) -> None:
    for path in ("/", "/dashboard", "/chat"):
        response = api.get(path)
        assert response.status_code == 200 and "<!doctype html>" in response.text
        assert "http://" not in response.text and "https://" not in response.text  # no CDN
    assert api.get("/static/dashboard.js").status_code == 200
    assert api.get("/static/..%2Fsettings.py").status_code == 404


def test_upload_stores_a_csv_and_lists_it(api) -> None:
    csv = b"treat,outcome,age\n1,10.5,30\n0,8.0,41\n1,12.0,25\n0,7.5,38\n"
    response = api.post("/api/datasets", files={"file": ("My Study.csv", csv, "text/csv")}, data={"title": "My study"})
    assert response.status_code == 201, response.text
    assert response.json()["id"] == "my_study" and response.json()["rows"] == 4
    ids = [d["id"] for d in api.get("/api/datasets").json()["datasets"]]
    assert "my_study" in ids


def test_bad_uploads_change_nothing(api) -> None:
    before = api.get("/api/datasets").json()["datasets"]
    assert api.post("/api/datasets", files={"file": ("x.txt", b"a,b\n1,2\n", "text/plain")}).status_code == 400
    refused = api.post(
        "/api/datasets", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}, data={"datasetId": "lalonde_nsw"}
    )
    assert refused.status_code == 400 and "bundled" in refused.json()["detail"]
    assert api.post("/api/datasets", data={"datasetId": "abc"}).status_code == 400
    assert api.get("/api/datasets").json()["datasets"] == before


def test_live_stream_sends_a_snapshot_then_only_changes(stack) -> None:
    settings, clients, created = stack
    router = build_router(settings, None, clients=clients)
    app = FastAPI()
    router.add_to(app)
    with serve(app, free_port()) as base, httpx.Client(timeout=20) as http:
        sign_in(http, router.operator_login, base)
        with http.stream("GET", f"{base}/api/events") as stream:
            events = _sse(stream)
            name, snapshot = next(events)
            assert name == "snapshot"
            assert "sess-1" in snapshot["sections"]["sessions"]
            assert len(snapshot["sections"]["functions"]) == len(FUNCTIONS)
            fixtures.put_session(clients, "sess-live", status="running")
            clients.stepfunctions.start_execution(
                stateMachineArn=created["stateMachineArn"], name="exec-live", input="{}"
            )
            seen: set[str] = set()
            deadline = time.monotonic() + 40
            for name, data in events:
                if name == "diff":
                    assert "sess-1" not in data["upsert"], json.dumps(
                        [snapshot["sections"][data["section"]].get("sess-1"), data["upsert"]["sess-1"]]
                    )
                    if data["section"] == "sessions" and "sess-live" in data["upsert"]:
                        seen.add("session")
                    if data["section"] == "executions" and "exec-live" in data["upsert"]:
                        seen.add("execution")
                if seen == {"session", "execution"} or time.monotonic() > deadline:
                    break
            assert seen == {"session", "execution"}


def _sse(stream):
    name = None
    for line in stream.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            yield name, json.loads(line[6:])
            name = None


def test_cost_estimate_prices_what_the_stack_did(api) -> None:
    body = api.get("/api/cost").json()
    assert body["region"] == "eu-central-1" and body["pricesAsOf"] and body["sources"]
    assert body["conversations"] >= 1  # sess-1, and any the live test added
    lines = {line["category"]: line for line in body["lines"]}
    assert lines["Lambda requests"]["quantity"] == 3  # the three REPORT lines of invoke-llm
    assert lines["Lambda duration"]["dollars"] > 0
    assert lines["API Gateway messages"]["quantity"] >= 3 and lines["API Gateway messages"]["estimated"]
    assert body["perConversation"] == pytest.approx(body["total"] / body["conversations"])
    assert body["perThousandConversations"] == pytest.approx(body["perConversation"] * 1000)
