"""Is the AWS endpoint (emulator, LocalStack or AWS) reachable? Blocking: run on a worker thread."""

from __future__ import annotations

import time
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from causal_common import aws
from causal_gateway.settings import GatewaySettings

_PROBE = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1, "mode": "standard"})


class HealthProbe:
    def __init__(self, settings: GatewaySettings, secretsmanager: Any | None = None) -> None:
        self._settings = settings
        self._secretsmanager = secretsmanager or aws.client("secretsmanager", settings, config=_PROBE)

    def check(self) -> dict[str, Any]:
        """``{"status": "ok"|"unavailable", "aws": {...}}``; a missing signing key is reported, not fatal."""
        started = time.perf_counter()
        name = self._settings.names.token_signing_key_secret
        aws_report: dict[str, Any] = {"endpoint": self._settings.endpoint_url or "aws"}
        try:
            self._secretsmanager.describe_secret(SecretId=name)
            aws_report.update(reachable=True, signingKey="present")
        except self._secretsmanager.exceptions.ResourceNotFoundException:
            aws_report.update(reachable=True, signingKey="missing")
        except ClientError as exc:  # the endpoint answered, with an error of its own
            aws_report.update(reachable=True, signingKey="unknown", error=str(exc))
        except BotoCoreError as exc:
            aws_report.update(reachable=False, error=f"{type(exc).__name__}: {exc}")
        aws_report["latencyMs"] = round((time.perf_counter() - started) * 1000, 1)
        return {"status": "ok" if aws_report["reachable"] else "unavailable", "aws": aws_report}
