"""Jinja2 environment of the web pages: filters and the page helper."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import plotly
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

__all__ = ["PLOTLY_PATH", "make_templates", "money", "page", "pct"]

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
