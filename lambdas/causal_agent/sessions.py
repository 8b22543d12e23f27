"""The ``sessions`` table: who owns a session, its status, conversation and result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from causal_common.aws import error_code
from causal_common.errors import ForbiddenError, NotFoundError
from causal_common.models.frames import PromptOption
from causal_common.names import ResourceNames

# abandoned: a question to the user that nobody will answer any more (see causal_agent.abandoned).
SessionStatus = Literal["running", "awaiting_reply", "succeeded", "failed", "timed_out", "cancelled", "abandoned"]
ACTIVE_STATUSES = ("running", "awaiting_reply")


class Session(BaseModel):
    session_id: str
    user_id: str | None = None
    dataset_id: str | None = None
    connection_id: str | None = None
    status: str | None = None
    execution_arn: str | None = None
    last_seq: int = 0
    conversation: list[dict[str, Any]] = Field(default_factory=list)
    result: dict[str, Any] | None = None
    prompt_token: str | None = None
    prompt_call_id: str | None = None
    # The choices offered with the waiting prompt (a reply may pick one by id).
    prompt_options: list[PromptOption] = Field(default_factory=list)
    # When the waiting question was sent, and when the session's connection went away (epoch seconds).
    prompted_at: float | None = None
    detached_at: float | None = None
    # Why a question was abandoned, said to a user who replies to it later.
    abandoned_reason: str | None = None
    created_at: int | None = None
    updated_at: int | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def check_owner(self, user_id: str | None) -> None:
        """A session belongs to the user who started it (sessions started without a user belong to nobody)."""
        if not user_id or self.user_id != user_id:
            raise ForbiddenError(f"session {self.session_id} belongs to another user")


def _string(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value["S"] if value and "S" in value else None


def _number(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return int(value["N"]) if value and "N" in value else None


def _seconds(item: dict[str, Any], key: str) -> float | None:
    value = item.get(key)
    return float(value["N"]) if value and "N" in value else None


def _from_item(item: dict[str, Any]) -> Session:
    conversation = _string(item, "conversation")
    result = _string(item, "result")
    return Session(
        session_id=item["sessionId"]["S"],
        user_id=_string(item, "userId"),
        dataset_id=_string(item, "datasetId"),
        connection_id=_string(item, "connectionId"),
        status=_string(item, "status"),
        execution_arn=_string(item, "executionArn"),
        last_seq=_number(item, "lastSeq") or 0,
        conversation=json.loads(conversation) if conversation else [],
        result=json.loads(result) if result else None,
        prompt_token=_string(item, "promptToken"),
        prompt_call_id=_string(item, "promptCallId"),
        prompt_options=[PromptOption.model_validate(o) for o in json.loads(_string(item, "promptOptions") or "[]")],
        prompted_at=_seconds(item, "promptedAt"),
        detached_at=_seconds(item, "detachedAt"),
        abandoned_reason=_string(item, "promptAbandoned"),
        created_at=_number(item, "createdAt"),
        updated_at=_number(item, "updatedAt"),
    )


class SessionRepository:
    def __init__(self, dynamodb: Any, names: ResourceNames, clock: Callable[[], float] = time.time) -> None:
        self._dynamodb = dynamodb
        self._table = names.sessions_table
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    def get(self, session_id: str) -> Session | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
        ).get("Item")
        return _from_item(item) if item else None

    def require(self, session_id: str) -> Session:
        session = self.get(session_id)
        if session is None:
            raise NotFoundError(f"unknown session {session_id}")
        return session

    def ensure(
        self, session_id: str, *, user_id: str | None, dataset_id: str | None, connection_id: str | None
    ) -> None:
        """Create the session if it does not exist (keeping owner and creation time if it does)."""
        now = int(self._clock())
        names = {"#created": "createdAt", "#updated": "updatedAt", "#conversation": "conversation"}
        values: dict[str, Any] = {":now": {"N": str(now)}, ":empty": {"S": "[]"}}
        parts = [
            "#created = if_not_exists(#created, :now)",
            "#updated = :now",
            "#conversation = if_not_exists(#conversation, :empty)",
        ]
        for attribute, value in (("userId", user_id), ("datasetId", dataset_id), ("connectionId", connection_id)):
            if value:
                names[f"#{attribute}"] = attribute
                values[f":{attribute}"] = {"S": value}
                function = "if_not_exists" if attribute == "userId" else None
                parts.append(
                    f"#{attribute} = if_not_exists(#{attribute}, :{attribute})"
                    if function
                    else f"#{attribute} = :{attribute}"
                )
        self._dynamodb.update_item(
            TableName=self._table,
            Key={"sessionId": {"S": session_id}},
            UpdateExpression="SET " + ", ".join(parts),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def active_of(self, user_id: str, statuses: tuple[str, ...] | None = None) -> list[str]:
        """Ids of the user's sessions in ``statuses`` (default: working on a question or waiting for a reply)."""
        statuses = tuple(sorted(statuses or ACTIVE_STATUSES))
        values: dict[str, Any] = {":user": {"S": user_id}}
        values.update({f":status{index}": {"S": status} for index, status in enumerate(statuses)})
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            ConsistentRead=True,
            ProjectionExpression="sessionId",
            FilterExpression=f"userId = :user AND #status IN ({', '.join(f':status{i}' for i in range(len(statuses)))})",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
        return [item["sessionId"]["S"] for page in pages for item in page.get("Items", [])]

    def active_sessions(self) -> list[Session]:
        """Every session working on a question or waiting for a reply, whole (a scan: for rare repairs)."""
        values = {f":status{index}": {"S": status} for index, status in enumerate(ACTIVE_STATUSES)}
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=self._table,
            ConsistentRead=True,
            FilterExpression=f"#status IN ({', '.join(values)})",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
        return [_from_item(item) for page in pages for item in page.get("Items", [])]

    def active_sessions_of(self, user_id: str) -> list[Session]:
        """The user's sessions working on a question or waiting for a reply, whole."""
        return [session for session in map(self.get, self.active_of(user_id)) if session is not None]

    def delete(self, session_id: str) -> None:
        self._dynamodb.delete_item(TableName=self._table, Key={"sessionId": {"S": session_id}})

    def update(self, session_id: str, *, remove: tuple[str, ...] = (), **attributes: Any) -> None:
        """SET the given attributes (str → S, int/float → N, dict/list → JSON S; None → REMOVE)."""
        names: dict[str, str] = {"#updated": "updatedAt"}
        values: dict[str, Any] = {":updated": {"N": str(int(self._clock()))}}
        sets = ["#updated = :updated"]
        removes = list(remove)
        for index, (attribute, value) in enumerate(attributes.items()):
            if value is None:
                removes.append(attribute)
                continue
            names[f"#a{index}"] = attribute
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                encoded = {"S": json.dumps(value, default=str)}
            elif isinstance(value, (int, float)):
                encoded = {"N": str(value)}
            else:
                encoded = {"S": value}
            values[f":a{index}"] = encoded
            sets.append(f"#a{index} = :a{index}")
        expression = "SET " + ", ".join(sets)
        if removes:
            for index, attribute in enumerate(removes):
                names[f"#r{index}"] = attribute
            expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removes)))
        self._dynamodb.update_item(
            TableName=self._table,
            Key={"sessionId": {"S": session_id}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def save_conversation(self, session_id: str, conversation: list[dict[str, Any]]) -> None:
        self.update(session_id, conversation=conversation)

    def set_status(self, session_id: str, status: SessionStatus, **attributes: Any) -> None:
        self.update(session_id, status=status, **attributes)

    def attach_connection(self, session_id: str, connection_id: str) -> None:
        self.update(session_id, remove=("detachedAt",), connectionId=connection_id)

    def detach_connection(self, session_id: str, connection_id: str) -> None:
        """Forget the connection (noting when), unless the session has already moved to a newer one."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                UpdateExpression="REMOVE connectionId SET detachedAt = :now",
                ConditionExpression="connectionId = :connection",
                ExpressionAttributeValues={
                    ":connection": {"S": connection_id},
                    ":now": {"N": str(round(self._clock(), 3))},
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def take_prompt(self, session_id: str, token: str) -> bool:
        """Clear the waiting prompt if ``token`` is still the one waiting; False if another took it."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                UpdateExpression="REMOVE promptToken, promptCallId, promptOptions, promptedAt SET #status = :running",
                ConditionExpression="promptToken = :token",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":token": {"S": token}, ":running": {"S": "running"}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def abandon_prompt(self, session_id: str, token: str, reason: str) -> bool:
        """Close the waiting prompt if ``token`` is still the one waiting; False if a reply took it first."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                UpdateExpression="REMOVE promptToken, promptCallId, promptOptions "
                "SET #status = :abandoned, promptAbandoned = :reason, updatedAt = :now",
                ConditionExpression="promptToken = :token",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":abandoned": {"S": "abandoned"},
                    ":reason": {"S": reason},
                    ":now": {"N": str(int(self._clock()))},
                },
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
