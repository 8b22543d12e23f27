"""boto3 clients for the deployer: the shared factory with short timeouts.

An endpoint that is down must fail in seconds, not after botocore's retry
storm, so connect timeouts are short and attempts few.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config

from causal_common import aws
from causal_common.settings import AwsSettings
from causal_deploy.errors import EndpointUnreachableError

FAST_FAIL = Config(connect_timeout=2, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})
PATH_STYLE = Config(s3={"addressing_style": "path"})
# No endpoint in settings means real AWS: botocore must not pick AWS_ENDPOINT_URL* up by itself.
REAL_AWS = Config(ignore_configured_endpoint_urls=True)  # type: ignore[call-arg]  # botocore has it; its stubs do not yet


def probe(url: str, timeout: float = 2.0) -> str | None:
    """``None`` when something answers HTTP at ``url``; otherwise why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered, just not with 2xx
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(reason).__name__


def emulator_python(endpoint_url: str, timeout: float = 5.0) -> str | None:
    """The Python version (``"3.11"``) the project's emulator at ``endpoint_url`` runs
    Lambda handlers with; ``None`` when the endpoint is not that emulator."""
    try:
        with urllib.request.urlopen(endpoint_url.rstrip("/") + "/_causal/health", timeout=timeout) as response:
            described = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    python = (described.get("lambdaRuntime") or {}).get("python") if isinstance(described, dict) else None
    return python if isinstance(python, str) else None


def require_reachable(url: str, what: str, hint: str) -> None:
    problem = probe(url)
    if problem is not None:
        raise EndpointUnreachableError(f"{what} at {url} is not reachable ({problem}). {hint}")


def tcp_reachable(url: str, timeout: float = 2.0) -> bool:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class Clients:
    """Lazily built clients, one per service, all from one settings object."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings

    def _client(self, service: str, extra: Config | None = None) -> Any:
        config = FAST_FAIL.merge(extra) if extra else FAST_FAIL
        if self.settings.endpoint_for(service) is None:
            config = config.merge(REAL_AWS)
        return aws.client(service, self.settings, config=config)

    @cached_property
    def sts(self) -> Any:
        return self._client("sts")

    @cached_property
    def iam(self) -> Any:
        return self._client("iam")

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def s3(self) -> Any:
        return self._client("s3", PATH_STYLE if self.settings.endpoint_url else None)

    @cached_property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    @cached_property
    def awslambda(self) -> Any:
        return self._client("lambda")

    @cached_property
    def stepfunctions(self) -> Any:
        return self._client("stepfunctions")

    @cached_property
    def ecs(self) -> Any:
        return self._client("ecs")

    @cached_property
    def events(self) -> Any:
        return self._client("events")

    # The AWS target's own services.
    @cached_property
    def apigatewayv2(self) -> Any:
        return self._client("apigatewayv2")

    @cached_property
    def ecr(self) -> Any:
        return self._client("ecr")

    @cached_property
    def logs(self) -> Any:
        return self._client("logs")

    @cached_property
    def ec2(self) -> Any:
        return self._client("ec2")

    @cached_property
    def account_id(self) -> str:
        return self.sts.get_caller_identity()["Account"]
