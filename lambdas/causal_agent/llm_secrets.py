"""The LLM's key and settings from Secrets Manager (never logged)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from causal_common.errors import ConfigurationError
from causal_common.names import ResourceNames


@dataclass(frozen=True)
class LlmConfig:
    api_key: str
    model: str
    base_url: str | None

    @property
    def online(self) -> bool:
        return bool(self.api_key)

    def __repr__(self) -> str:  # keep the key out of any repr that reaches a log
        return f"LlmConfig(model={self.model!r}, base_url={self.base_url!r}, online={self.online})"


def _secret(secrets: Any, secret_id: str) -> str:
    try:
        return secrets.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except secrets.exceptions.ResourceNotFoundException:
        return ""


def load_llm_config(secrets: Any, names: ResourceNames) -> LlmConfig:
    api_key = _secret(secrets, names.openai_api_key_secret).strip()
    if not api_key:
        return LlmConfig(api_key="", model="", base_url=None)
    raw = _secret(secrets, names.llm_settings_secret)
    try:
        settings = json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"secret {names.llm_settings_secret} is not JSON") from exc
    model = settings.get("model")
    if not model:
        raise ConfigurationError(f'secret {names.llm_settings_secret} has no "model" although an API key is set')
    return LlmConfig(api_key=api_key, model=model, base_url=settings.get("baseUrl") or None)
