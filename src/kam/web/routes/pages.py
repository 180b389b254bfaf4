"""The portfolio overview, the Plotly.js asset and the signed-in API docs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from decimal import Decimal
from threading import Lock
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from plotly.offline import get_plotlyjs

from kam.analysis.registry import REGISTRY
from kam.analysis.result import AnalysisResult
from kam.engine import Engine
from kam.errors import KamError
from kam.web.deps import Readable, User, state
from kam.web.queries import count_accounts, latest_mrr
from kam.web.templating import PLOTLY_PATH, page

__all__ = ["router"]

router = APIRouter()

_plotly_js: bytes | None = None


def _run(request: Request, name: str, readable: frozenset[str] | None) -> Any:
    try:
        result: AnalysisResult = state(request).engine.run(name, accounts=readable)
    except KamError as exc:
        return str(exc)
    return result


_TOTALS_SIZE = 256
_totals_lock = Lock()
_totals_memo: OrderedDict[Hashable, tuple[str | None, Decimal, int]] = OrderedDict()


def _totals(
    engine: Engine, readable: frozenset[str] | None
) -> tuple[str | None, Decimal, int]:
    """The last MRR month, its MRR and the account count, once per data version and
    set of readable accounts."""
    key = (id(engine), engine.data_version, readable)
    with _totals_lock:
        found = _totals_memo.get(key)
    if found is None:
        month, mrr = latest_mrr(engine, readable)
        found = (month, mrr, count_accounts(engine, readable))
        with _totals_lock:
            _totals_memo[key] = found
            while len(_totals_memo) > _TOTALS_SIZE:
                _totals_memo.popitem(last=False)
    return found


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def overview(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """Accounts, revenue and MRR totals, the Pareto headline and the ABC split."""
    st = state(request)
    month, mrr, count = _totals(st.engine, readable)
    context = {
        "account_count": count,
        "mrr_month": month,
        "mrr_total": mrr,
        "pareto": _run(request, "pareto", readable),
        "abc": _run(request, "abc", readable),
        "tools": REGISTRY.values(),
    }
    return page(request, "overview.html", context)


@router.get(PLOTLY_PATH, include_in_schema=False)
def plotly_js() -> Response:
    """Plotly.js from the installed ``plotly`` wheel, cached for a year."""
    global _plotly_js
    if _plotly_js is None:
        _plotly_js = get_plotlyjs().encode()
    return Response(
        _plotly_js,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: User) -> JSONResponse:
    """The OpenAPI schema, for signed-in users only."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request, user: User) -> HTMLResponse:
    """The JSON API's endpoints and parameters, for signed-in users only."""
    schema = request.app.openapi()
    return page(request, "docs.html", {"paths": schema.get("paths", {})})
