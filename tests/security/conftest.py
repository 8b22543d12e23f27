"""Fixtures of the security tests: a page on a foreign origin (Chromium comes from tests/conftest.py),
and commands run as another local user (``runuser``, as root)."""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping

import pytest
from support import free_port

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (/usr/bin/chromium); run `make browser`"
)


# Another account on the machine, as an attacker with a shell of their own has.
OTHER_USER = "nobody"
needs_other_user = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0 or shutil.which("runuser") is None,
    reason="running a command as another local user needs root and runuser",
)


def as_other_user(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``argv`` run as :data:`OTHER_USER` (from ``/``: the checkout is not theirs)."""
    return subprocess.run(
        [shutil.which("runuser") or "runuser", "-u", OTHER_USER, "--", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )


def curl_as_other_user(
    method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes = b""
) -> tuple[int, str]:
    """``curl`` run by another local user: the status and the body it got."""
    argv = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if body:
        argv += ["--data-binary", body.decode()]
    done = as_other_user(argv)
    text, _, status = done.stdout.rpartition("\n")
    return int(status or 0), text


def signed_headers(
    method: str, url: str, key: str, secret: str, *, service: str, region: str = "eu-central-1", body: bytes = b""
) -> dict[str, str]:
    """SigV4 headers for a request (botocore's signer, as any SDK signs); anyone can compute them
    for a pair they know, whoever then sends the request."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


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
