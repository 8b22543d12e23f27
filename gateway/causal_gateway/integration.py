"""Route integrations: how the gateway calls a Lambda function.

:class:`Integration` is the seam: the default calls Lambda ``Invoke`` through
boto3 at the configured AWS endpoint; tests and benchmarks pass an in-process
implementation. Calls are blocking and run on the gateway's worker threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from causal_common import aws
from causal_gateway.errors import IntegrationError, IntegrationTimeoutError
from causal_gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)


class Integration(Protocol):
    """Blocking ``invoke`` runs on the gateway's worker threads. An integration
    may also define ``async def invoke_async(function_name, event)``; the
    gateway then awaits it on the event loop instead (in-process handlers)."""

    def invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """Run the function on ``event`` and return its (proxy) response.

        Raises :class:`IntegrationError` when the function fails.
        """


@dataclass(slots=True)
class ProxyResponse:
    """A Lambda proxy response, read leniently as API Gateway does."""

    status_code: int
    body: str | None
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @classmethod
    def parse(cls, response: Any) -> ProxyResponse:
        # API Gateway treats a response without statusCode as 200.
        if not isinstance(response, dict):
            return cls(200, None if response is None else json.dumps(response), {})
        try:
            status = int(response.get("statusCode", 200))
        except (TypeError, ValueError):
            status = 502
        body = response.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        headers = response.get("headers")
        if not headers or not isinstance(headers, dict):
            return cls(status, body, {})
        return cls(status, body, {str(k): str(v) for k, v in headers.items()})


class LambdaIntegration:
    """Lambda ``Invoke`` (RequestResponse) through the emulator or AWS."""

    def __init__(self, settings: GatewaySettings, client: Any | None = None) -> None:
        self._timeout = settings.integration_timeout_seconds
        self._client = client or aws.client(
            "lambda",
            settings,
            config=Config(
                max_pool_connections=settings.integration_workers,
                # API Gateway's integration timeout (29 s): no answer by then is a timeout.
                read_timeout=settings.integration_timeout_seconds,
                retries={"max_attempts": 1, "mode": "standard"},
            ),
        )

    def invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self._client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        except ReadTimeoutError as exc:
            raise IntegrationTimeoutError(f"{function_name} did not answer in {self._timeout} s") from exc
        except (ClientError, BotoCoreError) as exc:
            raise IntegrationError(f"invoking {function_name} failed: {exc}") from exc
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            raise IntegrationError(f"{function_name} failed: {payload[:500].decode(errors='replace')}")
        if not payload:
            return None
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise IntegrationError(f"{function_name} returned a payload that is not JSON") from exc


class CallableIntegration:
    """An in-process integration: ``handler(function_name, event) -> response``.

    Exceptions raised by the handler count as function errors, as a Lambda's would.
    """

    def __init__(self, handler: Callable[[str, dict[str, Any]], dict[str, Any] | None]) -> None:
        self._handler = handler

    def invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._handler(function_name, event)
        except IntegrationError:
            raise
        except Exception as exc:  # noqa: BLE001 - any crash of the handler is a function error
            raise IntegrationError(f"{function_name} raised {type(exc).__name__}: {exc}") from exc


class AsyncCallableIntegration:
    """An in-process integration awaited on the event loop: ``async handler(function_name, event)``.

    For benchmarks and tests of the gateway's own overhead; the handler must not block.
    """

    def __init__(self, handler: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any] | None]]) -> None:
        self._handler = handler

    def invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        raise IntegrationError("AsyncCallableIntegration is awaited through invoke_async")

    async def invoke_async(self, function_name: str, event: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return await self._handler(function_name, event)
        except IntegrationError:
            raise
        except Exception as exc:  # noqa: BLE001 - any crash of the handler is a function error
            raise IntegrationError(f"{function_name} raised {type(exc).__name__}: {exc}") from exc
