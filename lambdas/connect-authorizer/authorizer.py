"""The ``$connect`` REQUEST authorizer of the WebSocket API on AWS: the token check the gateway does locally.

The token is the ``token`` query string parameter (the API's identity source), verified with the
same code and the same signing key (the ``gateway-token-signing-key`` secret) as the gateway's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from causal_common import aws, tokens
from causal_common.errors import InvalidTokenError, UnauthorizedError
from causal_common.lambda_handler import LambdaEvent
from causal_common.names import ResourceNames
from causal_common.secret_values import read_secret
from causal_common.settings import AwsSettings

logger = logging.getLogger(__name__)

# What API Gateway turns into 401 when an authorizer raises it (any other failure is a 500).
UNAUTHORIZED = "Unauthorized"


class AuthorizerSettings(AwsSettings):
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # Tokens minted to live longer than this are refused, as the gateway refuses them.
    token_max_lifetime_seconds: int = Field(default=86400, gt=0, validation_alias="TOKEN_MAX_LIFETIME_SECONDS")
    # How long the signing key read from Secrets Manager is trusted before it is read again.
    secret_cache_seconds: float = Field(default=60.0, ge=0, validation_alias="SECRET_CACHE_SECONDS")


class RequestContext(BaseModel):
    model_config = ConfigDict(extra="ignore")
    connectionId: str | None = None


class AuthorizerEvent(LambdaEvent):
    """API Gateway's REQUEST authorizer event (the parts read here)."""

    model_config = ConfigDict(extra="ignore")
    methodArn: str
    queryStringParameters: dict[str, str] | None = None
    requestContext: RequestContext = Field(default_factory=RequestContext)

    def log_ids(self) -> dict[str, str | None]:
        return {"connection_id": self.requestContext.connectionId}

    @property
    def token(self) -> str | None:
        return (self.queryStringParameters or {}).get("token")


class AuthorizerClients:
    def __init__(self, settings: AuthorizerSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._key: tuple[float, str] | None = None

    @cached_property
    def secretsmanager(self) -> Any:
        return aws.client("secretsmanager", self.settings)

    def signing_key(self) -> str:
        now = time.monotonic()
        if self._key is None or now - self._key[0] > self.settings.secret_cache_seconds:
            secret = ResourceNames.from_settings(self.settings).token_signing_key_secret
            self._key = (now, read_secret(self.secretsmanager, secret))
        return self._key[1]


def authorize(event: AuthorizerEvent, clients: AuthorizerClients) -> dict[str, Any]:
    """An Allow policy with the user id in the context, a Deny policy for a bad token.

    Raises ``Exception("Unauthorized")`` when there is no token at all: API Gateway answers 401.
    """
    try:
        claims = tokens.verify_token(
            clients.signing_key(),
            event.token,
            now=clients.clock(),
            max_lifetime_seconds=clients.settings.token_max_lifetime_seconds,
        )
    except UnauthorizedError as exc:
        logger.info("refused: %s", exc.message)
        raise Exception(UNAUTHORIZED) from exc  # noqa: TRY002  # the exact error API Gateway maps to 401
    except InvalidTokenError as exc:
        logger.info("denied: %s", exc.message)
        return policy("anonymous", "Deny", event.methodArn, {})
    logger.info("allowed user %s", claims.user_id)
    return policy(claims.user_id, "Allow", event.methodArn, {"userId": claims.user_id})


def policy(principal: str, effect: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }
