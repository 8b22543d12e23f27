"""Frames to a session's client, numbered and never lost.

Every frame gets the session's next ``seq`` (a counter on the session item,
advanced in the same transaction that writes the frame to ``pending-messages``)
before it is pushed through the management API. A push to a gone connection leaves it pending; ``resume``
replays everything after the client's last seen ``seq``, in order. The table
therefore doubles as the session's outbox log (items expire by TTL).
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

from botocore.exceptions import ClientError

from causal_common.aws import error_code
from causal_common.errors import DeliveryError
from causal_common.names import ResourceNames

logger = logging.getLogger(__name__)

PENDING_TTL_SECONDS = 7 * 24 * 3600
STATUS_PENDING = "pending"
STATUS_DELIVERED = "delivered"
MAX_NUMBERING_ATTEMPTS = 25


class Outbox:
    def __init__(self, dynamodb: Any, management: Any | None, names: ResourceNames) -> None:
        """``dynamodb`` is a boto3 DynamoDB client; ``management`` an apigatewaymanagementapi client."""
        self._dynamodb = dynamodb
        self._management = management
        self._names = names

    def send(self, session_id: str, frame: dict[str, Any]) -> int:
        """Number, store and push one frame; return its ``seq``.

        The session's counter and the stored frame are written in one
        transaction, so a process killed at any moment leaves no gap in the
        session's ``seq``; concurrent senders retry on conflict.
        """
        for attempt in range(MAX_NUMBERING_ATTEMPTS):
            session = self._dynamodb.get_item(
                TableName=self._names.sessions_table,
                Key={"sessionId": {"S": session_id}},
                ProjectionExpression="lastSeq, connectionId",
                ConsistentRead=True,
            ).get("Item", {})
            last = int(session["lastSeq"]["N"]) if "lastSeq" in session else None
            seq = (last or 0) + 1
            body = json.dumps({**frame, "sessionId": session_id, "seq": seq}, default=str)
            try:
                self._dynamodb.transact_write_items(
                    TransactItems=[
                        self._counter_update(session_id, last, seq),
                        self._frame_put(session_id, seq, body, frame),
                    ]
                )
                break
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
        else:
            raise DeliveryError(
                f"could not number a frame of session {session_id} after {MAX_NUMBERING_ATTEMPTS} attempts"
            )
        connection_id = session.get("connectionId", {}).get("S")
        if connection_id:
            self._push(session_id, connection_id, seq, body)
        return seq

    def _counter_update(self, session_id: str, last: int | None, seq: int) -> dict[str, Any]:
        values: dict[str, Any] = {":seq": {"N": str(seq)}}
        if last is None:
            condition = "attribute_not_exists(lastSeq)"
        else:
            condition = "lastSeq = :last"
            values[":last"] = {"N": str(last)}
        return {
            "Update": {
                "TableName": self._names.sessions_table,
                "Key": {"sessionId": {"S": session_id}},
                "UpdateExpression": "SET lastSeq = :seq",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _frame_put(self, session_id: str, seq: int, body: str, frame: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        return {
            "Put": {
                "TableName": self._names.pending_messages_table,
                "Item": {
                    "sessionId": {"S": session_id},
                    "seq": {"N": str(seq)},
                    "frame": {"S": body},
                    "frameType": {"S": str(frame.get("type"))},
                    "status": {"S": STATUS_PENDING},
                    "createdAt": {"N": str(now)},
                    "expiresAt": {"N": str(now + PENDING_TTL_SECONDS)},
                },
                "ConditionExpression": "attribute_not_exists(seq)",
            }
        }

    def replay(self, session_id: str, connection_id: str, after_seq: int) -> int:
        """Push every stored frame with ``seq > after_seq`` in order; return how many."""
        count = 0
        for seq, body in self.stored_frames(session_id, after_seq):
            if not self._push(session_id, connection_id, seq, body):
                break
            count += 1
        return count

    def stored_frames(self, session_id: str, after_seq: int = 0) -> list[tuple[int, str]]:
        frames: list[tuple[int, str]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._names.pending_messages_table,
            "KeyConditionExpression": "sessionId = :s AND seq > :after",
            "ExpressionAttributeValues": {":s": {"S": session_id}, ":after": {"N": str(after_seq)}},
            "ConsistentRead": True,
        }
        while True:
            page = self._dynamodb.query(**kwargs)
            frames.extend((int(item["seq"]["N"]), item["frame"]["S"]) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return frames
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _push(self, session_id: str, connection_id: str, seq: int, body: str) -> bool:
        if self._management is None:
            return False
        try:
            self._management.post_to_connection(ConnectionId=connection_id, Data=body.encode())
        except self._management.exceptions.GoneException:
            # Before ClientError: GoneException is its subclass.
            logger.info("connection gone; frame %s stays pending", seq, extra={"connection_id": connection_id})
            return False
        except ClientError as exc:
            logger.warning("push of frame %s failed: %s; it stays pending", seq, error_code(exc))
            return False
        self._dynamodb.update_item(
            TableName=self._names.pending_messages_table,
            Key={"sessionId": {"S": session_id}, "seq": {"N": str(seq)}},
            UpdateExpression="SET #status = :delivered",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":delivered": {"S": STATUS_DELIVERED}},
        )
        return True
