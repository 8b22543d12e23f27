"""``causal-stack upload`` through the gateway's authenticated API: the server records the owner.

The CLI signs in as its user (``POST /auth/token`` on a development stack, or a
token from ``causal-stack token`` in ``--token``) and posts the CSV to
``POST /api/chat/datasets``; it never writes to S3 itself.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from causal_common.errors import CausalStackError, ForbiddenError, InvalidInputError, UnauthorizedError
from causal_common.models.datasets import DatasetManifest

UPLOAD_TIMEOUT_SECONDS = 120.0


class UploadFailedError(CausalStackError):
    code = "UploadFailed"


def sign_in(gateway_url: str, user_id: str) -> str:
    """A token for ``user_id`` from the gateway's development sign-in."""
    from causal_stack.chat import ChatFailure, fetch_token

    try:
        return fetch_token(gateway_url, user_id)
    except ChatFailure as exc:
        raise UploadFailedError(f"{exc}; with dev tokens off, pass --token from `causal-stack token`") from exc


def upload(gateway_url: str, token: str, path: Path, dataset_id: str, fields: dict[str, str | None]) -> DatasetManifest:
    """Post ``path`` as ``dataset_id``; the manifest the server stored, or the server's refusal as an error."""
    form = {"datasetId": dataset_id, **{name: value for name, value in fields.items() if value}}
    try:
        with path.open("rb") as file:
            response = httpx.post(
                gateway_url.rstrip("/") + "/api/chat/datasets",
                headers={"Authorization": f"Bearer {token}"},
                data=form,
                files={"file": (path.name, file, "text/csv")},
                timeout=UPLOAD_TIMEOUT_SECONDS,
            )
    except httpx.HTTPError as exc:
        raise UploadFailedError(f"cannot reach the gateway at {gateway_url}: {exc}") from exc
    if response.status_code in (200, 201):
        return DatasetManifest.model_validate(response.json())
    raise _refusal(response)


def _refusal(response: httpx.Response) -> CausalStackError:
    try:
        detail = str(response.json().get("detail") or response.json().get("message") or "")
    except ValueError:
        detail = response.text[:300]
    message = f"upload refused ({response.status_code}): {detail}"
    if response.status_code == 401:
        return UnauthorizedError(message)
    if response.status_code == 403:
        return ForbiddenError(message)
    if 400 <= response.status_code < 500:
        return InvalidInputError(message)
    return UploadFailedError(message)
