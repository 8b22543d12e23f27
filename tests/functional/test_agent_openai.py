"""The real OpenAI client path against a local OpenAI-compatible server that scripts tool calls."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from functional.test_agent_support import LALONDE, Driver, create_resources, frames, make_clients
from moto import mock_aws
from support import free_port

from causal_common.errors import LlmError, LlmRateLimitedError


class FakeOpenAI:
    """Answers POST /v1/chat/completions from a script; records every request body."""

    def __init__(self, script: list[tuple[int, dict[str, Any]]]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, payload = fake.script.pop(0)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "fake-model",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, _completion(
        {
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
            ],
        },
        "tool_calls",
    )


@pytest.fixture
def llm_world(monkeypatch):
    def build(script):
        fake = FakeOpenAI(script)
        clients = make_clients(monkeypatch)
        create_resources(
            clients, [LALONDE], api_key="sk-test-key", llm_settings={"model": "fake-model", "baseUrl": fake.url}
        )
        return clients, fake

    with mock_aws():
        yield build


def test_tool_calls_then_a_final_message_through_the_openai_client(llm_world):
    clients, fake = llm_world(
        [
            _tool_call(
                "call_a", "data_query", {"sql": "SELECT treat, AVG(re78) AS mean_outcome FROM data GROUP BY treat"}
            ),
            _tool_call("call_b", "data_query", {"sql": ""}),  # invalid: goes back as a tool error
            (200, _completion({"content": "Treated earn 1,794 more (from the tool results)."}, "stop")),
        ]
    )
    with fake:
        driver = Driver(clients)
        state = driver.start(
            {
                "sessionId": "o1",
                "userId": "alice",
                "datasetId": "lalonde_nsw",
                "query": {"text": "Does training raise earnings?"},
            }
        )
        ending, state = driver.run(state)
    assert ending == "final"
    answer = frames(clients, "o1")[-1]
    assert answer["type"] == "answer" and answer["text"] == "Treated earn 1,794 more (from the tool results)."

    first, second, third = (request["body"] for request in fake.requests)
    assert fake.requests[0]["path"] == "/v1/chat/completions" and fake.requests[0]["auth"] == "Bearer sk-test-key"
    assert first["model"] == "fake-model" and first["parallel_tool_calls"] is False
    assert {tool["function"]["name"] for tool in first["tools"]} == {"data_query", "eda", "causal_analysis", "ask_user"}
    sql = next(t for t in first["tools"] if t["function"]["name"] == "data_query")["function"]["parameters"]
    assert sql["required"] == ["sql"] and sql["additionalProperties"] is False
    assert first["messages"][0]["role"] == "system" and "re78" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "Does training raise earnings?"}
    # Each tool call is answered by a tool message with its id, the invalid one with the validation error.
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_a"
    assert second["messages"][-1]["role"] == "tool" and second["messages"][-1]["tool_call_id"] == "call_a"
    assert '"ok": true' in second["messages"][-1]["content"]
    assert third["messages"][-1]["tool_call_id"] == "call_b"
    assert "invalid arguments for data_query" in third["messages"][-1]["content"]


def test_ask_user_from_the_llm_becomes_a_prompt(llm_world):
    clients, fake = llm_world([_tool_call("call_q", "ask_user", {"question": "Which outcome, re78 or re75?"})])
    with fake:
        driver = Driver(clients)
        ending, state = driver.run(
            driver.start(
                {
                    "sessionId": "o2",
                    "userId": "alice",
                    "datasetId": "lalonde_nsw",
                    "query": {"text": "what is the effect?"},
                }
            )
        )
    assert ending == "ask" and frames(clients, "o2")[-1]["question"] == "Which outcome, re78 or re75?"


def test_rate_limits_become_the_retryable_error(llm_world):
    clients, fake = llm_world([(429, {"error": {"message": "slow down", "type": "rate_limit"}})])
    with fake:
        driver = Driver(clients)
        state = driver.start(
            {
                "sessionId": "o3",
                "userId": "alice",
                "datasetId": "lalonde_nsw",
                "query": {"text": "effect of treat on re78"},
            }
        )
        with pytest.raises(LlmRateLimitedError):
            driver.call("invoke-llm", state)


def test_a_rejected_request_is_an_llm_error_and_the_key_is_not_logged(llm_world, caplog):
    clients, fake = llm_world([(401, {"error": {"message": "bad key", "type": "auth"}})])
    with fake:
        driver = Driver(clients)
        state = driver.start(
            {
                "sessionId": "o4",
                "userId": "alice",
                "datasetId": "lalonde_nsw",
                "query": {"text": "effect of treat on re78"},
            }
        )
        with pytest.raises(LlmError, match="401"):
            driver.call("invoke-llm", state)
    assert "sk-test-key" not in caplog.text


def test_the_model_is_told_how_the_question_was_read_and_gets_the_steering_fields(llm_world):
    clients, fake = llm_world([(200, _completion({"content": "The median is 4,232."}, "stop"))])
    with fake:
        driver = Driver(clients)
        ending, _ = driver.run(
            driver.start(
                {
                    "sessionId": "o5",
                    "userId": "alice",
                    "datasetId": "lalonde_nsw",
                    "query": {"text": "What is the median of earnings in 1978?"},
                }
            )
        )
    assert ending == "final"
    body = fake.requests[0]["body"]
    system = body["messages"][0]["content"]
    assert '"intent": "descriptive"' in system and '"kind": "median"' in system and '"re78"' in system
    assert "no causal claim" in system
    tools = {tool["function"]["name"]: tool["function"]["parameters"]["properties"] for tool in body["tools"]}
    assert {"common_causes", "excluded"} <= set(tools["causal_analysis"])
    assert set(tools["data_query"]["intent"]["enum"]) == {"descriptive", "naive_comparison", "check"}
