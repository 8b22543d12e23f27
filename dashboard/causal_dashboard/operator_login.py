"""The dashboard's login, as Jupyter's token login works.

``causal-stack up`` creates an operator key (``DASHBOARD_OPERATOR_KEY``) and
prints the dashboard URL with a one-time login code; opening it sets a
session cookie (HttpOnly, SameSite=Strict) and the code is spent. The key
itself also signs in, on the login page. Codes and cookies are JWTs signed
with the key (PyJWT) and stateless (a restarted gateway keeps its sessions),
except the record of spent codes and signed-out sessions (kept in memory until
they expire). State-changing requests also need the session's CSRF token in
``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

SESSION_COOKIE = "causal_operator"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
# A one-time login code is for the next few minutes (the link `causal-stack up` prints), not for the day.
LOGIN_CODE_SECONDS = 15 * 60


def new_operator_key() -> str:
    return secrets.token_urlsafe(32)


# Login codes and session cookies are JWTs (HS256) under the operator key; the audience says which
# one a value is, so a login code is never accepted as a session cookie or the other way round.
_ALGORITHM = "HS256"
_AUDIENCE = "causal-dashboard-{purpose}"
_MAX_VALUE_LENGTH = 1024


@dataclass(frozen=True)
class OperatorSession:
    session_id: str
    expires_at: int


class OperatorLogin:
    def __init__(self, operator_key: str) -> None:
        if len(operator_key) < 16:
            raise ValueError("the operator key must be at least 16 characters")
        self._key = operator_key.encode()
        # A 32-byte key for HS256 whatever the operator key's length (PyJWT warns below 32 bytes).
        self._jwt_key = hashlib.sha256(b"causal-dashboard-login." + self._key).digest()
        self._spent: dict[str, int] = {}  # nonce -> expiry of spent login codes
        self._signed_out: dict[str, int] = {}  # session id -> expiry of sessions ended by a sign-out
        self._lock = threading.Lock()

    # -- signed values ------------------------------------------------------------
    def _sign(self, purpose: str, claims: dict[str, object]) -> str:
        signed: str = jwt.encode(
            {**claims, "aud": _AUDIENCE.format(purpose=purpose)}, self._jwt_key, algorithm=_ALGORITHM
        )
        return signed

    def _open(self, purpose: str, value: str | None, now: float | None) -> dict[str, Any] | None:
        if not value or len(value) > _MAX_VALUE_LENGTH:
            return None
        try:
            claims = jwt.decode(
                value,
                self._jwt_key,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE.format(purpose=purpose),
                # The clock is read here (``now``), as for every expiry in the dashboard.
                options={"require": ["exp", "aud"], "verify_exp": False},
            )
            expires = int(claims["exp"])
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            return None
        return claims if (time.time() if now is None else now) < expires else None

    # -- login --------------------------------------------------------------------
    def login_code(self, *, now: float | None = None, lifetime_seconds: int = LOGIN_CODE_SECONDS) -> str:
        """A code that signs one browser in, once, within ``lifetime_seconds``."""
        issued = int(time.time() if now is None else now)
        return self._sign("login", {"nonce": secrets.token_urlsafe(12), "exp": issued + lifetime_seconds})

    def redeem(self, code: str | None, *, now: float | None = None) -> bool:
        claims = self._open("login", code, now)
        if claims is None:
            return False
        nonce = str(claims.get("nonce", ""))
        current = time.time() if now is None else now
        with self._lock:
            self._spent = {spent: expiry for spent, expiry in self._spent.items() if expiry > current}
            if not nonce or nonce in self._spent:
                return False
            self._spent[nonce] = int(claims["exp"])
        return True

    def key_matches(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self._key)

    # -- sessions -----------------------------------------------------------------
    def new_session(self, *, now: float | None = None) -> tuple[str, OperatorSession]:
        """(cookie value, session)."""
        expires = int(time.time() if now is None else now) + SESSION_SECONDS
        session = OperatorSession(secrets.token_urlsafe(16), expires)
        return self._sign("session", {"sid": session.session_id, "exp": expires}), session

    def session(self, cookie: str | None, *, now: float | None = None) -> OperatorSession | None:
        claims = self._open("session", cookie, now)
        if claims is None or not isinstance(claims.get("sid"), str):
            return None
        with self._lock:
            if claims["sid"] in self._signed_out:
                return None
        return OperatorSession(str(claims["sid"]), int(claims["exp"]))

    def sign_out(self, session: OperatorSession, *, now: float | None = None) -> None:
        """The session's cookie stops working here even if a copy of it survives."""
        current = time.time() if now is None else now
        with self._lock:
            self._signed_out = {sid: expiry for sid, expiry in self._signed_out.items() if expiry > current}
            self._signed_out[session.session_id] = session.expires_at

    def csrf_token(self, session: OperatorSession) -> str:
        """A keyed hash of the session id: the page reads it once and sends it back in ``X-CSRF-Token``."""
        return hmac.new(self._key, f"csrf.{session.session_id}".encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, session: OperatorSession, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(self.csrf_token(session), candidate)
