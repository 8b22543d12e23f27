"""Signed connection tokens: JWTs (HS256, PyJWT) with ``sub`` (the user id), ``iat`` and ``exp``.

The signing key is the string in the ``gateway-token-signing-key`` secret.
``causal-stack token`` and ``POST /auth/token`` issue them; the gateway checks
them at ``$connect`` and the chat page's API on every call. Expiry is checked
here against ``now`` (callers and tests pass a clock), together with the
longest lifetime the gateway accepts.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt

from causal_common.errors import InvalidTokenError, InvalidUserIdError, UnauthorizedError

USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
USER_ID_RULE = "1-64 characters from A-Z a-z 0-9 _ . @ -"
MAX_TOKEN_LENGTH = 2048
ALGORITHM = "HS256"
# PyJWT checks the signature, the shape and that the claims are there; the clock is read here.
_DECODE_OPTIONS: jwt.types.Options = {
    "require": ["sub", "iat", "exp"],
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
}


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


def issue_token(signing_key: bytes | str, user_id: str, ttl_seconds: int = 86400, *, now: float | None = None) -> str:
    """A token for ``user_id`` valid for ``ttl_seconds``."""
    validate_user_id(user_id)
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = int(time.time() if now is None else now)
    claims = {"sub": user_id, "iat": issued, "exp": issued + int(ttl_seconds)}
    token: str = jwt.encode(claims, _key_bytes(signing_key), algorithm=ALGORITHM)
    return token


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
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError("malformed token")
    key = _key_bytes(signing_key)
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options=_DECODE_OPTIONS)
        user_id, issued, expires = claims["sub"], int(claims["iat"]), int(claims["exp"])
    except jwt.InvalidSignatureError as exc:
        raise InvalidTokenError("bad token signature") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise InvalidTokenError("malformed token") from exc
    if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id):
        raise InvalidTokenError("malformed token")
    if (time.time() if now is None else now) >= expires:
        raise InvalidTokenError("token expired")
    if max_lifetime_seconds is not None and expires - issued > max_lifetime_seconds:
        raise InvalidTokenError(f"token lifetime exceeds the maximum of {max_lifetime_seconds} s; get a new token")
    return TokenClaims(user_id=user_id, issued_at=issued, expires_at=expires)
