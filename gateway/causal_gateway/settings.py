"""The gateway's configuration: one pydantic-settings class, read from the environment."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from causal_common.names import ResourceNames
from causal_common.settings import AwsSettings
from causal_guard.request_origin import split_list

# AWS API Gateway quotas for WebSocket APIs.
AWS_FRAME_LIMIT = 32 * 1024
AWS_MESSAGE_LIMIT = 128 * 1024
AWS_IDLE_TIMEOUT_SECONDS = 600.0
AWS_MAX_CONNECTION_SECONDS = 7200.0
AWS_INTEGRATION_TIMEOUT_SECONDS = 29.0

# A token never lives longer than this, whatever a caller asks for.
MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600

_SELECTION_EXPRESSION = re.compile(r"^\$request\.body\.[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


class GatewaySettings(AwsSettings):
    """Everything ``python -m causal_gateway`` reads; every value has an env variable."""

    host: str = Field(default="127.0.0.1", validation_alias="GATEWAY_HOST")
    port: int = Field(default=8080, ge=0, le=65535, validation_alias="GATEWAY_PORT")
    # A second port serving the same app (dashboard, /api/resources, login and all):
    # the old stack's dashboard address, :4567. Unset: none. Taken: a warning, not a failure.
    extra_port: int | None = Field(default=None, ge=1, le=65535, validation_alias="GATEWAY_EXTRA_PORT")
    stage: str = Field(default="dev", pattern=r"^[A-Za-z0-9_-]{1,128}$", validation_alias="GATEWAY_STAGE")
    api_id: str = Field(default="causalws01", pattern=r"^[a-z0-9]{1,32}$", validation_alias="GATEWAY_API_ID")

    # Route key -> Lambda function name (JSON in the environment). Empty means
    # $connect, $disconnect and $default all go to <prefix>websocket-handler.
    routes: dict[str, str] = Field(default_factory=dict, validation_alias="GATEWAY_ROUTES")
    # Routes whose integration response body is sent back to the client
    # (API Gateway "route responses", i.e. two-way routes). The stack's API has a
    # route response on $default, so a client hears why its frame was refused.
    route_responses: list[str] = Field(default_factory=lambda: ["$default"], validation_alias="GATEWAY_ROUTE_RESPONSES")
    route_selection_expression: str = Field(
        default="$request.body.action", validation_alias="GATEWAY_ROUTE_SELECTION_EXPRESSION"
    )

    idle_timeout_seconds: float = Field(default=AWS_IDLE_TIMEOUT_SECONDS, gt=0, validation_alias="GATEWAY_IDLE_TIMEOUT")
    max_connection_seconds: float = Field(
        default=AWS_MAX_CONNECTION_SECONDS, gt=0, validation_alias="GATEWAY_MAX_CONNECTION_DURATION"
    )
    frame_limit_bytes: int = Field(default=AWS_FRAME_LIMIT, gt=0, validation_alias="GATEWAY_FRAME_LIMIT")
    message_limit_bytes: int = Field(default=AWS_MESSAGE_LIMIT, gt=0, validation_alias="GATEWAY_MESSAGE_LIMIT")
    integration_timeout_seconds: float = Field(
        default=AWS_INTEGRATION_TIMEOUT_SECONDS, gt=0, validation_alias="GATEWAY_INTEGRATION_TIMEOUT"
    )
    integration_workers: int = Field(default=32, ge=1, le=512, validation_alias="GATEWAY_INTEGRATION_WORKERS")

    # "token": HMAC tokens signed with the key in Secrets Manager.
    # "lambda": a Lambda REQUEST authorizer (authorizer_function) decides.
    # "none": no auth (the user id is then "anonymous").
    auth_mode: Literal["token", "lambda", "none"] = Field(default="token", validation_alias="GATEWAY_AUTH_MODE")
    authorizer_function: str | None = Field(default=None, validation_alias="GATEWAY_AUTHORIZER_FUNCTION")
    token_ttl_seconds: int = Field(default=86400, gt=0, validation_alias="GATEWAY_TOKEN_TTL")
    # Tokens whose lifetime (exp - iat) is longer are refused at $connect, however they were minted.
    token_max_lifetime_seconds: int = Field(
        default=86400, gt=0, le=MAX_TOKEN_LIFETIME_SECONDS, validation_alias="GATEWAY_TOKEN_MAX_LIFETIME"
    )
    # POST /auth/token mints a token for any user id: a development feature, off unless switched on
    # (`causal-stack up` and compose switch it on), and refused against real AWS.
    dev_tokens: bool = Field(default=False, validation_alias="GATEWAY_DEV_TOKENS")
    target: str = Field(default="embedded", validation_alias="STACK_TARGET")

    # Host names answered besides loopback ones (compose: the service name; a LAN demo: the machine's name).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="GATEWAY_ALLOWED_HOSTS"
    )
    # Browser origins besides the gateway's own that may call it (none by default).
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="GATEWAY_ALLOWED_ORIGINS"
    )

    # Management API (/@connections) SigV4 credentials come from the
    # management-api-credentials secret. When that secret does not exist the
    # gateway falls back to its own AWS credentials only if this is true (off: the stack always has it).
    management_credentials_fallback: bool = Field(
        default=False, validation_alias="GATEWAY_MANAGEMENT_CREDENTIALS_FALLBACK"
    )
    # Serve only while the deployed stack is there (its secrets, with the deployer's mark): a wiped or
    # restarted emulator is noticed within ``stack_check_seconds``; meanwhile $connect gets 503 and
    # messages an ``error`` frame. `causal-stack up` and compose switch it on.
    require_deployed: bool = Field(default=False, validation_alias="GATEWAY_REQUIRE_DEPLOYED")
    stack_check_seconds: float = Field(default=1.0, gt=0, validation_alias="GATEWAY_STACK_CHECK_SECONDS")
    # WebSocket connections one user may hold at once; the next $connect gets 429, as API Gateway throttles.
    max_connections_per_user: int = Field(default=20, ge=1, validation_alias="GATEWAY_MAX_CONNECTIONS_PER_USER")
    # Every JSON request body: larger is 413, nested deeper than 32 levels is 400 (before any parsing).
    max_json_body_bytes: int = Field(default=1024 * 1024, gt=0, validation_alias="GATEWAY_MAX_JSON_BODY")
    signature_max_skew_seconds: int = Field(default=900, gt=0, validation_alias="GATEWAY_SIGNATURE_MAX_SKEW")
    # How long a fetched secret is trusted before it is read again.
    secret_cache_seconds: float = Field(default=60.0, ge=0, validation_alias="GATEWAY_SECRET_CACHE_SECONDS")

    timeline_length: int = Field(default=500, gt=0, validation_alias="GATEWAY_TIMELINE_LENGTH")
    closed_connections_kept: int = Field(default=200, ge=0, validation_alias="GATEWAY_CLOSED_CONNECTIONS_KEPT")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @field_validator("allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> list[str]:
        return split_list(value)

    @model_validator(mode="after")
    def _check(self) -> GatewaySettings:
        if self.dev_tokens and (self.endpoint_url is None or self.target == "aws"):
            raise ValueError(
                "GATEWAY_DEV_TOKENS (POST /auth/token) cannot be enabled against real AWS: "
                "issue tokens with `causal-stack token --user ID`"
            )
        if self.token_ttl_seconds > self.token_max_lifetime_seconds:
            raise ValueError("GATEWAY_TOKEN_TTL must not exceed GATEWAY_TOKEN_MAX_LIFETIME")
        if not self.routes:
            handler = self.names.function("websocket-handler")
            self.routes = {"$connect": handler, "$disconnect": handler, "$default": handler}
        if not _SELECTION_EXPRESSION.match(self.route_selection_expression):
            raise ValueError(
                f"route selection expression {self.route_selection_expression!r} is not supported; "
                "use $request.body.<field>[.<field>…]"
            )
        if self.frame_limit_bytes > self.message_limit_bytes:
            raise ValueError("frame limit must not exceed the message limit")
        if self.auth_mode == "lambda" and not self.authorizer_function:
            raise ValueError("GATEWAY_AUTH_MODE=lambda needs GATEWAY_AUTHORIZER_FUNCTION (a Lambda function name)")
        return self

    @property
    def names(self) -> ResourceNames:
        return ResourceNames.from_settings(self)

    @property
    def selection_path(self) -> tuple[str, ...]:
        """``$request.body.action`` -> ``("action",)``."""
        return tuple(self.route_selection_expression.removeprefix("$request.body.").split("."))
