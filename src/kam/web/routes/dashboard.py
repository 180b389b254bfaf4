"""The Dashboard and Retention pages: one month and a filtered book of accounts.

The query string holds ``month`` (``YYYY-MM``; default the last month with MRR)
and the filters ``owner``, ``segment`` and ``abc_class`` (the class of the latest
ABC period, as on the accounts list). The analyses run over the readable accounts
that pass the filters. A value the page cannot use re-shows the form with the
message (status 400). A picked month also sets ``as_of`` to its last day for the
analyses that look at a day (at-risk queue, health, onboarding, satisfaction).

An analysis whose sheets are missing leaves its section with the message, not the
page. Long tables show their first rows only (:data:`SHOWN`).
"""

from __future__ import annotations

import calendar
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from kam.analysis.result import AnalysisResult
from kam.errors import InputError, KamError
from kam.web import charts, facts
from kam.web import dashboard_charts as dc
from kam.web.deps import Readable, User, state
from kam.web.queries import refuse_control_characters
from kam.web.templating import cached_fragment, page

__all__ = ["SHOWN", "account_health", "router", "run_or_refusal"]

router = APIRouter()

#: Rows of a long table shown on the pages (the tool pages show the rest).
SHOWN = 20
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CLASSES = ("A", "B", "C")
_VIEWS = ("logo", "revenue")
_REFUSED_SIZE = 64
_refused: OrderedDict[tuple[object, ...], tuple[frozenset[str] | None, str]] = (
    OrderedDict()
)
_refused_lock = Lock()
#: The retention page's tables: result table, label, key column.
_PARTS = (
    ("ttm", "trailing twelve months", "period"),
    ("by_class", "ABC class", "abc_class"),
    ("by_owner", "owner", "owner"),
    ("by_plan", "plan", "plan"),
)


@dataclass
class Scope:
    """The page's month and filters, the accounts they leave and the form lists."""

    month: str
    owner: str
    segment: str
    abc_class: str
    accounts: frozenset[str] | None
    owners: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def values(self) -> dict[str, str]:
        return {
            "month": self.month,
            "owner": self.owner,
            "segment": self.segment,
            "abc_class": self.abc_class,
        }


def _scope(request: Request, readable: frozenset[str] | None) -> Scope:
    """The filters of the query string and the accounts they leave of ``readable``."""
    q = request.query_params
    month, owner, segment, abc_class = (
        q.get(k, "").strip() for k in ("month", "owner", "segment", "abc_class")
    )
    scope = Scope(month, owner, segment, abc_class, readable)
    found = facts.account_facts(state(request).engine).accounts
    table: pa.Table | None = None if found is None else found.table
    if table is not None and readable is not None:
        table = table.filter(pc.is_in(table["account_id"], pa.array(sorted(readable))))
    if table is not None:
        for column, target in (("owner", scope.owners), ("segment", scope.segments)):
            if column in table.column_names:
                target.extend(
                    sorted(str(v) for v in pc.unique(table[column]).to_pylist() if v)
                )
    try:
        for key, value in scope.values.items():
            refuse_control_characters(key, value)
        if month and not _MONTH.fullmatch(month):
            raise InputError(f"month={month!r}: expected a month as YYYY-MM")
        if owner and owner not in scope.owners:
            raise InputError(f"owner={owner!r}: no account of yours has this owner")
        if segment and segment not in scope.segments:
            raise InputError(f"segment={segment!r}: no account of yours is in it")
        if abc_class and abc_class not in _CLASSES:
            raise InputError(f"abc_class={abc_class!r}: expected A, B or C")
    except InputError as exc:
        scope.error = str(exc)
        return scope
    if table is not None and (owner or segment):
        if owner:
            table = table.filter(pc.equal(table["owner"], owner))
        if segment:
            table = table.filter(pc.equal(table["segment"], segment))
        scope.accounts = frozenset(str(a) for a in table["account_id"].to_pylist())
    if abc_class:
        # Imported here: the account page imports this module for its health part.
        from kam.web.routes.accounts import _latest_classes

        classes, _ = _latest_classes(request, readable)
        chosen = {a for a, c in classes.items() if c == abc_class}
        base = scope.accounts if scope.accounts is not None else readable
        scope.accounts = frozenset(chosen if base is None else chosen & base)
    return scope


def _as_of(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(year, mon)[1]:02d}"


def _run(
    request: Request, name: str, params: Mapping[str, object], scope: Scope
) -> tuple[AnalysisResult | None, str | None]:
    """The result over the scope's accounts, or why the section is empty."""
    return run_or_refusal(request, name, params, scope.accounts)


