"""The tool pages: Pareto and ABC, with their parameters in the URL.

A parameter the analysis refuses re-shows the form with the values as typed and the
message next to it (status 400), instead of an error page. Long tables show their
first ``rows`` lines (``rows=all`` shows every one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.analysis.registry import get
from kam.analysis.result import AnalysisResult
from kam.errors import InputError
from kam.web import charts
from kam.web.deps import Readable, User, state
from kam.web.routes.params import analysis_params, row_limit
from kam.web.templating import cached_fragment, page

__all__ = ["router"]

router = APIRouter(prefix="/tools")


def _run(
    request: Request, name: str, readable: frozenset[str] | None
) -> tuple[AnalysisResult | None, dict[str, Any], str | None]:
    """The result, the form's values and the refusal message (if any)."""
    params = analysis_params(request, name)
    try:
        result = state(request).engine.run(name, params, accounts=readable)
    except InputError as exc:
        values: dict[str, Any] = {p.name: "" for p in get(name).parameters}
        return None, {**values, **params}, str(exc)
    return result, dict(result.parameters), None


def _limited(request: Request, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    limit = row_limit(request)
    shown = rows if limit is None else rows[:limit]
    more = request.url.include_query_params(rows="all")
    return {
        "shown": shown,
        "limit": limit,
        "total_rows": len(rows),
        "all_url": str(more),
    }


@router.get("/pareto", response_class=HTMLResponse, include_in_schema=False)
def pareto_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """Pareto chart, headline and ranked table over the readable accounts."""
    result, values, error = _run(request, "pareto", readable)
    context: dict[str, Any] = {
        "analysis": get("pareto"),
        "result": result,
        "values": values,
        "error": error,
    }
    if result is not None:
        context["chart"] = charts.cached_json(
            result, "pareto", lambda: charts.pareto(result)
        )
        context.update(_limited(request, result.rows))
        shown = context["shown"]
        context["ranked_rows"] = cached_fragment(
            request,
            result,
            ("ranked", context["limit"]),
            "tools/pareto_rows.html",
            lambda: {"shown": shown},
        )
    return page(request, "tools/pareto.html", context, status=400 if error else 200)


@router.get("/abc", response_class=HTMLResponse, include_in_schema=False)
def abc_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """ABC classes per period, the migration heat map and the downgrades."""
    result, values, error = _run(request, "abc", readable)
    cutoffs = values.get("cutoffs")
    if isinstance(cutoffs, list | tuple):
        values["cutoffs"] = ",".join(str(c) for c in cutoffs)
    context: dict[str, Any] = {
        "analysis": get("abc"),
        "result": result,
        "values": values,
        "error": error,
    }
    if result is not None:
        tables = result.tables
        context["classes_chart"] = charts.cached_json(
            result, "classes", lambda: charts.abc_classes(tables.get("classes", []))
        )
        context["shares_chart"] = charts.cached_json(
            result, "shares", lambda: charts.abc_shares(tables.get("classes", []))
        )
        context["migration_chart"] = charts.cached_json(
            result,
            "migration",
            lambda: charts.abc_migration(tables.get("migration", [])),
        )
        summary = tables.get("classes", [])
        context["summary_html"] = cached_fragment(
            request,
            result,
            "summary",
            "tools/abc_rows.html",
            lambda: {"part": "summary", "rows": summary},
        )
        context.update(_limited(request, list(tables.get("downgrades", []))))
        shown = context["shown"]
        context["downgrades_html"] = cached_fragment(
            request,
            result,
            ("downgrades", context["limit"]),
            "tools/abc_rows.html",
            lambda: {"part": "downgrades", "rows": shown},
        )
        context["why"] = _why(request, result)
    return page(request, "tools/abc.html", context, status=400 if error else 200)


def _why(request: Request, result: AnalysisResult) -> dict[str, Any] | None:
    """Why the account in ``?account=`` has its class, from the result's rows."""
    wanted = request.query_params.get("account", "").strip()
    if not wanted:
        return None
    found = [r for r in result.rows if str(r.get("account_id")) == wanted]
    return {"account_id": wanted, "rows": found}
