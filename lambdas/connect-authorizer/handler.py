"""connect-authorizer: the WebSocket API's ``$connect`` REQUEST authorizer (AWS only; the gateway checks tokens locally)."""

from __future__ import annotations

from typing import Any

from authorizer import AuthorizerClients, AuthorizerEvent, AuthorizerSettings, authorize

from causal_common import log
from causal_common.lambda_handler import lambda_handler


def _clients() -> AuthorizerClients:
    settings = AuthorizerSettings()
    log.configure(settings.log_level)
    return AuthorizerClients(settings)


@lambda_handler(AuthorizerEvent, _clients)
def handler(event: AuthorizerEvent, clients: AuthorizerClients) -> dict[str, Any]:
    return authorize(event, clients)
