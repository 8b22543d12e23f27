"""The one factory for boto3 clients: every endpoint comes from settings."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from causal_common.settings import AwsSettings

_RETRIES = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)


def client(service: str, settings: AwsSettings, *, endpoint_url: str | None = None, config: Config | None = None) -> Any:
    """A boto3 client for ``service`` at the endpoint the settings name.

    ``endpoint_url`` wins when given (the management API's callback URL is
    per-stage, not per-service).
    """
    return boto3.client(
        service,
        region_name=settings.region,
        endpoint_url=endpoint_url or settings.endpoint_for(service),
        config=_RETRIES.merge(config) if config else _RETRIES,
    )
