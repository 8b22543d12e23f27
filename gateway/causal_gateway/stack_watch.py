"""Is the deployed stack there? Checked every ``GATEWAY_STACK_CHECK_SECONDS`` when ``GATEWAY_REQUIRE_DEPLOYED``.

"There" means the gateway's two secrets exist and the token signing key carries the
deployer's mark (``DEPLOYED_TAG``, its last step): a wiped (``/moto-api/reset``) or
restarted emulator has neither, one being deployed again has no mark yet. The
check is blocking (boto3): run it on a worker thread.

While the stack is not there the gateway refuses work with the messages below; a
client whose analysis was running gets an ``error`` frame of its session
(:func:`lost_analysis_frame`), so it hears what happened instead of only a close.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from causal_common import aws
from causal_common.json_limits import nesting_exceeds
from causal_common.models.frames import error_frame
from causal_common.names import DEPLOYED_TAG
from causal_gateway.registry import Connection
from causal_gateway.settings import GatewaySettings

RESTARTING = "the stack is restarting, your question was not run; ask again in a moment"
ANALYSIS_LOST = (
    "the stack is restarting (its AWS emulator lost its state), so the analysis in progress was lost; "
    "ask again once it is back"
)
RECONNECT = "Service Restart: the stack was deployed again; reconnect with a new token"
SERVICE_RESTART = 1012

_PROBE = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1, "mode": "standard"})
# Frames that end an analysis: after them nothing of the session is running.
_FINAL_FRAMES = ("answer", "error")


@dataclass(frozen=True)
class StackProblem:
    reason: str
    # The resources are gone (certain); otherwise AWS did not answer, which one slow probe can cause.
    definite: bool


class StackCheck:
    def __init__(self, settings: GatewaySettings, secretsmanager: Any | None = None) -> None:
        self._settings = settings
        self._client = secretsmanager or aws.client("secretsmanager", settings, config=_PROBE)

    def problem(self) -> StackProblem | None:
        names = self._settings.names
        try:
            described = self._client.describe_secret(SecretId=names.token_signing_key_secret)
            self._client.describe_secret(SecretId=names.management_credentials_secret)
        except self._client.exceptions.ResourceNotFoundException:
            return StackProblem("the stack's resources are gone (the AWS emulator was reset or restarted)", True)
        except ClientError as exc:
            return StackProblem(f"AWS refused the check: {aws.error_code(exc)}", False)
        except BotoCoreError as exc:
            return StackProblem(f"AWS does not answer ({type(exc).__name__})", False)
        if not any(tag.get("Key") == DEPLOYED_TAG for tag in described.get("Tags") or []):
            return StackProblem("the stack is being deployed", True)
        return None


def observe_push(connection: Connection, body: bytes) -> None:
    """Follow the session a connection is being told about, from the frames pushed to it."""
    if not body.startswith(b"{") or b'"seq"' not in body:
        return
    try:
        frame = json.loads(body)
    except ValueError:
        return
    if not isinstance(frame, dict) or not isinstance(frame.get("seq"), int) or not frame.get("sessionId"):
        return
    session_id = str(frame["sessionId"])
    if session_id != connection.session_id:
        connection.session_id, connection.last_seq = session_id, frame["seq"]
    else:
        connection.last_seq = max(connection.last_seq, frame["seq"])
    connection.analysis_running = frame.get("type") not in _FINAL_FRAMES


def lost_analysis_frame(connection: Connection, error_id: str) -> str | None:
    """The ``error`` frame for the analysis a connection was following, or None if none was running."""
    if not connection.analysis_running or connection.session_id is None:
        return None
    connection.analysis_running = False
    connection.last_seq += 1
    frame = {**error_frame(ANALYSIS_LOST, error_id), "sessionId": connection.session_id, "seq": connection.last_seq}
    return json.dumps(frame)


def session_of(data: str | bytes) -> str | None:
    """The ``sessionId`` a client's message names, if it is a JSON object that names one."""
    if not isinstance(data, str) or data.lstrip()[:1] != "{" or nesting_exceeds(data):
        return None
    try:
        message = json.loads(data)
    except ValueError:
        return None
    session_id = message.get("sessionId") if isinstance(message, dict) else None
    return session_id if isinstance(session_id, str) else None


def refusal_frame(connection: Connection, data: str | bytes, error_id: str, request_id: str) -> str:
    """The answer to a message while the stack is restarting: in the message's session when that is the one
    the connection follows (so a client that orders frames by ``seq`` takes it), else without a session."""
    frame: dict[str, Any] = {
        **error_frame(RESTARTING, error_id),
        "connectionId": connection.connection_id,
        "requestId": request_id,
    }
    if connection.session_id is not None and session_of(data) == connection.session_id:
        connection.analysis_running = False
        connection.last_seq += 1
        frame.update(sessionId=connection.session_id, seq=connection.last_seq)
    return json.dumps(frame)
