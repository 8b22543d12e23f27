"""The AWS clients the dashboard reads through, built once by the shared factory."""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config

from causal_common import aws
from causal_common.names import ResourceNames
from causal_common.settings import AwsSettings

# The dashboard reads; a slow endpoint must not hang the page.
_FAST = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})


class AwsClients:
    """Lazily built boto3 clients, shared by every request (boto3 clients are thread-safe)."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self.names = ResourceNames.from_settings(settings)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = aws.client(service, self.settings, config=_FAST)
            return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.get("dynamodb")

    @property
    def s3(self) -> Any:
        return self.get("s3")

    @property
    def lambda_(self) -> Any:
        return self.get("lambda")

    @property
    def logs(self) -> Any:
        return self.get("logs")

    @property
    def stepfunctions(self) -> Any:
        return self.get("stepfunctions")

    @property
    def secretsmanager(self) -> Any:
        return self.get("secretsmanager")

    @property
    def ecs(self) -> Any:
        return self.get("ecs")
