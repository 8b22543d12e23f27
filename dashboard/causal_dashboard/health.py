"""Health of the services the stack runs: AWS endpoint, gateway, ECS runner, Docker socket."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from causal_dashboard.clients import AwsClients
from causal_dashboard.gateway_view import GatewayView
from causal_dashboard.settings import DashboardSettings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.5


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = check()
    except (httpx.HTTPError, ClientError, BotoCoreError, OSError) as exc:
        result = {"status": "down", "detail": str(exc)[:300]}
    result["latencyMs"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def aws_endpoint(clients: AwsClients) -> dict[str, Any]:
    clients.dynamodb.list_tables(Limit=1)
    return {"status": "up", "detail": "DynamoDB answered"}


def ecs_runner(url: str) -> dict[str, Any]:
    response = httpx.get(url.rstrip("/") + "/health", timeout=TIMEOUT_SECONDS)
    if response.status_code == 200:
        return {"status": "up", "detail": response.text[:200]}
    return {"status": "down", "detail": f"HTTP {response.status_code}"}


def docker_socket(path: str) -> dict[str, Any]:
    transport = httpx.HTTPTransport(uds=path)
    with httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS) as client:
        response = client.get("http://docker/_ping")
    if response.status_code == 200:
        return {"status": "up", "detail": "Docker engine answered _ping"}
    return {"status": "down", "detail": f"HTTP {response.status_code}"}


def services(settings: DashboardSettings, clients: AwsClients, gateway: GatewayView | None) -> list[dict[str, Any]]:
    checks: list[tuple[str, str | None, Callable[[], dict[str, Any]]]] = [
        ("AWS endpoint", settings.endpoint_url or f"AWS {settings.region}", lambda: aws_endpoint(clients)),
    ]
    ecs_url = settings.endpoint_url_ecs
    if ecs_url:
        checks.append(("ECS runner", ecs_url, lambda: ecs_runner(ecs_url)))
    else:
        checks.append(
            ("ECS runner", None, lambda: {"status": "n/a", "detail": "AWS_ENDPOINT_URL_ECS not set (real ECS)"})
        )
    if os.path.exists(settings.docker_socket):
        checks.append(("Docker socket", settings.docker_socket, lambda: docker_socket(settings.docker_socket)))

    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        results = list(pool.map(lambda check: _timed(check[2]), checks))
    rows = [{"name": name, "url": url, **result} for (name, url, _check), result in zip(checks, results)]
    # The page is served by the gateway, so the gateway is up when this answers.
    rows.insert(
        1,
        {
            "name": "Gateway",
            "url": f"/{settings.stage}",
            "status": "up",
            "detail": "serving this page" + ("" if gateway is not None else " (no live registry attached)"),
            "latencyMs": 0.0,
        },
    )
    return rows