def run_or_refusal(
    request: Request,
    name: str,
    params: Mapping[str, object],
    accounts: frozenset[str] | None,
) -> tuple[AnalysisResult | None, str | None]:
    """The result, or the message saying why the section is empty.

    The engine keeps results, not refusals: a refusal (a missing sheet) is kept
    here per data version, so that a warm page does not ask again each time.
    """
    engine = state(request).engine
    key = (id(engine), engine.data_version, name, repr(sorted(params.items())))
    with _refused_lock:
        refused = _refused.get(key)
        if refused is not None and refused[0] == accounts:
            return None, refused[1]
    try:
        return engine.run(name, params, accounts=accounts), None
    except KamError as exc:
        with _refused_lock:
            _refused[key] = (accounts, str(exc))
            while len(_refused) > _REFUSED_SIZE:
                _refused.popitem(last=False)
        return None, str(exc)


def _row_of(rows: Any, column: str, value: str) -> dict[str, Any] | None:
    for r in reversed(list(rows)):
        if str(r[column]) == value:
            found: dict[str, Any] = r
            return found
    return None


def _previous(rows: Any, column: str, value: str) -> dict[str, Any] | None:
    listed = list(rows)
    for i, r in enumerate(listed):
        if str(r[column]) == value:
            return listed[i - 1] if i > 0 else None
    return None


def _form(request: Request, scope: Scope, months: list[str]) -> dict[str, Any]:
    return {
        "values": scope.values,
        "owners": scope.owners,
        "segments": scope.segments,
        "classes": _CLASSES,
        "months": months,
        "error": scope.error,
    }


def _rows_html(
    request: Request,
    result: AnalysisResult | None,
    part: str,
    shown: Callable[[AnalysisResult], list[dict[str, object]]],
) -> Markup:
    """The body of a table of the first rows of ``result``, rendered once per
    result (the rows do not depend on the user beyond the result itself)."""
    if result is None:
        return Markup("")
    return cached_fragment(
        request,
        result,
        part,
        "dashboard/dashboard_rows.html",
        lambda: {"part": part, part: shown(result)},
    )


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """KPI tiles, MRR by plan, the bridge, upsell, onboarding, satisfaction, health
    and the at-risk queue for one month over the filtered readable accounts."""
    scope = _scope(request, readable)
    context: dict[str, Any] = {"sections": {}, "shown": SHOWN}
    mrr: AnalysisResult | None = None
    if scope.error is None:
        month_params = {"month": scope.month} if scope.month else {}
        mrr, message = _run(request, "mrr", month_params, scope)
        if mrr is None:
            scope.error = message if scope.month else None
            context["sections"]["mrr"] = message
    months = [] if mrr is None else [str(r["month"]) for r in mrr.tables["totals"]]
    context.update(_form(request, scope, months))
    if mrr is None or scope.error is not None:
        status = 400 if scope.error else 200
        return page(request, "dashboard/dashboard.html", context, status=status)
    month = str(mrr.summary["month"])
    scope.month = scope.month or month
    context["values"] = scope.values
    dated = {"as_of": _as_of(month)} if request.query_params.get("month") else {}
    context["month"] = month
    context["mrr"] = mrr
    context["mrr_chart"] = charts.cached_json(
        mrr, "dashboard-mrr", lambda: dc.mrr_stack(mrr.tables["series"])
    )
    context.update(_bridge_and_retention(request, scope, month))
    context.update(_upsell(request, scope, month, dated))
    context.update(_onboarding(request, scope, dated))
    context.update(_satisfaction(request, scope, dated))
    context.update(_health(request, scope, dated))
    context.update(_at_risk(request, scope, month, dated))
    return page(request, "dashboard/dashboard.html", context)


