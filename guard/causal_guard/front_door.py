"""The checks every AWS-shaped service of the stack makes before it reads a request.

In order: the ``Host`` is one the service answers (loopback names unless more
are configured: no DNS rebinding); a browser page (it sends ``Origin``) is
refused unless its origin was allowed; and, where a signature is needed, the
request is signed (SigV4 in the header or a presigned URL, or S3's SigV2) with
the stack's credentials. The embedded emulator and the ECS runner both use
:class:`FrontDoor`, each turning a refusal into its own protocol's error.

The stack's credentials are its own pair (``causal-stack up`` makes one per
checkout, readable only by its owner). The well-known local pair ``test``/``test``
(what ``awslocal`` and LocalStack-era scripts sign with when nothing else is
configured) is honoured too, but only in an ``Authorization`` header on a
loopback connection opened by the user the service runs as (looked up as
identd does, :mod:`causal_guard.peer_uid`). So the owner's old commands work
verbatim, while another local user, or a web page that computes a presigned URL
with the public pair, is refused.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from causal_common.errors import ForbiddenError
from causal_common.names import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from causal_guard import sigv4
from causal_guard.peer_uid import loopback_peer_uid
from causal_guard.request_origin import HostAllowList, OriginAllowList

logger = logging.getLogger(__name__)

WELL_KNOWN_PAIR = sigv4.Credentials(LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)


def new_access_key_id() -> str:
    """An access key id in AWS's shape (AKIA + 16 upper-case letters and digits)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


def new_secret_access_key() -> str:
    """40 random characters, as AWS's secret keys have."""
    return secrets.token_urlsafe(30)[:40]


class AccessRefusedError(ForbiddenError):
    """The request is not for this service (Host) or comes from a web page it does not answer (Origin)."""

    code = "AccessDenied"


class NotTheOwnerError(sigv4.UnknownAccessKeyError):
    """The well-known local pair, from someone other than the stack's owner."""


@dataclass(frozen=True)
class Connection:
    """Where a request came from: the peer's address and port, and the address and port it reached."""

    peer_host: str
    peer_port: int
    server_port: int
    server_host: str | None = None


@dataclass(frozen=True)
class StackCredentials:
    """Who may sign: the stack's pair from anyone who holds it, the well-known pair from ``owner_uid`` only."""

    stack: sigv4.Credentials
    owner_uid: int | None
    peer_uid: Callable[[Connection], int | None] = lambda connection: loopback_peer_uid(
        connection.peer_host, connection.peer_port, connection.server_port, connection.server_host
    )

    @classmethod
    def of(cls, access_key_id: str, secret_access_key: str) -> StackCredentials:
        """The stack's pair; the owner is the user this process runs as."""
        return cls(sigv4.Credentials(access_key_id, secret_access_key), os.getuid() if hasattr(os, "getuid") else None)

    @property
    def access_key_id(self) -> str:
        return self.stack.access_key_id

    def verify(self, request: sigv4.IncomingRequest, signature: sigv4.Signature, connection: Connection | None) -> None:
        if signature.access_key_id == self.stack.access_key_id:
            sigv4.verify(request, signature, {self.stack.access_key_id: self.stack})
            return
        if signature.access_key_id != WELL_KNOWN_PAIR.access_key_id:
            raise sigv4.UnknownAccessKeyError(
                "The security token included in the request is invalid.", access_key_id=signature.access_key_id
            )
        sigv4.verify(request, signature, {WELL_KNOWN_PAIR.access_key_id: WELL_KNOWN_PAIR})
        refusal = self._well_known_refusal(signature, connection)
        if refusal:
            raise NotTheOwnerError(
                f"The security token included in the request is invalid: the local pair "
                f"{WELL_KNOWN_PAIR.access_key_id}/{WELL_KNOWN_PAIR.secret_access_key} is honoured only {refusal}.",
                access_key_id=signature.access_key_id,
            )

    def _well_known_refusal(self, signature: sigv4.Signature, connection: Connection | None) -> str:
        """Why the well-known pair is not honoured here; "" when it is."""
        owner = "for the stack's owner on this machine (others need the stack's credentials)"
        if signature.location != "header":
            return f"in an Authorization header, not in a presigned URL, and {owner}"
        if self.owner_uid is None or connection is None:
            return f"{owner}, and who connected cannot be told here"
        uid = self.peer_uid(connection)
        if uid is None:
            return f"{owner}, over loopback"
        if uid != self.owner_uid:
            logger.warning("refused the local pair from uid %s (the stack runs as uid %s)", uid, self.owner_uid)
            return owner
        return ""


@dataclass(frozen=True)
class FrontDoor:
    """``service`` names the server in messages; ``hosts_setting``/``origins_setting`` the variables that widen it."""

    service: str
    hosts: HostAllowList
    origins: OriginAllowList
    credentials: StackCredentials
    hosts_setting: str
    origins_setting: str

    def check_host_and_origin(self, headers: dict[str, str]) -> None:
        """Raises :class:`AccessRefusedError`; ``headers`` have lower-case names."""
        if not self.hosts.allows(headers.get("host")):
            raise AccessRefusedError(
                f"Host {headers.get('host', '')!r} is not served here: the {self.service} answers loopback "
                f"names (localhost, 127.0.0.1, ::1); add others with {self.hosts_setting}"
            )
        origin = headers.get("origin")
        if origin is not None and not self.origins.allows(origin):
            raise AccessRefusedError(
                f"requests from web pages are refused (Origin {origin!r}); the {self.service} serves local "
                f"programs only. Allowed origins: {self.origins.describe()} ({self.origins_setting})"
            )

    def check_signature(
        self,
        request: sigv4.IncomingRequest,
        connection: Connection | None,
        read_body: Callable[[], bytes],
    ) -> sigv4.Signature:
        """The request's verified signature; raises :class:`~causal_guard.sigv4.SignatureError`.
        ``read_body`` is called only when the signature covers the payload."""
        signature = sigv4.read_signature(request)
        if signature is None:
            raise sigv4.MissingAuthenticationError(
                "Missing Authentication Token: sign requests with the stack's credentials "
                "(.stack/env or the causal-stack profile in .stack/credentials; the stack's own tools do)"
            )
        if sigv4.payload_hash_needed(request.headers) and signature.location == "header":
            request = sigv4.IncomingRequest(
                request.method, request.raw_path, request.query_string, request.headers, read_body()
            )
        self.credentials.verify(request, signature, connection)
        return signature

    def describe_refusal(self, error: sigv4.SignatureError) -> str:
        if isinstance(error, sigv4.UnknownAccessKeyError) and not isinstance(error, NotTheOwnerError):
            return (
                f"{error.message} The {self.service} accepts only the stack's credentials (.stack/env, or "
                "AWS_PROFILE=causal-stack with AWS_SHARED_CREDENTIALS_FILE=.stack/credentials); unset other "
                "AWS_PROFILE / AWS_ACCESS_KEY_ID values."
            )
        return error.message
