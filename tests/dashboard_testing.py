"""Test and bench helpers: serve an app on a loopback port, a fake chat backend, a Failed function.

Not used by the running stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from causal_dashboard.clients import AwsClients


@contextlib.contextmanager
def serve(app: FastAPI, port: int) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _FailedFunctionLambda:
    """A Lambda client whose view of one function says ``State: Failed``."""

    def __init__(self, inner: Any, function_name: str, reason: str, code: str) -> None:
        self._inner = inner
        self._failed = {"State": "Failed", "StateReason": reason, "StateReasonCode": code}
        self._name = function_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get_paginator(self, operation: str) -> Any:
        paginator = self._inner.get_paginator(operation)
        if operation != "list_functions":
            return paginator
        outer = self

        class _Paginator:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                for page in paginator.paginate(**kwargs):
                    for config in page.get("Functions", []):
                        if config["FunctionName"] == outer._name:
                            config.update(outer._failed)
                    yield page

        return _Paginator()


class FailedFunctionClients(AwsClients):
    """AwsClients where ``function_name`` reports Failed (moto always reports Active)."""

    def __init__(self, settings: Any, function_name: str, reason: str, code: str = "InvalidZipFileException") -> None:
        super().__init__(settings)
        self._failed_function = (function_name, reason, code)

    @property
    def lambda_(self) -> Any:
        return _FailedFunctionLambda(self.get("lambda"), *self._failed_function)


class FakeAgent:
    """A WebSocket backend speaking the chat protocol, scripted for tests.

    ``query`` → session, progress, tool started, progress 50 %, tool succeeded,
    and either a prompt (``ask=True``) or the answer; ``reply`` → the answer.
    ``drop_after`` closes the socket abruptly after that many frames of a
    session (once), so the client must reconnect and ``resume``.
    """

    def __init__(
        self,
        *,
        ask: bool = False,
        drop_after: int | None = None,
        delay: float = 0.05,
        fail: bool = False,
        signing_key: str = "do-not-show-this-signing-key-of-32-bytes-or-more",
    ) -> None:
        # Real tokens, signed with the stack's key (the fixtures' secret): the chat API checks them.
        self.signing_key = signing_key
        self.ask = ask
        self.drop_after = drop_after
        self.delay = delay
        self.fail = fail
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.received: list[dict[str, Any]] = []
        self.tokens: list[str] = []
        self.connections = 0
        self._dropped = False

    def answer(self) -> dict[str, Any]:
        return {
            "type": "answer",
            "text": "Training raises 1978 earnings by about **$1,794**.\n\nThe refutations agree.",
            "result": {
                "treatment": "treat",
                "outcome": "re78",
                "estimate": 1794.34,
                "ci": [372.5, 3216.2],
                "method": "backdoor.linear_regression",
                "naiveEstimate": 1794.34,
                "refutations": [
                    {"name": "placebo_treatment", "passed": True, "detail": "new effect 12.3 (p=0.91)"},
                    {"name": "random_common_cause", "passed": False, "detail": "effect moved by 40%"},
                ],
                "artifacts": [{"name": "balance.png", "url": "/artifacts/jobs/job-1/balance.png"}],
            },
        }

    def script(self, session_id: str, kind: str) -> list[dict[str, Any]]:
        if kind == "reply":
            return [{"type": "progress", "stage": "invoke-llm", "message": "thanks"}, self.answer()]
        frames: list[dict[str, Any]] = [
            {"type": "session", "userId": "alice", "datasetId": "lalonde_nsw"},
            {"type": "progress", "stage": "parse-initial-query", "message": "reading the question"},
            {"type": "tool", "name": "causal_analysis", "status": "started", "summary": "treat → re78"},
            {"type": "progress", "stage": "causal_analysis", "message": "estimating", "pct": 50.0},
            {"type": "tool", "name": "causal_analysis", "status": "succeeded", "summary": "estimate 1794"},
        ]
        if self.fail:
            frames.append({"type": "error", "message": "the analysis failed", "errorId": "err-123"})
        elif self.ask:
            frames.append({"type": "prompt", "question": "Which column is the outcome?"})
        else:
            frames.append(self.answer())
        return frames

    def app_routes(self, app: FastAPI, stage: str = "dev") -> None:
        agent = self

        @app.post("/auth/token")
        async def token(body: dict[str, Any]) -> dict[str, Any]:
            user = str(body.get("userId", ""))
            if not user or not user.isalnum():
                from fastapi.responses import JSONResponse

                return JSONResponse({"message": "userId must be letters and digits"}, status_code=400)
            from causal_common.tokens import issue_token

            issued = issue_token(agent.signing_key, user, 3600)
            agent.tokens.append(issued)
            return {"token": issued, "userId": user, "expiresAt": int(time.time()) + 3600}

        @app.websocket(f"/{stage}")
        async def socket(websocket: WebSocket) -> None:
            from causal_common.errors import InvalidTokenError, UnauthorizedError
            from causal_common.tokens import verify_token

            try:
                verify_token(agent.signing_key, websocket.query_params.get("token"))
            except (InvalidTokenError, UnauthorizedError):
                await websocket.close(1008)
                return
            await websocket.accept()
            agent.connections += 1
            try:
                while True:
                    message = json.loads(await websocket.receive_text())
                    agent.received.append(message)
                    if not await agent._handle(websocket, message):
                        return
            except WebSocketDisconnect:
                return

    async def _handle(self, websocket: WebSocket, message: dict[str, Any]) -> bool:
        action = message.get("action")
        if action == "query":
            session_id = message.get("sessionId") or f"sess-{len(self.frames) + 1}"
            return await self._emit(websocket, session_id, self.script(session_id, "query"))
        if action == "reply":
            return await self._emit(websocket, message["sessionId"], self.script(message["sessionId"], "reply"))
        if action == "cancel":
            return await self._emit(
                websocket, message["sessionId"], [{"type": "error", "message": "cancelled", "errorId": "c"}]
            )
        if action == "resume":
            for frame in self.frames.get(message["sessionId"], []):
                if frame["seq"] > int(message.get("afterSeq", 0)):
                    await websocket.send_text(json.dumps(frame))
            return True
        await websocket.send_text(json.dumps({"message": "Forbidden", "connectionId": "x", "requestId": "y"}))
        return True

    async def _emit(self, websocket: WebSocket, session_id: str, frames: list[dict[str, Any]]) -> bool:
        log = self.frames.setdefault(session_id, [])
        for frame in frames:
            numbered = {**frame, "sessionId": session_id, "seq": len(log) + 1}
            log.append(numbered)
        # Send what was just stored; a drop leaves the rest "pending" for resume.
        for numbered in log[len(log) - len(frames) :]:
            if self.drop_after is not None and not self._dropped and numbered["seq"] > self.drop_after:
                self._dropped = True
                await websocket.close(1011)
                return False
            await websocket.send_text(json.dumps(numbered))
            await asyncio.sleep(self.delay)
        return True


def sign_in(client: Any, login: Any, base: str = "") -> str:
    """Log ``client`` (TestClient or httpx.Client) in to the dashboard with a one-time code, as a
    person opening the link `causal-stack up` printed does; it then sends the CSRF token too."""
    from causal_dashboard.operator_login import CSRF_HEADER, SESSION_COOKIE

    response = client.get(f"{base}/login", params={"code": login.login_code()}, follow_redirects=False)
    assert response.status_code == 303, response.text
    client.cookies.set(SESSION_COOKIE, response.cookies[SESSION_COOKIE])
    csrf = client.get(f"{base}/api/session").json()["csrfToken"]
    client.headers[CSRF_HEADER] = csrf
    return csrf


def signed_in_client(router: Any) -> Any:
    """A TestClient for an app holding ``router`` (the dashboard's), logged in."""
    from fastapi.testclient import TestClient

    app = FastAPI()
    router.add_to(app)
    client = TestClient(app)
    sign_in(client, router.operator_login)
    return client