def _bridge_and_retention(request: Request, scope: Scope, month: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    bridge, message = _run(request, "mrr_bridge", {}, scope)
    row = None if bridge is None else _row_of(bridge.rows, "month", month)
    out["bridge"] = row
    out["bridge_message"] = message
    if bridge is not None and row is not None:
        out["bridge_chart"] = charts.cached_json(
            bridge, f"waterfall-{month}", lambda: dc.bridge_waterfall(row)
        )
    retention, message = _run(request, "retention", {}, scope)
    if retention is not None:
        out["retention"] = _row_of(retention.rows, "period", month)
        out["retention_before"] = _previous(retention.rows, "period", month)
    return out


def _upsell(
    request: Request, scope: Scope, month: str, dated: dict[str, str]
) -> dict[str, Any]:
    result, message = _run(request, "upsell", {"month": month, **dated}, scope)
    return {
        "upsell": result,
        "upsell_message": message,
        "candidates_html": _rows_html(
            request, result, "candidates", lambda r: r.rows[:SHOWN]
        ),
    }


def _onboarding(
    request: Request, scope: Scope, dated: dict[str, str]
) -> dict[str, Any]:
    result, message = _run(request, "onboarding", dated, scope)
    out: dict[str, Any] = {"onboarding": result, "onboarding_message": message}
    if result is not None:
        stages = result.tables["stages"]
        out["onboarding_chart"] = charts.cached_json(
            result, "funnel", lambda: dc.onboarding_funnel(stages)
        )
        out["onboarding_html"] = _rows_html(
            request,
            result,
            "onboarding",
            lambda r: [row for row in r.rows[:SHOWN] if not row["complete"]],
        )
    return out


def _satisfaction(
    request: Request, scope: Scope, dated: dict[str, str]
) -> dict[str, Any]:
    result, message = _run(request, "satisfaction", dated, scope)
    out: dict[str, Any] = {"satisfaction": result, "satisfaction_message": message}
    if result is not None:
        trend = result.tables["trend"]
        out["satisfaction_chart"] = charts.cached_json(
            result, "trend", lambda: dc.satisfaction_trend(trend)
        )
    return out


def _health(request: Request, scope: Scope, dated: dict[str, str]) -> dict[str, Any]:
    result, message = _run(request, "health", dated, scope)
    out: dict[str, Any] = {"health": result, "health_message": message}
    if result is not None:
        bands = result.tables["bands"]
        out["health_chart"] = charts.cached_json(
            result, "bands", lambda: dc.health_bands(bands)
        )
        out["endangered"] = [r for r in result.rows[:SHOWN] if r["endangered"]]
    return out


def _at_risk(
    request: Request, scope: Scope, month: str, dated: dict[str, str]
) -> dict[str, Any]:
    result, message = _run(request, "at_risk", {"month": month, **dated}, scope)
    return {
        "at_risk": result,
        "at_risk_message": message,
        "queue_html": _rows_html(request, result, "queue", lambda r: r.rows[:SHOWN]),
    }


@router.get("/retention", response_class=HTMLResponse, include_in_schema=False)
def retention_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """GRR beside NRR over time, the trailing twelve months, by class, owner and
    plan; cohort heat maps (``view=logo`` or ``revenue``); slipping accounts."""
    scope = _scope(request, readable)
    view = request.query_params.get("view", "logo").strip() or "logo"
    if scope.error is None and view not in _VIEWS:
        scope.error = f"view={view!r}: expected logo or revenue"
    context: dict[str, Any] = {"view": view, "shown": SHOWN}
    retention = None
    if scope.error is None:
        params = {"period_to": scope.month} if scope.month else {}
        retention, message = _run(request, "retention", params, scope)
        if retention is None and scope.month:
            scope.error = message
        context["retention_message"] = message
    months: list[str] = []
    if retention is not None:
        every, _ = _run(request, "mrr", {}, scope)
        if every is not None:
            months = [str(r["month"]) for r in every.tables["totals"]]
        context["retention"] = retention
        tables = retention.tables
        context["retention_chart"] = charts.cached_json(
            retention, "lines", lambda: dc.retention_lines(retention.rows)
        )
        context["parts"] = [
            {
                "name": name,
                "label": label,
                "key": key,
                "rows": list(tables.get(name, [])),
            }
            for name, label, key in _PARTS
        ]
        month = str(retention.summary["period"])
        cohorts, message = _run(request, "cohorts", {"period_to": month}, scope)
        context["cohorts_message"] = message
        if cohorts is not None:
            table = cohorts.tables[view]
            context["cohort_chart"] = charts.cached_json(
                cohorts, f"heat-{view}", lambda: dc.cohort_heatmap(table, kind=view)
            )
        slipping, message = _run(request, "slipping", {"period": month}, scope)
        context["slipping"] = slipping
        context["slipping_message"] = message
        context["slipping_rows"] = [] if slipping is None else slipping.rows[:SHOWN]
    context.update(_form(request, scope, months))
    status = 400 if scope.error else 200
    return page(request, "dashboard/retention.html", context, status=status)


def _account_rows(
    result: AnalysisResult,
    name: str,
    rows: Any,
    account_id: str,
    order: tuple[str, ...] = (),
) -> list[dict[str, object]]:
    """The rows of one account, by an index built once per result."""
    table = getattr(rows, "arrow", None)
    if not isinstance(table, pa.Table):
        return [dict(r) for r in rows if r.get("account_id") == account_id]
    return facts.by_account(result, name, lambda: table, order=order).rows(account_id)


def account_health(
    request: Request, readable: frozenset[str] | None, account_id: str
) -> dict[str, Any]:
    """The account page's health, signal breakdown, surveys and open risks (each
    left out when its analysis cannot run: missing sheets)."""
    out: dict[str, Any] = {}
    health, _ = run_or_refusal(request, "health", {}, readable)
    if health is not None:
        found = _account_rows(health, "health_rows", health.rows, account_id)
        out["health"] = found[0] if found else None
        out["signals"] = _account_rows(
            health, "health_signals", health.tables["signals"], account_id
        )
    surveys, _ = run_or_refusal(request, "satisfaction", {}, readable)
    if surveys is not None:
        found = _account_rows(surveys, "surveys", surveys.rows, account_id)
        out["surveys"] = found[0] if found else None
        out["surveys_since"] = surveys.summary.get("since")
    queue, _ = run_or_refusal(request, "at_risk", {}, readable)
    if queue is not None:
        out["risks"] = _account_rows(
            queue, "risks", queue.rows, account_id, order=("rank",)
        )
    return out
