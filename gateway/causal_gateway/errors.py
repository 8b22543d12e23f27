"""Gateway errors: subclasses of the project's hierarchy, mapped to HTTP/close codes in the routes."""

from __future__ import annotations

from causal_common.errors import CausalStackError, ConfigurationError, InvalidInputError


class SecretUnavailableError(ConfigurationError):
    """A secret the gateway needs cannot be read (HTTP 503)."""

    code = "SecretUnavailable"


class IntegrationError(CausalStackError):
    """The integration could not be called or failed (function error, timeout)."""

    code = "IntegrationError"


class IntegrationTimeoutError(IntegrationError):
    code = "IntegrationTimeout"


class PayloadTooLargeError(InvalidInputError):
    code = "PayloadTooLarge"
