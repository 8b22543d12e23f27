"""The two secrets the gateway reads, cached for a short while.

Blocking (boto3): call from a worker thread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from causal_gateway.errors import SecretUnavailableError
from causal_gateway.settings import GatewaySettings
from causal_guard.sigv4 import Credentials

logger = logging.getLogger(__name__)

__all__ = ["Credentials", "GatewaySecrets"]


class _CachedSecret:
    def __init__(self, read: Callable[[], Any], ttl: float) -> None:
        self._read = read
        self._ttl = ttl
        self._value: Any = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._value is None or time.monotonic() - self._fetched > self._ttl:
                self._value = self._read()
                self._fetched = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


class GatewaySecrets:
    """The token signing key and the management API credentials."""

    def __init__(self, settings: GatewaySettings, secretsmanager: Any) -> None:
        self._settings = settings
        self._client = secretsmanager
        names = settings.names
        self._signing_key_name = names.token_signing_key_secret
        self._credentials_name = names.management_credentials_secret
        self._signing_key = _CachedSecret(self._read_signing_key, settings.secret_cache_seconds)
        self._credentials = _CachedSecret(self._read_credentials, settings.secret_cache_seconds)

    def signing_key(self) -> bytes:
        return self._signing_key.get()

    def management_credentials(self) -> dict[str, Credentials]:
        """Access key id -> credentials accepted on ``/@connections``."""
        return self._credentials.get()

    def invalidate(self) -> None:
        self._signing_key.invalidate()
        self._credentials.invalidate()

    def _secret_string(self, name: str) -> str | None:
        """The secret's text, or None when it does not exist."""
        try:
            return self._client.get_secret_value(SecretId=name)["SecretString"]
        except self._client.exceptions.ResourceNotFoundException:
            return None
        except (ClientError, BotoCoreError) as exc:
            raise SecretUnavailableError(f"cannot read secret {name}: {exc}") from exc

    def _read_signing_key(self) -> bytes:
        text = self._secret_string(self._signing_key_name)
        if not text:
            raise SecretUnavailableError(
                f"secret {self._signing_key_name} is missing or empty; deploy the stack (causal-stack deploy)"
            )
        return text.encode()

    def _read_credentials(self) -> dict[str, Credentials]:
        text = self._secret_string(self._credentials_name)
        if text is not None:
            try:
                parsed = json.loads(text)
                credentials = Credentials(str(parsed["accessKeyId"]), str(parsed["secretAccessKey"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise SecretUnavailableError(
                    f'secret {self._credentials_name} must be JSON {{"accessKeyId", "secretAccessKey"}}'
                ) from exc
            return {credentials.access_key_id: credentials}
        if not self._settings.management_credentials_fallback:
            raise SecretUnavailableError(f"secret {self._credentials_name} does not exist")
        own = boto3.Session().get_credentials()
        if own is None:
            raise SecretUnavailableError(
                f"secret {self._credentials_name} does not exist and the gateway has no AWS credentials"
            )
        frozen = own.get_frozen_credentials()
        logger.warning(
            "secret %s not found; accepting the gateway's own AWS credentials on /@connections",
            self._credentials_name,
        )
        return {frozen.access_key: Credentials(frozen.access_key, frozen.secret_key)}
