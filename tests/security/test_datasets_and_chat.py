"""Datasets belong to their uploader; data-derived text cannot steer the terminal chat.

Ways in that worked before: an upload (CLI or dashboard) silently replacing
someone else's dataset; a column named with Rich markup (``trt[/oops]``)
crashing ``causal-stack chat`` for whoever asked about it.
"""

from __future__ import annotations

import io
import subprocess
import uuid

import dashboard_fixtures as fixtures
import pytest
from dashboard_testing import FakeAgent, serve, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gateway_testing import running_gateway
from stack_support import CLI
from support import ROOT, free_port

from causal_common.datasets import load_data, load_manifest
from causal_common.errors import ForbiddenError
from causal_dashboard import DashboardSettings, build_router
from causal_dashboard.clients import AwsClients
from causal_datasets.uploads import upload_csv
from causal_stack import chat

ALICE_CSV = b"treat,outcome\n0,1.0\n1,2.5\n0,1.2\n1,2.9\n"
BOB_CSV = b"treat,outcome\n1,100\n0,0\n"


@pytest.fixture(scope="module")
def world(moto_endpoint: str):
    settings = DashboardSettings(
        AWS_ENDPOINT_URL=moto_endpoint, RESOURCE_PREFIX=f"own{uuid.uuid4().hex[:6]}-", DASHBOARD_OPERATOR_NAME="bob"
    )
    clients = AwsClients(settings)
    fixtures.create_resources(clients)
    return settings, clients


def test_only_the_uploader_replaces_an_upload(world) -> None:
    _, clients = world
    upload_csv(clients.s3, clients.names, ALICE_CSV, "study", owner="alice")
    assert load_manifest(clients.s3, clients.names, "study").owner == "alice"
    with pytest.raises(ForbiddenError, match="uploaded by alice"):
        upload_csv(clients.s3, clients.names, BOB_CSV, "study", owner="bob")
    assert load_data(clients.s3, clients.names, load_manifest(clients.s3, clients.names, "study")).startswith(
        b"treat,outcome\n0,1.0"
    )
    upload_csv(clients.s3, clients.names, ALICE_CSV + b"1,3.1\n", "study", owner="alice")  # her own: replaced
    assert load_manifest(clients.s3, clients.names, "study").rows == 5


def test_the_dashboard_upload_cannot_replace_another_users_dataset(world) -> None:
    settings, clients = world
    upload_csv(clients.s3, clients.names, ALICE_CSV, "alices", owner="alice")
    router = build_router(settings, None, clients=clients)
    app = FastAPI()
    router.add_to(app)
    operator = TestClient(app)
    sign_in(operator, router.operator_login)
    refused = operator.post(
        "/api/datasets", files={"file": ("x.csv", BOB_CSV, "text/csv")}, data={"datasetId": "alices"}
    )
    assert refused.status_code == 403 and "uploaded by alice" in refused.json()["detail"]
    assert load_manifest(clients.s3, clients.names, "alices").rows == 4
    mine = operator.post("/api/datasets", files={"file": ("x.csv", BOB_CSV, "text/csv")}, data={"datasetId": "bobs"})
    assert mine.status_code == 201 and mine.json()["owner"] == "bob"


def test_the_cli_upload_refuses_with_a_clear_error(world, moto_endpoint, tmp_path) -> None:
    settings, clients = world
    upload_csv(clients.s3, clients.names, ALICE_CSV, "cli-study", owner="alice")
    path = tmp_path / "mine.csv"
    path.write_bytes(BOB_CSV)
    with running_gateway(moto_endpoint, create_secrets=False, resource_prefix=settings.resource_prefix) as gateway:
        result = subprocess.run(
            [str(CLI), "upload", str(path), "--id", "cli-study", "--user", "bob", "--gateway-url", gateway.url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert result.returncode != 0
    assert "uploaded by alice" in result.stderr and "Traceback" not in result.stderr
    assert load_manifest(clients.s3, clients.names, "cli-study").owner == "alice"


class MarkupAgent(FakeAgent):
    """Frames whose data-derived text is Rich markup."""

    def answer(self) -> dict:
        frame = super().answer()
        frame["text"] = "Effect of [bold red]trt[/oops] on [link=http://x]y[/link]"
        frame["result"]["treatment"] = "trt[/oops]"
        frame["result"]["method"] = "[/]"
        frame["result"]["refutations"][0]["detail"] = "[red]fake[/red] [/oops]"
        return frame

    def script(self, session_id: str, kind: str) -> list[dict]:
        frames = super().script(session_id, kind)
        for frame in frames:
            if frame["type"] in ("progress", "tool"):
                frame["message"] = frame["summary"] = "scanning column trt[/oops]"
        return frames


def test_markup_in_data_is_printed_as_text(capsys) -> None:
    agent = MarkupAgent(delay=0.0)
    app = FastAPI()
    agent.app_routes(app, "dev")
    with serve(app, free_port()) as base:
        code = chat.main(
            [
                "--url",
                base.replace("http://", "ws://") + "/dev",
                "--http-url",
                base,
                "--user",
                "alice",
                "--timeout",
                "20",
                "effect of trt[/oops]?",
            ],
            out=io.StringIO(),
        )
    printed = capsys.readouterr().out
    assert code == chat.EXIT_ANSWER
    assert "trt[/oops]" in printed and "[bold red]" in printed and "[red]fake[/red]" in printed
