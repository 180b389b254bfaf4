"""The planning pages (read-only): plan and charter, timeline, division map, RACI.

Each page runs its analysis for one plan: an account's (``/accounts/{id}/...``,
404 unless the account is readable) or the programme's (``/programme/...``). A plan
the data does not hold yet shows an empty page saying which sheet to fill, not an
error. Query parameters other than ``account`` are the analysis' own (``as_of``,
``stale_days``, ``holidays``, ...), as on the tool pages.

Every row and cell the editors will change carries ``data-edit`` with its key and
an empty slot from ``planning/_edit.html`` where the edit link goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ibis.expr.types as ir
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.access import require_readable
from kam.analysis.result import AnalysisResult
from kam.errors import MissingDataError, NotFoundError
from kam.web import facts, planning_charts
from kam.web.deps import Readable, User, state
from kam.web.routes.params import analysis_params, row_limit
from kam.web.templating import cached_fragment, page

__all__ = ["CODE_COLOURS", "STATUS_COLOURS", "plan_rows", "router"]

router = APIRouter()

#: Fill of a division-map cell by status.
STATUS_COLOURS = {
    "owned": "#9fd3ae",
    "pipeline": "#a9cce3",
    "whitespace": "#f7dc6f",
    "competitor": "#f1948a",
    "not_eligible": "#e5e7e9",
}
#: Fill of a RACI cell by code.
CODE_COLOURS = {
    "A/R": "#1f6f8b",
    "A": "#2e86ab",
    "R": "#9fd3ae",
    "C": "#f7dc6f",
    "I": "#e5e7e9",
}


def _account_name(
    request: Request, readable: frozenset[str] | None, account: str
) -> str:
    """The account's name; NotFoundError unless it exists and is readable."""
    require_readable(readable, account)
    found = facts.profile(facts.account_facts(state(request).engine), account)
    return str(found.get("name") or account)


def _run(
    request: Request, name: str, account: str | None, readable: frozenset[str] | None
) -> tuple[AnalysisResult | None, str | None]:
    """The result of ``name`` for the plan, or None and why the data lacks it."""
    params = {**analysis_params(request, name), "account": account}
    try:
        return state(request).engine.run(name, params, accounts=readable), None
    except (MissingDataError, NotFoundError) as exc:
        return None, str(exc)


def _plan(
    request: Request,
    readable: frozenset[str] | None,
    account: str | None,
) -> dict[str, Any]:
    """What every planning page shows in its header: which plan, the links."""
    if account is None:
        return {"account_id": None, "plan_name": "KAM programme", "base": "/programme"}
    name = _account_name(request, readable, account)
    return {"account_id": account, "plan_name": name, "base": f"/accounts/{account}"}


def plan_rows(
    request: Request,
    readable: frozenset[str] | None,
    sheet: str,
    account: str | None,
    *,
    where: Callable[[ir.Table], ir.BooleanValue] | None = None,
    order: Sequence[str] = (),
    columns: Sequence[str] = (),
) -> list[dict[str, object]]:
    """The readable rows of ``sheet`` on one plan: the account's (``account``) or
    the programme's (None: a blank account), filtered further by ``where``, in
    ``order``, only ``columns`` (all when empty); none when the data lacks the
    sheet."""
    st = state(request)
    with st.lock:
        tables = st.engine.tables(accounts=readable)
        if sheet not in tables:
            return []
        t = tables[sheet]
        mine = t.account_id.isnull() if account is None else t.account_id == account
        expr = t.filter(mine if where is None else mine & where(t))
        if order:
            expr = expr.order_by(list(order))
        if columns:
            expr = expr.select(*columns)
        found: list[dict[str, object]] = expr.to_pyarrow().to_pylist()
    return found


def _charter_rows(
    request: Request, readable: frozenset[str] | None, account: str | None
) -> dict[str, list[dict[str, object]]]:
    """The Charter sheet's fields of the plan, by section."""
    rows = plan_rows(request, readable, "Charter", account, order=("section", "field"))
    out: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(str(r["section"]), []).append(r)
    return out


def _plan_page(
    request: Request, readable: frozenset[str] | None, account: str | None
) -> HTMLResponse:
    context = _plan(request, readable, account)
    result, missing = _run(request, "plans", account, readable)
    context |= {"result": result, "missing": missing, "tab": "plan"}
    if result is not None:
        # The engine hands out the same result while the data is unchanged: the
        # fields are read once per data version, not per request.
        context["fields"] = planning_charts.cached(
            result, "fields", lambda: _charter_rows(request, readable, account)
        )
    return page(request, "planning/plan.html", context)


@router.get(
    "/accounts/{account_id}/plan", response_class=HTMLResponse, include_in_schema=False
)
def plan_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The account plan: sections with completeness and staleness, objectives with
    their targets and actuals, actions, revenue and class history."""
    return _plan_page(request, readable, account_id)


@router.get("/programme/charter", response_class=HTMLResponse, include_in_schema=False)
def charter_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """The programme charter, section by section, and the programme's objectives."""
    return _plan_page(request, readable, None)


