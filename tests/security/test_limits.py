"""Limits a local user or a script runs into: connections per user, JSON bodies, terminal output, logins.

Before: 500 WebSockets from one user were all accepted; a 200k-deep JSON body to
``POST /auth/token`` returned 500 with a traceback; ANSI escapes in column names
reached the terminal raw; the one-time login code lived 24 h; ``/login`` had no
rate limit; in compose the printed login link named port 8080 whatever
``GATEWAY_PORT`` published.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

import httpx
import pytest
import websockets
import yaml
from gateway_testing import running_gateway
from rich.console import Console
from support import ROOT

from causal_common.models.datasets import Column, DatasetManifest
from causal_dashboard.operator_login import OperatorLogin
from causal_gateway.settings import GatewaySettings
from causal_stack import chat, cli

HOSTILE = "re78\x1b[2J\x1b]0;owned\x07\x9b31m\r"
DEEP = '{"userId": ' + "[" * 200_000 + "]" * 200_000 + "}"


@pytest.fixture(scope="module")
def gateway(moto_endpoint):
    with running_gateway(moto_endpoint, max_connections_per_user=3) as running:
        yield running


# -- WebSocket connections per user ----------------------------------------------------------------------------------


def test_one_user_gets_at_most_the_configured_number_of_connections_refused_as_api_gateway_does(gateway) -> None:
    async def scenario() -> tuple[websockets.InvalidStatus, bool]:
        async with contextlib.AsyncExitStack() as stack:
            alice = [
                await stack.enter_async_context(websockets.connect(gateway.connect_url("alice"))) for _ in range(3)
            ]
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with websockets.connect(gateway.connect_url("alice")):
                    pass
            async with websockets.connect(gateway.connect_url("bob")):
                pass  # another user is not affected
            await alice[0].close()
            await asyncio.sleep(0.5)
            async with websockets.connect(gateway.connect_url("alice")):
                reopened = True
            return refused.value, reopened

    refused, reopened = asyncio.run(scenario())
    assert refused.response.status_code == 429
    body = json.loads(refused.response.body)
    assert body["message"] == "Too Many Requests" and "GATEWAY_MAX_CONNECTIONS_PER_USER" in body["reason"]
    assert reopened


def test_the_default_is_twenty_connections_per_user() -> None:
    assert GatewaySettings(endpoint_url="http://127.0.0.1:4566").max_connections_per_user == 20


# -- JSON bodies ------------------------------------------------------------------------------------------------------


def test_a_deeply_nested_json_body_is_a_clear_400(gateway) -> None:
    response = httpx.post(
        f"{gateway.url}/auth/token", content=DEEP, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400, response.text[:300]
    assert "levels deep" in response.json()["message"]
    assert "Traceback" not in response.text


def test_an_oversize_json_body_is_refused_before_it_is_parsed(gateway) -> None:
    body = json.dumps({"userId": "alice", "padding": "x" * (2 * 1024 * 1024)})
    response = httpx.post(
        f"{gateway.url}/auth/token", content=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413, response.text[:300]
    assert "bytes" in response.json()["message"]


# -- terminal output ----------------------------------------------------------------------------------------------


def _plain_console() -> tuple[Console, io.StringIO]:
    """A console that adds no escape sequences of its own: any in the output came from the data."""
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, color_system=None, width=200), buffer


def _no_control_characters(output: str) -> None:
    raw = [
        character
        for character in output
        if character not in "\n" and (ord(character) < 32 or 127 <= ord(character) < 160)
    ]
    assert not raw, repr(output)


def test_the_chat_shows_control_characters_in_answers_escaped() -> None:
    console, buffer = _plain_console()
    frame = {
        "type": "answer",
        "text": f"The effect on {HOSTILE} is 1,794.",
        "result": {
            "treatment": "treat",
            "outcome": HOSTILE,
            "estimate": 1794.0,
            "ci": [100.0, 3000.0],
            "method": HOSTILE,
            "naiveEstimate": 1794.0,
            "refutations": [{"name": HOSTILE, "passed": True, "detail": HOSTILE}],
            "artifacts": [],
        },
    }
    for part in chat.render_answer(frame, "http://127.0.0.1:8080"):
        console.print(part)
    output = buffer.getvalue()
    _no_control_characters(output)
    assert "\\x1b[2J" in output


def test_the_chat_shows_gateway_messages_and_prompts_escaped() -> None:
    console, buffer = _plain_console()
    terminal = chat.TerminalChat(chat.build_parser().parse_args([]), "alice", console)
    terminal.accept(json.dumps({"message": HOSTILE}))
    _no_control_characters(buffer.getvalue())
    assert "\\x1b" in buffer.getvalue()


def _manifest() -> DatasetManifest:
    return DatasetManifest(
        id="mine",
        title=HOSTILE,
        description="d",
        rows=4,
        columns=[
            Column(name=HOSTILE, dtype="float", role="outcome"),
            Column(name="treat", dtype="boolean", role="treatment"),
        ],
        origin="uploaded",
        data_key="mine/data.csv",
    )


def test_upload_and_dataset_listings_show_column_names_escaped() -> None:
    text = cli._columns_text(_manifest())
    _no_control_characters(text)
    assert "\\x1b[2J" in text


def test_error_messages_are_shown_escaped(capsys) -> None:
    from causal_common.errors import InvalidInputError

    cli._report_error(InvalidInputError(f"unknown column {HOSTILE}"), verbose=False)
    err = capsys.readouterr().err
    _no_control_characters(err)


# -- the dashboard's login ------------------------------------------------------------------------------------------


def test_a_one_time_login_code_is_valid_fifteen_minutes() -> None:
    login = OperatorLogin("k" * 32)
    issued = 1_000_000.0
    assert login.redeem(login.login_code(now=issued), now=issued + 14 * 60)
    assert not login.redeem(login.login_code(now=issued), now=issued + 16 * 60)


def test_login_attempts_are_rate_limited(gateway) -> None:
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        statuses = [client.post("/login", data={"key": f"guess-{n}"}).status_code for n in range(30)]
        assert 429 in statuses, statuses
        assert 403 not in statuses[statuses.index(429) :], "once limited, every attempt is refused"
        limited = client.post("/login", data={"key": "another-guess"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        guessed_codes = client.get("/login", params={"code": "forged"})
        assert guessed_codes.status_code == 429


def test_the_compose_login_link_names_the_published_gateway_port(capsys, monkeypatch) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["gateway"]["environment"]
    assert "${GATEWAY_PORT:-8080}" in str(environment.get("DASHBOARD_PUBLIC_URL")), environment

    from causal_dashboard.router import build_router

    monkeypatch.delenv("DASHBOARD_OPERATOR_KEY", raising=False)
    monkeypatch.setenv("DASHBOARD_PUBLIC_URL", "http://127.0.0.1:18080")
    build_router(GatewaySettings(endpoint_url="http://127.0.0.1:4566", host="0.0.0.0", port=8080))
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:18080/login?code=" in printed, printed
