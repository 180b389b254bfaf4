"""The tool pages: Pareto and ABC, with their parameters in the URL."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.analysis.registry import get
from kam.web import charts
from kam.web.deps import Readable, User, state
from kam.web.routes.params import analysis_params
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(prefix="/tools")


@router.get("/pareto", response_class=HTMLResponse, include_in_schema=False)
def pareto_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """Pareto chart, headline and ranked table over the readable accounts."""
    params = analysis_params(request, "pareto")
    result = state(request).engine.run("pareto", params, accounts=readable)
    context = {
        "analysis": get("pareto"),
        "result": result,
        "chart": charts.to_json(charts.pareto(result)),
    }
    return page(request, "tools/pareto.html", context)


@router.get("/abc", response_class=HTMLResponse, include_in_schema=False)
def abc_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """ABC classes per period, the migration heat map and the downgrades."""
    params = analysis_params(request, "abc")
    result = state(request).engine.run("abc", params, accounts=readable)
    cutoffs = result.parameters.get("cutoffs")
    context = {
        "analysis": get("abc"),
        "result": result,
        "cutoffs": ",".join(str(c) for c in cutoffs)
        if isinstance(cutoffs, list)
        else "",
        "classes_chart": charts.to_json(
            charts.abc_classes(result.tables.get("classes", []))
        ),
        "migration_chart": charts.to_json(
            charts.abc_migration(result.tables.get("migration", []))
        ),
        "downgrades": result.tables.get("downgrades", []),
    }
    return page(request, "tools/abc.html", context)
