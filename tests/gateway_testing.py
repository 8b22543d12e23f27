"""In-process stand-ins for the gateway's tests and benchmarks (moto cannot run Lambda code without Docker).

``RecordingHandler`` acts as the route integrations: it records every event
and answers by route with a behaviour you set; the default echoes message
bodies (send them back with ``GATEWAY_ROUTE_RESPONSES``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from causal_common.names import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from causal_gateway.integration import CallableIntegration
from causal_gateway.settings import GatewaySettings

Behaviour = Callable[[dict[str, Any]], dict[str, Any] | None]


def echo(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": event.get("body")}


def ok(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200}


class RecordingHandler:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.behaviours: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def __call__(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        route_key = event.get("requestContext", {}).get("routeKey", "")
        with self._lock:
            self.events.append((function_name, event))
            self._changed.notify_all()
        # A behaviour keyed by function name wins (e.g. a Lambda authorizer on $connect).
        behaviour = (
            self.behaviours.get(function_name) or self.behaviours.get(route_key) or (echo if "body" in event else ok)
        )
        return behaviour(event)

    def integration(self) -> CallableIntegration:
        return CallableIntegration(self)

    def of_route(self, route_key: str, connection_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                event
                for _, event in self.events
                if event.get("requestContext", {}).get("routeKey") == route_key
                and (connection_id is None or event["requestContext"]["connectionId"] == connection_id)
            ]

    def wait_for(
        self, route_key: str, connection_id: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """The route's events once at least ``count`` arrived (bounded wait)."""
        with self._lock:
            self._changed.wait_for(
                lambda: (
                    len(
                        [
                            event
                            for _, event in self.events
                            if event.get("requestContext", {}).get("routeKey") == route_key
                            and (connection_id is None or event["requestContext"]["connectionId"] == connection_id)
                        ]
                    )
                    >= count
                ),
                timeout,
            )
        return self.of_route(route_key, connection_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_gateway_secrets(secretsmanager: Any, settings: GatewaySettings, signing_key: str | None = None) -> str:
    """Create both gateway secrets (as the deployer does); returns the signing key."""
    key = signing_key or secrets.token_urlsafe(32)
    names = settings.names
    secretsmanager.create_secret(Name=names.token_signing_key_secret, SecretString=key)
    secretsmanager.create_secret(
        Name=names.management_credentials_secret,
        SecretString=json.dumps({"accessKeyId": LOCAL_ACCESS_KEY_ID, "secretAccessKey": LOCAL_SECRET_ACCESS_KEY}),
    )
    return key


@contextlib.contextmanager
def running_gateway(
    aws_endpoint: str,
    handler: RecordingHandler | None = None,
    *,
    create_secrets: bool = True,
    integration: Any | None = None,
    **overrides: Any,
) -> Iterator[GatewayUnderTest]:
    """A gateway on a free loopback port against ``aws_endpoint`` (moto), with in-process integrations
    (``handler``) unless ``integration`` is given (e.g. ``LambdaIntegration`` against the emulator).

    Resource names get a unique prefix, so several gateways can share one moto server.
    """
    from causal_gateway.app import create_app
    from causal_gateway.server import BackgroundServer

    handler = handler or RecordingHandler()
    options: dict[str, Any] = {
        "port": free_port(),
        "host": "127.0.0.1",
        "resource_prefix": f"gw{secrets.token_hex(4)}-",
        "endpoint_url": aws_endpoint,
        "secret_cache_seconds": 0.0,
        "dev_tokens": True,
    }
    options.update(overrides)
    settings = GatewaySettings(**options)
    secretsmanager = boto3.client("secretsmanager", endpoint_url=aws_endpoint, region_name=settings.region)
    signing_key = create_gateway_secrets(secretsmanager, settings) if create_secrets else ""
    app = create_app(settings, integration=integration or handler.integration(), secretsmanager=secretsmanager)
    with BackgroundServer(app, settings) as server:
        yield GatewayUnderTest(
            settings,
            handler,
            app.state.gateway,
            server.url,
            server.ws_url,
            signing_key,
            app.state.dashboard.operator_login,
        )


@dataclass
class GatewayUnderTest:
    settings: GatewaySettings
    handler: RecordingHandler
    gateway: Any  # causal_gateway.gateway.Gateway
    url: str
    ws_url: str
    signing_key: str
    operator_login: Any = None  # causal_dashboard's OperatorLogin when the dashboard is mounted

    def operator_client(self) -> Any:
        """An httpx client logged in to the dashboard (its JSON API includes /api/connections and /api/metrics)."""
        import httpx

        from causal_dashboard.operator_login import SESSION_COOKIE

        client = httpx.Client(base_url=self.url, timeout=10)
        response = client.get("/login", params={"code": self.operator_login.login_code()}, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, response.cookies[SESSION_COOKIE])
        return client

    def token(self, user_id: str = "alice") -> str:
        from causal_common.tokens import issue_token

        return issue_token(self.signing_key, user_id)

    def connect_url(self, user_id: str = "alice") -> str:
        return f"{self.ws_url}?token={self.token(user_id)}"

    def management(self, **client_options: Any) -> Any:
        """boto3's ``apigatewaymanagementapi`` client for this gateway's stage."""
        client_options.setdefault("region_name", self.settings.region)
        return boto3.client(
            "apigatewaymanagementapi", endpoint_url=f"{self.url}/{self.settings.stage}", **client_options
        )
