"""The project's errors as HTTP answers, at the edge: one exception handler per kind.

``{"detail": …}`` like FastAPI's own refusals; AWS errors name their code,
never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from causal_common.aws import error_code, error_message
from causal_common.errors import CausalStackError, ForbiddenError, InvalidInputError, NotFoundError
from causal_dashboard.api_models import ErrorMessage

logger = logging.getLogger(__name__)

# Most specific first: ForbiddenError and the others are CausalStackErrors too.
STATUS_OF_ERROR: tuple[tuple[type[CausalStackError], int], ...] = (
    (NotFoundError, 404),
    (InvalidInputError, 400),
    (ForbiddenError, 403),
)
# What the JSON API's routes may answer besides their own model, for /openapi.json.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorMessage, "description": "bad input; nothing was changed"},
    401: {"model": ErrorMessage, "description": "no operator session: log in first"},
    404: {"model": ErrorMessage, "description": "no such item"},
    502: {"model": ErrorMessage, "description": "AWS refused the call (its error code and message)"},
    503: {"model": ErrorMessage, "description": "the AWS endpoint did not answer"},
}
PUBLIC_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: response for status, response in ERROR_RESPONSES.items() if status != 401
}
STATE_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    403: {"model": ErrorMessage, "description": "missing or wrong CSRF token"},
}


def status_of(exc: CausalStackError) -> int:
    for error_type, status in STATUS_OF_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def project_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CausalStackError)
    status = status_of(exc)
    return _error(status, exc.message if status < 500 else f"{exc.code}: {exc.message}")


async def aws_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClientError)
    logger.warning("AWS call failed: %s %s", error_code(exc), error_message(exc))
    return _error(502, f"AWS: {error_code(exc)}: {error_message(exc)}")


async def aws_bad_parameter(request: Request, exc: Exception) -> JSONResponse:
    return _error(400, f"invalid request: {exc}")


async def aws_unreachable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("AWS endpoint unreachable: %s", exc)
    return _error(503, f"AWS endpoint unreachable: {exc}")


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CausalStackError, project_error)
    app.add_exception_handler(ClientError, aws_error)
    app.add_exception_handler(ParamValidationError, aws_bad_parameter)
    app.add_exception_handler(BotoCoreError, aws_unreachable)
