"""Who may connect: decided once, at ``$connect``, before the integration runs.

Each authorizer returns the ``requestContext.authorizer`` map (always with
``userId`` and ``principalId``) or raises :class:`UnauthorizedError` (401) /
:class:`InvalidTokenError` (403).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from causal_common import tokens
from causal_common.errors import InvalidTokenError, UnauthorizedError
from causal_gateway import events
from causal_gateway.errors import IntegrationError
from causal_gateway.integration import Integration
from causal_gateway.registry import Connection
from causal_gateway.secrets import GatewaySecrets

RunBlocking = Callable[..., Awaitable[Any]]
Pairs = list[tuple[str, str]]


class Authorizer(Protocol):
    async def authorize(
        self, connection: Connection, headers: Pairs, query: Pairs, request_id: str
    ) -> dict[str, Any]: ...


def _last(pairs: Pairs, name: str) -> str | None:
    found = None
    for key, value in pairs:
        if key == name:
            found = value
    return found


class TokenAuthorizer:
    """HMAC tokens (``?token=``) signed with the key in Secrets Manager."""

    def __init__(
        self, secrets: GatewaySecrets, run_blocking: RunBlocking, max_lifetime_seconds: int | None = None
    ) -> None:
        self._secrets = secrets
        self._run_blocking = run_blocking
        self._max_lifetime = max_lifetime_seconds

    async def authorize(self, connection: Connection, headers: Pairs, query: Pairs, request_id: str) -> dict[str, Any]:
        token = _last(query, "token")
        if not token:
            raise UnauthorizedError("a token is required (?token=…, from POST /auth/token)")
        key = await self._run_blocking(self._secrets.signing_key)
        claims = tokens.verify_token(key, token, max_lifetime_seconds=self._max_lifetime)
        return {"userId": claims.user_id, "principalId": claims.user_id}


class NoAuthorizer:
    async def authorize(self, connection: Connection, headers: Pairs, query: Pairs, request_id: str) -> dict[str, Any]:
        return {"userId": "anonymous", "principalId": "anonymous"}


class LambdaRequestAuthorizer:
    """A Lambda REQUEST authorizer, as on API Gateway: an IAM policy plus a context map."""

    def __init__(self, function_name: str, integration: Integration, run_blocking: RunBlocking, region: str) -> None:
        self._function_name = function_name
        self._integration = integration
        self._run_blocking = run_blocking
        self._region = region

    async def authorize(self, connection: Connection, headers: Pairs, query: Pairs, request_id: str) -> dict[str, Any]:
        event = events.authorizer_event(connection, headers, query, request_id, self._region)
        try:
            response = await self._run_blocking(self._integration.invoke, self._function_name, event)
        except IntegrationError as exc:
            # A Lambda authorizer that raises "Unauthorized" means 401, as on AWS.
            if "Unauthorized" in exc.message:
                raise UnauthorizedError("Unauthorized") from exc
            raise
        if not isinstance(response, dict) or not _allows(response.get("policyDocument")):
            raise InvalidTokenError("the authorizer denied the connection")
        principal = str(response.get("principalId") or "")
        context = response.get("context") or {}
        if not isinstance(context, dict):
            context = {}
        # API Gateway stringifies context values (numbers and booleans only are allowed).
        authorizer = {
            str(key): value if isinstance(value, str) else json.dumps(value) for key, value in context.items()
        }
        authorizer["principalId"] = principal
        authorizer.setdefault("userId", principal or "anonymous")
        return authorizer


def _allows(policy: Any) -> bool:
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    effects = [str(statement.get("Effect", "")).lower() for statement in statements if isinstance(statement, dict)]
    return "allow" in effects and "deny" not in effects
