"""The deployer waits for its endpoint with a deadline instead of giving up after one probe."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from support import free_port

from causal_deploy import DeployConfig
from causal_deploy.deployer import _require_endpoint
from causal_deploy.errors import EndpointUnreachableError


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_an_endpoint_that_comes_up_late_is_waited_for():
    port = free_port()
    servers = []

    def start_later() -> None:
        time.sleep(1.5)
        server = http.server.HTTPServer(("127.0.0.1", port), Answer)
        servers.append(server)
        server.serve_forever()

    threading.Thread(target=start_later, daemon=True).start()
    try:
        started = time.monotonic()
        _require_endpoint(DeployConfig(endpoint_url=f"http://127.0.0.1:{port}", DEPLOY_ENDPOINT_WAIT=20))
        assert time.monotonic() - started >= 1.0
    finally:
        for server in servers:
            server.shutdown()


def test_an_endpoint_that_never_answers_fails_after_the_deadline_with_the_way_out():
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(EndpointUnreachableError) as raised:
        _require_endpoint(DeployConfig(endpoint_url=url, DEPLOY_ENDPOINT_WAIT=1))

    message = raised.value.message
    assert f"nothing answers at {url}" in message
    assert "attempts in 1 s" in message and "DEPLOY_ENDPOINT_WAIT" in message
