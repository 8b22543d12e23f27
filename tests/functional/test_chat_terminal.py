"""The terminal chat against a fake chat backend on 127.0.0.1 (token endpoint + WebSocket)."""

from __future__ import annotations

import io
import json

import pytest
from dashboard_testing import FakeAgent, serve
from fastapi import FastAPI
from support import free_port

from causal_stack import chat


@pytest.fixture
def backend():
    agent = FakeAgent(delay=0.0)
    app = FastAPI()
    agent.app_routes(app, "dev")
    with serve(app, free_port()) as base:
        yield agent, base


def _args(base: str, *extra: str) -> list[str]:
    return [
        "--url",
        base.replace("http://", "ws://") + "/dev",
        "--http-url",
        base,
        "--user",
        "alice",
        "--timeout",
        "20",
        *extra,
    ]


def test_one_shot_json_prints_the_answer_frame_and_exits_zero(backend) -> None:
    agent, base = backend
    out = io.StringIO()
    code = chat.main(_args(base, "--json", "--dataset", "lalonde_nsw", "What is the effect of treat on re78?"), out=out)
    assert code == 0
    frame = json.loads(out.getvalue())
    assert frame["type"] == "answer" and frame["result"]["estimate"] == pytest.approx(1794.34)
    query = agent.received[0]
    assert query == {"action": "query", "text": "What is the effect of treat on re78?", "datasetId": "lalonde_nsw"}


def test_a_drop_is_resumed_and_every_frame_applied_once_in_order(backend, monkeypatch) -> None:
    agent, base = backend
    agent.drop_after = 2
    seen: list[list[int]] = []
    original = chat.TerminalChat.one

    async def spy(self, question, out):
        code = await original(self, question, out)
        seen.append(list(self.applied))
        return code

    monkeypatch.setattr(chat.TerminalChat, "one", spy)
    out = io.StringIO()
    assert chat.main(_args(base, "--json", "effect?"), out=out) == 0
    assert seen == [[1, 2, 3, 4, 5, 6]]
    assert {"action": "resume", "sessionId": "sess-1", "afterSeq": 2} in agent.received
    assert agent.connections == 2


def test_an_error_frame_exits_non_zero(backend) -> None:
    agent, base = backend
    agent.fail = True
    out = io.StringIO()
    assert chat.main(_args(base, "--json", "effect?"), out=out) == chat.EXIT_ERROR_FRAME
    assert out.getvalue() == ""


def test_a_prompt_is_answered_from_stdin(backend, monkeypatch) -> None:
    agent, base = backend
    agent.ask = True
    monkeypatch.setattr("sys.stdin", io.StringIO("re78\n"))
    out = io.StringIO()
    assert chat.main(_args(base, "--json", "does it help?"), out=out) == 0
    assert {"action": "reply", "sessionId": "sess-1", "text": "re78"} in agent.received


def test_an_unanswerable_prompt_cancels(backend, monkeypatch) -> None:
    agent, base = backend
    agent.ask = True
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert chat.main(_args(base, "does it help?"), out=io.StringIO()) == chat.EXIT_UNANSWERED
    assert {"action": "cancel", "sessionId": "sess-1"} in agent.received


def test_formatted_answer_shows_estimate_interval_and_refutations(backend, capsys) -> None:
    _, base = backend
    assert chat.main(_args(base, "effect?")) == 0
    printed = capsys.readouterr().out
    assert "1,794" in printed and "[372.5, 3,216]" in printed
    assert "placebo_treatment" in printed and "failed" in printed
    assert "/artifacts/jobs/job-1/balance.png" in printed


def test_refused_sign_in_and_unreachable_gateway_exit_two(backend) -> None:
    _, base = backend
    assert chat.main(_args(base, "--user", "not valid!", "q")) == chat.EXIT_UNAVAILABLE
    dead = f"http://127.0.0.1:{free_port()}"
    assert chat.main(_args(dead, "q")) == chat.EXIT_UNAVAILABLE
