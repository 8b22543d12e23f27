"""The project's error hierarchy.

Every error carries a stable ``code``. Errors become HTTP statuses, WebSocket
close codes or user-facing frames only at the edges (gateway, handlers).
"""

from __future__ import annotations


class CausalStackError(Exception):
    """Base of every error the project raises on purpose."""

    code = "InternalError"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigurationError(CausalStackError):
    code = "ConfigurationError"


class InvalidInputError(CausalStackError):
    """The caller sent something we cannot accept; nothing was changed."""

    code = "InvalidInput"


class NotFoundError(CausalStackError):
    code = "NotFound"


class ForbiddenError(CausalStackError):
    code = "Forbidden"


class UnauthorizedError(ForbiddenError):
    """No credentials at all (HTTP 401)."""

    code = "Unauthorized"


class InvalidTokenError(ForbiddenError):
    """A token that is forged, malformed or expired (HTTP 403)."""

    code = "InvalidToken"


class InvalidUserIdError(InvalidInputError):
    """A user id outside the accepted characters or length."""

    code = "InvalidUserId"


class ToolError(CausalStackError):
    """A tool could not produce a result (bad arguments, bad data, crash)."""

    code = "ToolError"


class TransientError(CausalStackError):
    """Worth retrying: the state machine's Retry matches on this class name."""

    code = "TransientError"


class LlmRateLimitedError(TransientError):
    code = "LlmRateLimited"


class LlmError(CausalStackError):
    code = "LlmError"


class DeliveryError(CausalStackError):
    code = "DeliveryError"


# The error a workflow gets when the process that ran its ECS task died (the ECS runner or its
# warm worker): the task was lost, not failed, so the execution ends with an error frame.
LOST_TASK_ERROR = "EcsTaskLost"
