"""Jinja2 environment of the web pages: filters and the page helper."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from decimal import Decimal
from pathlib import Path
from threading import Lock
from typing import Any

import plotly
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response
from starlette.types import Scope

__all__ = [
    "PLOTLY_PATH",
    "CachedStatic",
    "cached_fragment",
    "make_templates",
    "money",
    "page",
    "pct",
]

TEMPLATES = Path(__file__).parent / "templates"
#: Versioned, so the long cache never serves an old Plotly after an upgrade.
PLOTLY_PATH = f"/static/plotly-{plotly.__version__}.min.js"


def money(value: object) -> str:
    """``1234567.5`` → ``'1,234,567.50'`` (blank for None)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):,.2f}"


def pct(value: object, decimals: int = 1) -> str:
    """``0.805`` → ``'80.5 %'`` (blank for None)."""
    if value is None or value == "":
        return ""
    return f"{float(str(value)) * 100:.{decimals}f} %"


def make_templates() -> Jinja2Templates:
    """The templates with kam's filters (autoescaping on)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["money"] = money
    templates.env.filters["pct"] = pct
    return templates


_FRAGMENTS_SIZE = 64
_fragments: OrderedDict[Hashable, tuple[object, Markup]] = OrderedDict()
_fragments_lock = Lock()


def cached_fragment(
    request: Request,
    owner: object,
    key: Hashable,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> Markup:
    """``template`` rendered with ``context()``, remembered for this very ``owner``
    object (an analysis result) and ``key``.

    The engine hands out the same cached result for the same data version,
    parameters and readable accounts, so the rows of a long table are rendered once
    per result and row limit, not per request. A fragment must not depend on the
    user beyond what ``owner`` already fixes (no CSRF token, no user name).
    """
    memo_key = (id(owner), template, key)
    with _fragments_lock:
        found = _fragments.get(memo_key)
        if found is not None and found[0] is owner:
            _fragments.move_to_end(memo_key)
            return found[1]
    env = request.app.state.kam.templates.env
    # The environment autoescapes: the rendered text is safe HTML already.
    html = Markup(env.get_template(template).render(**context()))  # noqa: S704
    with _fragments_lock:
        _fragments[memo_key] = (owner, html)
        while len(_fragments) > _FRAGMENTS_SIZE:
            _fragments.popitem(last=False)
    return html


class CachedStatic(StaticFiles):
    """Static files with a ``Cache-Control`` header: browsers reuse them for an hour
    without asking (then revalidate with the ETag StaticFiles sends)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the signed-in user and workspace in the context."""
    st = request.app.state.kam
    signed = getattr(request.state, "signed_in", None)
    ctx = {
        "user": signed,
        "csrf_token": signed.csrf_token if signed is not None else "",
        "currency": st.settings.currency,
        "plotly_path": PLOTLY_PATH,
        **context,
    }
    response: HTMLResponse = st.templates.TemplateResponse(
        request, template, ctx, status_code=status
    )
    return response
