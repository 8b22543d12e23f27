"""The ``connections`` table: one item per open WebSocket connection."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from causal_common.names import ResourceNames


class Connection(BaseModel):
    connection_id: str
    user_id: str | None = None
    session_id: str | None = None


class ConnectionRepository:
    def __init__(self, dynamodb: Any, names: ResourceNames) -> None:
        self._dynamodb = dynamodb
        self._table = names.connections_table

    def put(
        self,
        connection_id: str,
        *,
        user_id: str | None,
        domain_name: str | None,
        stage: str | None,
        session_id: str | None = None,
    ) -> None:
        item: dict[str, Any] = {
            "connectionId": {"S": connection_id},
            "connectedAt": {"N": str(int(time.time() * 1000))},
        }
        for attribute, value in (
            ("userId", user_id),
            ("domainName", domain_name),
            ("stage", stage),
            ("sessionId", session_id),
        ):
            if value:
                item[attribute] = {"S": value}
        self._dynamodb.put_item(TableName=self._table, Item=item)

    def get(self, connection_id: str) -> Connection | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"connectionId": {"S": connection_id}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return Connection(
            connection_id=connection_id,
            user_id=item.get("userId", {}).get("S"),
            session_id=item.get("sessionId", {}).get("S"),
        )

    def set_session(self, connection_id: str, session_id: str) -> None:
        self._dynamodb.update_item(
            TableName=self._table,
            Key={"connectionId": {"S": connection_id}},
            UpdateExpression="SET sessionId = :session",
            ExpressionAttributeValues={":session": {"S": session_id}},
        )

    def delete(self, connection_id: str) -> Connection | None:
        old = self._dynamodb.delete_item(
            TableName=self._table, Key={"connectionId": {"S": connection_id}}, ReturnValues="ALL_OLD"
        ).get("Attributes")
        if not old:
            return None
        return Connection(
            connection_id=connection_id,
            user_id=old.get("userId", {}).get("S"),
            session_id=old.get("sessionId", {}).get("S"),
        )
