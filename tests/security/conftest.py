"""Fixtures of the security tests: a page on a foreign origin (Chromium comes from tests/conftest.py)."""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Iterator

import pytest
from support import free_port

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium); run `make browser`"
)


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<!doctype html><title>some other site</title><p>another origin</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def foreign_site() -> Iterator[str]:
    """A page on another origin (another port on loopback), like any web page the user visits."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def foreign_origin() -> Iterator[str]:
    with foreign_site() as origin:
        yield origin
