"""The boto3 clients a step needs, built on first use from settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from causal_agent.settings import AgentSettings
from causal_common import aws
from causal_common.outbox import Outbox


class AgentClients:
    """Lazily built clients; tests pass fakes by setting the attributes."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self.names = settings.names
        # Seconds since the epoch; tests pass a fake clock to move time without sleeping.
        self.clock: Callable[[], float] = time.time

    @cached_property
    def dynamodb(self) -> Any:
        return aws.client("dynamodb", self.settings)

    @cached_property
    def s3(self) -> Any:
        return aws.client("s3", self.settings)

    @cached_property
    def stepfunctions(self) -> Any:
        return aws.client("stepfunctions", self.settings)

    @cached_property
    def ecs(self) -> Any:
        return aws.client("ecs", self.settings)

    @cached_property
    def secrets(self) -> Any:
        return aws.client("secretsmanager", self.settings)

    @cached_property
    def management(self) -> Any:
        return aws.management_client(self.settings, self.settings.websocket_callback_url, self.secrets)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.dynamodb, self.management, self.names)
