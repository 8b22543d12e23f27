"""Reading the stack's secrets.

Secrets Manager refuses empty strings, so an unset value (the OpenAI key when
``OPENAI_API_KEY`` was not given at deploy time) is a secret without a value.
"""

from __future__ import annotations

from typing import Any


def read_secret(secretsmanager: Any, secret_id: str) -> str:
    """The secret's current string; "" when the secret exists but has no value.

    A secret that does not exist at all still raises ``ResourceNotFoundException``
    from ``describe_secret`` (the stack is not deployed).
    """
    try:
        return secretsmanager.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except secretsmanager.exceptions.ResourceNotFoundException:
        secretsmanager.describe_secret(SecretId=secret_id)
        return ""
