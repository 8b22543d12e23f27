"""Fixtures for every tier. AWS credentials are fake and the region fixed, so
no test can touch a real account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import skip_policy
from support import free_port

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_REGION": "eu-central-1",
    }
)
for _variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "OPENAI_API_KEY"):
    os.environ.pop(_variable, None)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")  # Playwright's sync API holds an event loop while it is open
def browser() -> Iterator[object]:
    """Debian's headless Chromium through Playwright (skips when it is not installed)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A plain moto server (no local Lambda runner) on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    skip_policy.register(config)