def _timeline_page(
    request: Request, readable: frozenset[str] | None, account: str | None
) -> HTMLResponse:
    context = _plan(request, readable, account)
    result, missing = _run(request, "timeline", account, readable)
    context |= {"result": result, "missing": missing, "tab": "timeline"}
    if result is not None:
        # A long plan shows its first tasks, in the chart and the table, with a
        # link to every task (``rows=all``), as the other long tables do.
        limit = row_limit(request)
        context |= {
            "shown": result.rows if limit is None else result.rows[:limit],
            "total_rows": len(result.rows),
            "all_url": str(request.url.include_query_params(rows="all")),
        }
        context["chart"] = planning_charts.cached(
            result, f"gantt:{limit}", lambda: planning_charts.gantt(result, limit)
        )
        context["labels"] = planning_charts.cached(
            result,
            "labels",
            lambda: {
                str(r["task_id"]): planning_charts.gantt_label(r) for r in result.rows
            },
        )
    return page(request, "planning/timeline.html", context)


@router.get(
    "/accounts/{account_id}/timeline",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def timeline_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The account's implementation timeline: Gantt chart and task table."""
    return _timeline_page(request, readable, account_id)


@router.get("/programme/timeline", response_class=HTMLResponse, include_in_schema=False)
def programme_timeline_page(
    request: Request, user: User, readable: Readable
) -> HTMLResponse:
    """The programme's rollout timeline."""
    return _timeline_page(request, readable, None)


def grid(result: AnalysisResult) -> tuple[list[str], list[dict[str, Any]]]:
    """The division map as products (columns) and units (rows with their cells by
    product)."""
    products = [str(p["product"]) for p in result.tables["products"]]
    cells: dict[str, dict[str, dict[str, object]]] = {}
    for r in result.rows:
        cells.setdefault(str(r["unit_id"]), {})[str(r["product"])] = r
    units = [
        {**u, "cells": cells.get(str(u["unit_id"]), {})} for u in result.tables["units"]
    ]
    return products, units


@router.get(
    "/accounts/{account_id}/divisions",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def divisions_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The division map: unit × product grid, treemap by potential, ranked gaps."""
    context = _plan(request, readable, account_id)
    result, missing = _run(request, "division_map", account_id, readable)
    context |= {
        "result": result,
        "missing": missing,
        "tab": "divisions",
        "colours": STATUS_COLOURS,
    }
    if result is not None:
        done = result

        def body() -> dict[str, Any]:
            products, units = grid(done)
            return {
                "result": done,
                "products": products,
                "units": units,
                "unit_names": {
                    str(u["unit_id"]): u["unit_name"] for u in done.tables["units"]
                },
                "treemap": planning_charts.units_treemap(done),
                "colours": STATUS_COLOURS,
                "currency": state(request).settings.currency,
                "account_id": account_id,
                "base": context["base"],
                # The edit links depend on the role only (the key says so).
                "user": {"role": user.role},
            }

        # Hundreds of cells, each with its edit link: rendered once per result
        # (one per data version and readable accounts) and role, not per request.
        context["body"] = cached_fragment(
            request,
            result,
            ("divisions", account_id, readable, user.role),
            "planning/_divisions_body.html",
            body,
        )
    return page(request, "planning/divisions.html", context)


def matrix(result: AnalysisResult) -> list[dict[str, Any]]:
    """One row per activity: its code per role and the problems found on it."""
    codes: dict[str, dict[str, str]] = {}
    for m in result.tables["matrix"]:
        codes.setdefault(str(m["activity"]), {})[str(m["role"])] = str(m["code"])
    problems: dict[str, list[dict[str, object]]] = {}
    for i in result.tables["issues"]:
        if i["activity"]:
            problems.setdefault(str(i["activity"]), []).append(i)
    activities = sorted(set(codes) | set(problems))
    return [
        {
            "activity": a,
            "codes": codes.get(a, {}),
            "problems": problems.get(a, []),
            "error": any(p["severity"] == "error" for p in problems.get(a, [])),
        }
        for a in activities
    ]


def _raci_page(
    request: Request, readable: frozenset[str] | None, account: str | None
) -> HTMLResponse:
    context = _plan(request, readable, account)
    result, missing = _run(request, "responsibilities", account, readable)
    context |= {
        "result": result,
        "missing": missing,
        "tab": "raci",
        "colours": CODE_COLOURS,
    }
    if result is not None:
        context["roles"] = [str(r["role"]) for r in result.rows]
        context["activities"] = matrix(result)
        context["role_issues"] = [
            i for i in result.tables["issues"] if not i["activity"]
        ]
    return page(request, "planning/raci.html", context)


@router.get(
    "/accounts/{account_id}/raci", response_class=HTMLResponse, include_in_schema=False
)
def raci_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The account team's RACI matrix, its problems and the workload per role."""
    return _raci_page(request, readable, account_id)


@router.get("/programme/raci", response_class=HTMLResponse, include_in_schema=False)
def programme_raci_page(
    request: Request, user: User, readable: Readable
) -> HTMLResponse:
    """The programme's RACI matrix."""
    return _raci_page(request, readable, None)
