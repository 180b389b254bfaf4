"""The application factory and the one place errors become responses.

A :class:`~kam.errors.KamError` becomes an HTML error page, or ``{"error",
"problems"}`` JSON under ``/api``, with the status of its class: InputError 400
(WorkbookError 422), NotFoundError 404, PermissionDenied 403, ConflictError 409,
anything else 500. A request without a live session is sent to the sign-in form
(pages) or answered 401 (API, OpenAPI schema).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kam.config import Settings, get_settings
from kam.engine import Engine, open_engine
from kam.errors import (
    ConflictError,
    InputError,
    KamError,
    NotFoundError,
    PermissionDenied,
    WorkbookError,
)
from kam.store.repository import Store
from kam.web import auth
from kam.web.deps import NotSignedIn, OneDataVersion, WebState
from kam.web.routes import (
    accounts,
    admin,
    api,
    dashboard,
    downloads,
    imports,
    pages,
    people,
    planning,
    planning_edit,
    risk_edit,
    selection,
    selection_edit,
    stakeholder_edit,
    stakeholders,
    tools,
)
from kam.web.settings import WebSettings
from kam.web.templating import CachedStatic, make_templates, page

__all__ = ["create_app", "status_of"]

STATIC = Path(__file__).parent / "static"


def status_of(exc: KamError) -> int:
    """The HTTP status of a KamError's class."""
    if isinstance(exc, WorkbookError):
        return 422
    for cls, status in (
        (InputError, 400),
        (NotFoundError, 404),
        (PermissionDenied, 403),
        (ConflictError, 409),
    ):
        if isinstance(exc, cls):
            return status
    return 500


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/api/")
        or path == "/openapi.json"
        or request.headers.get("accept", "").startswith("application/json")
    )


async def _kam_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KamError)
    status = status_of(exc)
    problems = getattr(exc, "problems", [])
    if _wants_json(request):
        return JSONResponse(
            {"error": str(exc), "problems": [p.as_dict() for p in problems]},
            status_code=status,
        )
    context = {"status": status, "message": str(exc), "problems": problems}
    return page(request, "error.html", context, status=status)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"error": "sign in first", "problems": []},
            status_code=401,
            headers={"WWW-Authenticate": "Cookie"},
        )
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)


def create_app(
    settings: Settings | None = None,
    *,
    web: WebSettings | None = None,
    store: Store | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """The web workspace over ``settings``' store (upgraded to the newest schema)."""
    settings = settings or get_settings()
    if store is None:
        store = Store.from_settings(settings)
        store.upgrade()
    app = FastAPI(
        title="kam",
        summary="Key Account Management workspace",
        # Served by routes that require sign-in (pages.openapi, pages.docs).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.kam = WebState(
        settings=settings,
        web=web or WebSettings(),
        store=store,
        engine=engine or open_engine("store", settings=settings),
        templates=make_templates(),
    )
    app.state.limiter = auth.AddressLimiter()
    app.add_middleware(OneDataVersion)
    app.add_exception_handler(KamError, _kam_error)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    # One line per router, so that adding one is a one-line change.
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(accounts.router)
    app.include_router(stakeholders.router)
    app.include_router(stakeholder_edit.router)
    app.include_router(risk_edit.router)
    app.include_router(planning.router)
    app.include_router(planning_edit.router)
    app.include_router(tools.router)
    app.include_router(dashboard.router)
    app.include_router(selection.router)
    app.include_router(selection_edit.router)
    app.include_router(imports.router)
    app.include_router(admin.router)
    app.include_router(people.router)
    app.include_router(api.router)
    app.include_router(downloads.router)
    # After the routers: the Plotly.js route lives under /static too.
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    return app
