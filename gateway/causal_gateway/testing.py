"""In-process stand-ins for tests and benchmarks (moto cannot run Lambda code without Docker).

``RecordingHandler`` acts as the route integrations: it records every event
and answers by route with a behaviour you set; the default echoes message
bodies (send them back with ``GATEWAY_ROUTE_RESPONSES``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

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
        behaviour = self.behaviours.get(route_key) or (echo if "body" in event else ok)
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

    def wait_for(self, route_key: str, connection_id: str | None = None, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The route's events once at least ``count`` arrived (bounded wait)."""
        with self._lock:
            self._changed.wait_for(
                lambda: len(
                    [
                        event
                        for _, event in self.events
                        if event.get("requestContext", {}).get("routeKey") == route_key
                        and (connection_id is None or event["requestContext"]["connectionId"] == connection_id)
                    ]
                )
                >= count,
                timeout,
            )
        return self.of_route(route_key, connection_id)


def create_gateway_secrets(secretsmanager: Any, settings: GatewaySettings, signing_key: str | None = None) -> str:
    """Create both gateway secrets (as the deployer does); returns the signing key."""
    key = signing_key or secrets.token_urlsafe(32)
    names = settings.names
    secretsmanager.create_secret(Name=names.token_signing_key_secret, SecretString=key)
    secretsmanager.create_secret(
        Name=names.management_credentials_secret,
        SecretString='{"accessKeyId": "test", "secretAccessKey": "test"}',
    )
    return key
