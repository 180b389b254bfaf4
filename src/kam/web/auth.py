"""Sign-in, sign-out and the one-time creation of the first admin.

Sign-in verifies the argon2id hash, then starts a new session (a fresh token, never
one the browser brought: no session fixation) and deletes the one the browser had.
Failed sign-ins are limited per account (:mod:`kam.users`) and per address (here,
in memory: a restart forgets them, the per-account limit does not).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kam.errors import KamError, PermissionDenied
from kam.store.db import translate_errors, write_connection
from kam.users import authenticate, consume_setup_token, record
from kam.web.deps import PRE_COOKIE, User, check_csrf, check_pre_csrf, form, state
from kam.web.sessions import COOKIE, delete_session, start_session, token_hash
from kam.web.templating import page

__all__ = ["AddressLimiter", "router"]

router = APIRouter()


class AddressLimiter:
    """Failed sign-ins per client address within a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, address: str, *, limit: int, window: float) -> None:
        """PermissionDenied when ``address`` failed ``limit`` times in ``window`` s."""
        with self._lock:
            times = self._failures[address]
            while times and times[0] < time.monotonic() - window:
                times.popleft()
            if len(times) >= limit:
                raise PermissionDenied(
                    "too many failed sign-ins from this address; try again later"
                )

    def fail(self, address: str) -> None:
        """Count one failure of ``address``."""
        with self._lock:
            self._failures[address].append(time.monotonic())


def _safe_next(target: str | None) -> str:
    # Only a path of this site: "//evil.example" or "https://..." would leave it.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _pre_form(
    request: Request, template: str, context: Mapping[str, object], status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, template, {**context, "pre_token": token}, status=status)
    response.set_cookie(
        PRE_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _signed_in(request: Request, user_id: int, target: str) -> Response:
    st = state(request)
    old = request.cookies.get(COOKIE)
    if old:
        delete_session(st.store.engine, token_hash(old))
    client = request.client.host if request.client else None
    token = start_session(st.store.engine, user_id, ip=client, settings=st.web)
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=st.web.absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False)
def signin_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _pre_form(request, "signin.html", {"next": _safe_next(next), "error": None})


@router.post("/signin", dependencies=[Depends(check_pre_csrf)], include_in_schema=False)
async def signin(request: Request) -> Response:
    """Verify the e-mail and password; start a new session."""
    data = await form(request)
    email, password = str(data.get("email", "")), str(data.get("password", ""))
    target = str(data.get("next", "/"))
    st = state(request)
    address = request.client.host if request.client else "unknown"
    limiter: AddressLimiter = request.app.state.limiter
    try:
        limiter.check(
            address,
            limit=st.web.address_failures,
            window=st.web.address_window_minutes * 60,
        )
        user = authenticate(st.store.engine, email, password)
    except PermissionDenied as exc:
        limiter.fail(address)
        context = {"next": _safe_next(target), "error": str(exc), "email": email}
        return _pre_form(request, "signin.html", context, status=401)
    return _signed_in(request, user.id, target)


@router.post("/signout", dependencies=[Depends(check_csrf)], include_in_schema=False)
def signout(request: Request, user: User) -> Response:
    """Delete the session row and the cookie."""
    st = state(request)
    delete_session(st.store.engine, user.session_id)
    with (
        translate_errors("cannot write the audit log"),
        write_connection(st.store.engine) as conn,
    ):
        record(conn, "signout", user_id=user.user_id, target=user.email)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/setup", response_class=HTMLResponse, include_in_schema=False)
def setup_form(request: Request, token: str = "") -> HTMLResponse:
    """The form that creates the first admin with the one-time token."""
    return _pre_form(request, "setup.html", {"token": token, "error": None})


@router.post("/setup", dependencies=[Depends(check_pre_csrf)], include_in_schema=False)
async def setup(request: Request) -> Response:
    """Create the first admin and sign them in."""
    data = await form(request)
    token = str(data.get("token", ""))
    st = state(request)
    try:
        user = consume_setup_token(
            st.store.engine,
            token,
            str(data.get("email", "")),
            str(data.get("password", "")),
            str(data.get("name", "")) or None,
        )
    except KamError as exc:
        context = {"token": token, "error": str(exc)}
        return _pre_form(request, "setup.html", context, status=400)
    return _signed_in(request, user.id, "/")
