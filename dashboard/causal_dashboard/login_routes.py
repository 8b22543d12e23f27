"""``/login``, ``/logout``, ``/api/session`` and the dependencies that guard the dashboard.

Pages redirect to the login page; the JSON API answers 401; state-changing
requests also need the CSRF token (``X-CSRF-Token``) that ``/api/session`` gives
the page.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from causal_dashboard.api_models import ErrorMessage, OperatorSessionInfo
from causal_dashboard.login_throttle import LoginThrottle
from causal_dashboard.operator_login import CSRF_HEADER, SESSION_COOKIE, SESSION_SECONDS, OperatorLogin, OperatorSession

logger = logging.getLogger(__name__)

LOGIN_PAGE = Path(__file__).parent / "static" / "login.html"
LOGIN_HINT = (
    "log in to the dashboard: open the one-time login link `causal-stack up` printed, "
    "or /login with the operator key (.stack/operator-key-<gateway port>)"
)


class NeedsLogin(Exception):
    """A page was asked for without a session: the handler redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(value: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard"


def _login_page(message: str = "", next_path: str = "/dashboard", status: int = 200) -> HTMLResponse:
    page = LOGIN_PAGE.read_text()
    page = page.replace("{{message}}", html.escape(message)).replace("{{next}}", html.escape(safe_next(next_path)))
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _signed_in(login: OperatorLogin, request: Request, next_path: str) -> RedirectResponse:
    cookie, _ = login.new_session()
    response = RedirectResponse(safe_next(next_path), status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


class OperatorGuard:
    """FastAPI dependencies bound to one :class:`OperatorLogin`."""

    def __init__(self, login: OperatorLogin) -> None:
        self.login = login

    def session(self, request: Request) -> OperatorSession | None:
        return self.login.session(request.cookies.get(SESSION_COOKIE))

    def api(self, request: Request) -> OperatorSession:
        session = self.session(request)
        if session is None:
            raise HTTPException(401, detail=LOGIN_HINT)
        return session

    def state_change(self, request: Request) -> OperatorSession:
        session = self.api(request)
        if not self.login.csrf_matches(session, request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, detail="missing or wrong CSRF token (X-CSRF-Token from GET /api/session)")
        return session

    def page(self, request: Request) -> OperatorSession:
        session = self.session(request)
        if session is None:
            raise NeedsLogin(request.url.path)
        return session


def _too_many_attempts(retry_after: int, next_path: str) -> HTMLResponse:
    response = _login_page(f"Too many failed logins from here; try again in {retry_after} s.", next_path, status=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def login_router(guard: OperatorGuard, throttle: LoginThrottle | None = None) -> APIRouter:
    router = APIRouter()
    login = guard.login
    throttle = throttle or LoginThrottle()

    @router.get("/login", include_in_schema=False)
    def login_page(request: Request, code: str | None = None, next: str | None = None) -> Response:  # noqa: A002
        if code is None:
            return _login_page(next_path=next or "/dashboard")
        address = request.client.host if request.client else ""
        if retry_after := throttle.retry_after(address):
            return _too_many_attempts(retry_after, next or "/dashboard")
        if login.redeem(code):
            return _signed_in(login, request, next or "/dashboard")
        throttle.failed(address)
        return _login_page(
            "This login link was already used or has expired. Sign in with the operator key.",
            next or "/dashboard",
            status=403,
        )

    @router.post("/login", include_in_schema=False)
    def login_with_key(request: Request, key: str = Form(""), next: str = Form("/dashboard")) -> Response:  # noqa: A002
        address = request.client.host if request.client else ""
        if retry_after := throttle.retry_after(address):
            logger.warning("dashboard login refused: too many failed attempts")
            return _too_many_attempts(retry_after, next)
        if not login.key_matches(key.strip()):
            throttle.failed(address)
            logger.warning("dashboard login refused: wrong operator key")
            return _login_page("That is not the operator key.", next, status=403)
        return _signed_in(login, request, next)

    @router.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        login.sign_out(guard.state_change(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get(
        "/api/session",
        response_model=OperatorSessionInfo,
        responses={401: {"model": ErrorMessage, "description": "no operator session: log in first"}},
    )
    def session_info(request: Request) -> OperatorSessionInfo:
        session = guard.api(request)
        return OperatorSessionInfo(operator=True, csrfToken=login.csrf_token(session), expiresAt=session.expires_at)

    return router


def redirect_to_login(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={safe_next(next_path)}", status_code=303)
