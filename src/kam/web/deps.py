"""Request dependencies: the workspace's state, the signed-in user, CSRF checks.

State-changing requests carry the session's CSRF token (a hidden ``csrf_token``
field in forms, the ``X-CSRF-Token`` header for scripts), compared in constant time;
their ``Origin`` (else ``Referer``), when sent, must be this site. The sign-in and
set-up forms, which have no session yet, use a token that is also in a cookie
(double submit).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from threading import RLock
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Receive, Scope, Send

from kam.access import readable_accounts
from kam.config import Settings
from kam.engine import Engine
from kam.engine.core import one_data_version
from kam.errors import PermissionDenied
from kam.store.repository import Store
from kam.web.sessions import COOKIE, SignedIn, load_session
from kam.web.settings import WebSettings

__all__ = [
    "PRE_COOKIE",
    "NotSignedIn",
    "OneDataVersion",
    "Readable",
    "User",
    "WebState",
    "check_csrf",
    "check_origin",
    "current_user",
    "form",
    "readable",
    "state",
    "verify_csrf",
]

#: Cookie holding the CSRF token of the forms used before signing in.
PRE_COOKIE = "kam_pre"


class NotSignedIn(Exception):
    """No live session: pages redirect to the sign-in form, the API answers 401."""


@dataclass
class WebState:
    """What every request shares: settings, the store, the engine, templates."""

    settings: Settings
    web: WebSettings
    store: Store
    engine: Engine
    templates: Jinja2Templates

    @property
    def lock(self) -> RLock:
        """The engine's own lock (:attr:`Engine.lock`), kept for routes that still
        hold it around direct Ibis queries; new code calls the engine's query
        methods (``engine.run``, ``engine.to_pyarrow``), which take it themselves."""
        return self.engine.lock


class OneDataVersion:
    """ASGI middleware: a GET (or HEAD) request reads the data version once
    (:func:`kam.engine.core.one_data_version`), however many analyses its page runs.
    Requests that change data are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            with one_data_version():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def state(request: Request) -> WebState:
    """The application's :class:`WebState`."""
    st: WebState = request.app.state.kam
    return st


async def form(request: Request) -> FormData:
    """The posted form, parsed with limits (no files, a bounded number of fields)."""
    limit = state(request).web.max_form_fields
    return await request.form(max_files=0, max_fields=limit)


def current_user(request: Request) -> SignedIn:
    """The signed-in user of the request; NotSignedIn otherwise."""
    cached = getattr(request.state, "signed_in", None)
    if isinstance(cached, SignedIn):
        return cached
    token = request.cookies.get(COOKIE)
    st = state(request)
    signed = load_session(st.store.engine, token, st.web) if token else None
    if signed is None:
        raise NotSignedIn
    request.state.signed_in = signed
    return signed


User = Annotated[SignedIn, Depends(current_user)]


def readable(request: Request, user: User) -> frozenset[str] | None:
    """The accounts the signed-in user may read (None = all)."""
    return readable_accounts(state(request).store, user.principal)


Readable = Annotated[frozenset[str] | None, Depends(readable)]


def check_origin(request: Request) -> None:
    """Refuse a state change whose Origin (else Referer) is another site."""
    here = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != here:
        raise PermissionDenied(f"cross-site request refused (origin {origin})")


def _same(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return secrets.compare_digest(given.encode(), expected.encode())


def verify_csrf(request: Request, user: SignedIn, given: str | None) -> None:
    """Refuse a state change unless ``given`` is the session's CSRF token (or the
    ``X-CSRF-Token`` header is) and the request is not cross-site."""
    check_origin(request)
    given = request.headers.get("x-csrf-token") or given
    if not _same(given, user.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token; reload the page")


async def check_csrf(request: Request, user: User) -> None:
    """Refuse a state change without the session's CSRF token (or cross-site)."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        value = (await form(request)).get("csrf_token")
        given = value if isinstance(value, str) else None
    verify_csrf(request, user, given)


async def check_pre_csrf(request: Request) -> None:
    """The CSRF check of the forms used before signing in (double submit)."""
    check_origin(request)
    value = (await form(request)).get("csrf_token")
    given = value if isinstance(value, str) else None
    if not _same(given, request.cookies.get(PRE_COOKIE)):
        raise PermissionDenied("missing or wrong CSRF token; reload the page")
