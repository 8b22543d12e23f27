"""The chat page's JSON API: a signed-in user sees the datasets and their own sessions only,
and uploads datasets as their own.

Authenticated with the user's WebSocket token (``Authorization: Bearer …``),
verified with the gateway's signing key; no operator session is needed. An
upload's owner is the token's user (``causal-stack upload`` signs in and posts here).
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from causal_common.errors import CausalStackError
from causal_common.secret_values import read_secret
from causal_common.tokens import verify_token
from causal_dashboard import datasets, store
from causal_dashboard.api_models import ChatConfig, DatasetManifest, Datasets, ErrorMessage, UserSessions
from causal_dashboard.clients import AwsClients
from causal_dashboard.uploads import role_options, store_upload

USER_SESSION_FIELDS = ("sessionId", "datasetId", "status", "createdAt", "updatedAt")
SIGNING_KEY_CACHE_SECONDS = 60.0
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorMessage, "description": "no token, or one that is forged or expired: sign in again"},
    503: {"model": ErrorMessage, "description": "the token signing key cannot be read"},
}
_UPLOAD_REFUSALS: dict[int | str, dict[str, Any]] = {
    **_REFUSALS,
    400: {"model": ErrorMessage, "description": "not a CSV, a bad id or role, or a bundled dataset's id"},
    403: {"model": ErrorMessage, "description": "the id belongs to a dataset someone else uploaded"},
}
FormText = Annotated[str | None, Form()]


class ChatUsers:
    """Who is calling: the user id in a valid bearer token."""

    def __init__(self, aws: AwsClients, max_lifetime_seconds: int) -> None:
        self._aws = aws
        self._max_lifetime = max_lifetime_seconds
        self._key: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def _signing_key(self) -> str:
        with self._lock:
            if self._key is None or time.monotonic() - self._key[0] > SIGNING_KEY_CACHE_SECONDS:
                try:
                    value = read_secret(self._aws.secretsmanager, self._aws.names.token_signing_key_secret)
                except (ClientError, BotoCoreError) as exc:
                    raise HTTPException(
                        503, detail="the token signing key is not available; is the stack deployed?"
                    ) from exc
                self._key = (time.monotonic(), value)
            return self._key[1]

    def user(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not token:
            raise HTTPException(401, detail="sign in first: send Authorization: Bearer <token>")
        key = self._signing_key()
        if not key:
            raise HTTPException(503, detail="the token signing key has no value; deploy the stack")
        try:
            return verify_token(key, token, max_lifetime_seconds=self._max_lifetime).user_id
        except CausalStackError as exc:
            raise HTTPException(401, detail=f"sign in again: {exc.message}") from exc


def chat_router(
    aws: AwsClients, scans: store.TableScanCache, users: ChatUsers, stage: str, max_upload_bytes: int
) -> APIRouter:
    router = APIRouter(prefix="/api/chat")

    @router.get("/config", response_model=ChatConfig)
    def chat_config() -> ChatConfig:
        return ChatConfig(stage=stage)

    @router.get("/datasets", response_model=Datasets, response_model_exclude_unset=True, responses=_REFUSALS)
    def chat_datasets(request: Request) -> Any:
        users.user(request)
        # A dataset's known answer is for the operator's dashboard, not for the person asking.
        listed = [
            {key: value for key, value in item.items() if key != "groundTruth"} for item in datasets.list_datasets(aws)
        ]
        return {"datasets": listed}

    @router.post(
        "/datasets",
        status_code=201,
        response_model=DatasetManifest,
        response_model_exclude_unset=True,
        responses=_UPLOAD_REFUSALS,
    )
    def chat_upload(
        request: Request,
        file: Annotated[UploadFile | None, File()] = None,
        dataset_id: Annotated[str | None, Form(alias="datasetId")] = None,
        title: FormText = None,
        description: FormText = None,
        treatment: FormText = None,
        outcome: FormText = None,
        covariates: FormText = None,
        exclude: FormText = None,
        instruments: FormText = None,
        time: FormText = None,
        unit: FormText = None,
        running: FormText = None,
        cutoff: FormText = None,
        design: FormText = None,
    ) -> Any:
        """Store a CSV as the caller's dataset; only its owner may replace it, bundled ones are read-only."""
        owner = users.user(request)
        roles = role_options(
            treatment=treatment,
            outcome=outcome,
            covariates=covariates,
            exclude=exclude,
            instruments=instruments,
            time=time,
            unit=unit,
            running=running,
            cutoff=cutoff,
            design=design,
        )
        data = file.file.read(max_upload_bytes + 1) if file is not None else b""
        return store_upload(
            aws,
            filename=file.filename if file is not None else None,
            content_type=file.content_type if file is not None else None,
            data=data,
            dataset_id=dataset_id,
            title=title,
            description=description,
            max_bytes=max_upload_bytes,
            roles=roles,
            owner=owner,
        )

    @router.get("/sessions", response_model=UserSessions, response_model_exclude_unset=True, responses=_REFUSALS)
    def chat_sessions(request: Request) -> Any:
        user_id = users.user(request)
        found = store.list_sessions(aws, scans, limit=50, user_id=user_id)
        return {
            "userId": user_id,
            "sessions": [{field: item.get(field) for field in USER_SESSION_FIELDS} for item in found["items"]],
        }

    return router
