"""The WebSocket gateway: API Gateway WebSocket semantics on FastAPI/uvicorn.

``create_app(settings)`` builds the app; ``python -m causal_gateway`` runs it.
Imports are lazy: importing the package does not start FastAPI.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GatewaySettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from causal_gateway.app import create_app

        return create_app
    if name == "GatewaySettings":
        from causal_gateway.settings import GatewaySettings

        return GatewaySettings
    raise AttributeError(name)
