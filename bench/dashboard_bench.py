"""Dashboard figures: API response times at 1,000 sessions, first meaningful paint, update latency.

Runs a moto server, seeds 1,000 sessions (and 100 jobs), serves the dashboard
router with uvicorn and drives it with headless Chromium (skipped when
/usr/bin/chromium is missing). Baselines measured in the same run:
``GET /api/ping`` for the API, the live poll interval for update latency.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import requests
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

import dashboard_fixtures as fixtures  # noqa: E402
from dashboard_testing import serve, sign_in  # noqa: E402
from support import free_port  # noqa: E402

from causal_dashboard import DashboardSettings, build_router  # noqa: E402
from causal_dashboard.clients import AwsClients  # noqa: E402

SESSIONS = 1000
REPEATS = 20
CHROMIUM = "/usr/bin/chromium"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def time_api(base: str, paths: list[str], login: object) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        sign_in(http, login)
        for path in paths:
            http.get(path).raise_for_status()  # warm
            samples = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                response = http.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            timings[path] = samples
    return timings


def browser_figures(base: str, clients: AwsClients, poll_seconds: float, login: object) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.new_page().goto(f"{base}/login?code={login.login_code()}")  # the one-time login link
        paints, meaningful = [], []
        for _ in range(5):
            page = context.new_page()
            page.goto(f"{base}/dashboard")
            page.wait_for_selector('[data-testid="function-row-websocket-handler"]')
            page.wait_for_selector('#sessions-body tr[data-testid^="session-row-"]')
            meaningful.append(page.evaluate("performance.now()"))
            paints.append(
                page.evaluate(
                    "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"
                )
            )
            page.close()
        page = context.new_page()
        page.goto(f"{base}/dashboard")
        page.wait_for_selector('#sessions-body tr[data-testid^="session-row-"]')
        latencies = []
        for index in range(8):
            session_id = f"bench-live-{index}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            fixtures.put_session(clients, session_id, status="running", updated_at=int(time.time()) + 10_000 + index)
            page.wait_for_selector(f'[data-testid="session-row-{session_id}"]', timeout=30000)
            latencies.append((time.perf_counter() - started) * 1000)
        changes = []
        for index in range(8):
            session_id = f"bench-live-{index % 3}"
            status = f"status{index}"
            page.wait_for_timeout(300)
            row = page.locator('#sessions-body tr[data-testid^="session-row-bench-live-"]').first
            target = row.get_attribute("data-testid").removeprefix("session-row-")
            started = time.perf_counter()
            clients.dynamodb.update_item(
                TableName=clients.names.sessions_table,
                Key={"sessionId": {"S": target}},
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": status}},
            )
            page.wait_for_selector(f'[data-testid="session-row-{target}"][data-status="{status}"]', timeout=30000)
            changes.append((time.perf_counter() - started) * 1000)
            del session_id
        browser.close()
    print(
        f"update latency (status of a shown session → visible) p50 {statistics.median(changes):7.1f} ms  "
        f"max {max(changes):7.1f} ms; baseline poll interval {poll_seconds * 1000:.0f} ms "
        f"→ ratio {statistics.median(changes) / (poll_seconds * 1000):.2f}"
    )
    print(f"first contentful paint     p50 {statistics.median(paints):7.1f} ms")
    print(
        f"first meaningful paint     p50 {statistics.median(meaningful):7.1f} ms  (functions and {SESSIONS} sessions' newest rows shown)"
    )
    print(
        f"update latency (new session written → row visible; needs a full scan) p50 {statistics.median(latencies):7.1f} ms  "
        f"max {max(latencies):7.1f} ms; baseline poll interval {poll_seconds * 1000:.0f} ms "
        f"→ ratio {statistics.median(latencies) / (poll_seconds * 1000):.2f}"
    )


def main() -> int:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        requests.post(f"{endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=5)
        settings = DashboardSettings(AWS_ENDPOINT_URL=endpoint, RESOURCE_PREFIX="bench-")
        clients = AwsClients(settings)
        created = fixtures.create_resources(clients)
        started = time.perf_counter()
        ids = fixtures.seed_sessions(clients, SESSIONS)
        for index in range(5):
            clients.stepfunctions.start_execution(
                stateMachineArn=created["stateMachineArn"], name=f"bench-{index}", input="{}"
            )
        fixtures.put_session(clients, "bench-detail", frames=50)
        print(f"seeded {SESSIONS} sessions, {SESSIONS // 10} jobs in {time.perf_counter() - started:.1f} s")
        app = FastAPI()
        router = build_router(settings, None, clients=clients)
        router.add_to(app)
        with serve(app, free_port()) as base:
            paths = [
                "/api/ping",
                "/api/sessions",
                "/api/sessions?offset=950&userId=user3",
                "/api/sessions/bench-detail",
                "/api/jobs",
                "/api/executions",
                "/api/executions/bench-0",
                "/api/functions",
                "/api/resources",
            ]
            timings = time_api(base, paths, router.operator_login)
            baseline = statistics.median(timings["/api/ping"])
            print(f"{'endpoint':40} {'p50 ms':>8} {'p95 ms':>8} {'× ping':>8}")
            for path, samples in timings.items():
                p50 = statistics.median(samples)
                print(f"{path:40} {p50:8.1f} {percentile(samples, 0.95):8.1f} {p50 / baseline:8.1f}")
            assert ids
            from causal_dashboard import store

            cold = []
            for _ in range(5):
                started_scan = time.perf_counter()
                store.list_sessions(clients, store.TableScanCache(ttl=0), limit=50)
                cold.append((time.perf_counter() - started_scan) * 1000)
            print(
                f"{'sessions list, uncached scan (in process)':40} {statistics.median(cold):8.1f} {max(cold):8.1f} "
                f"{statistics.median(cold) / baseline:8.1f}"
            )
            if os.path.exists(CHROMIUM):
                browser_figures(base, clients, settings.poll_interval_seconds, router.operator_login)
            else:
                print("browser figures skipped: /usr/bin/chromium is missing (make browser)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
