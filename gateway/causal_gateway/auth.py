"""HMAC-signed connection tokens.

A token is ``<payload>.<signature>``: the payload is base64url JSON
``{"sub": userId, "iat": …, "exp": …}`` and the signature is the base64url
HMAC-SHA256 of the payload text under the signing key (the string in the
``gateway-token-signing-key`` secret). ``causal-stack token`` and
``POST /auth/token`` both call :func:`issue_token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from causal_gateway.errors import InvalidTokenError, InvalidUserIdError, UnauthorizedError

USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
USER_ID_RULE = "1-64 characters from A-Z a-z 0-9 _ . @ -"
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    issued_at: int
    expires_at: int


def validate_user_id(user_id: object) -> str:
    """Return ``user_id`` if acceptable, else raise :class:`InvalidUserIdError`."""
    if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id):
        raise InvalidUserIdError(f"userId must be {USER_ID_RULE}")
    return user_id


def _key_bytes(signing_key: bytes | str) -> bytes:
    key = signing_key.encode() if isinstance(signing_key, str) else signing_key
    if not key:
        raise ValueError("the token signing key is empty")
    return key


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(signing_key: bytes | str, user_id: str, ttl_seconds: int = 86400, *, now: float | None = None) -> str:
    """A token for ``user_id`` valid for ``ttl_seconds``."""
    validate_user_id(user_id)
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = int(time.time() if now is None else now)
    claims = {"sub": user_id, "iat": issued, "exp": issued + int(ttl_seconds)}
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(_key_bytes(signing_key), payload)}"


def verify_token(
    signing_key: bytes | str, token: str | None, *, now: float | None = None, max_lifetime_seconds: int | None = None
) -> TokenClaims:
    """The claims of a valid token.

    Raises :class:`UnauthorizedError` when there is no token and
    :class:`InvalidTokenError` when it is malformed, forged, expired, or was
    minted to live longer than ``max_lifetime_seconds``.
    """
    if not token:
        raise UnauthorizedError("a token is required (?token=…, from POST /auth/token)")
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidTokenError("malformed token")
    payload, signature = token.split(".")
    if not hmac.compare_digest(_sign(_key_bytes(signing_key), payload), signature):
        raise InvalidTokenError("bad token signature")
    try:
        claims = json.loads(_b64decode(payload))
        user_id, issued, expires = claims["sub"], int(claims["iat"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidTokenError("malformed token") from exc
    if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id):
        raise InvalidTokenError("malformed token")
    if (time.time() if now is None else now) >= expires:
        raise InvalidTokenError("token expired")
    if max_lifetime_seconds is not None and expires - issued > max_lifetime_seconds:
        raise InvalidTokenError(f"token lifetime exceeds the maximum of {max_lifetime_seconds} s; get a new token")
    return TokenClaims(user_id=user_id, issued_at=issued, expires_at=expires)
