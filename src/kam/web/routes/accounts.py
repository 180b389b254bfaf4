"""The accounts list and the account page."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.access import require_readable
from kam.analysis.migration import CLASSES, POOLED
from kam.analysis.result import AnalysisResult
from kam.errors import KamError
from kam.web import charts, facts
from kam.web.deps import Readable, User, state
from kam.web.queries import accounts
from kam.web.routes.dashboard import account_health
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter()


@router.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
def account_list(
    request: Request,
    user: User,
    readable: Readable,
    q: str = "",
    owner: str = "",
    segment: str = "",
    abc_class: str = "",
    sort: str = "",
) -> HTMLResponse:
    """Readable accounts, searchable by id or name, filtered by owner, segment and
    ABC class (of the latest period), sorted by ``sort`` (``-`` first: descending)."""
    st = state(request)
    every = accounts(st.engine, readable)
    rows = accounts(st.engine, readable, q=q, owner=owner, segment=segment)
    classes, period = _latest_classes(request, readable)
    for r in rows:
        r["abc_class"] = classes.get(str(r["account_id"]), "")
    if abc_class:
        rows = [r for r in rows if r["abc_class"] == abc_class]
    context = {
        "rows": sort_rows(rows, sort),
        "q": q,
        "owner": owner,
        "segment": segment,
        "abc_class": abc_class,
        "abc_period": period,
        "sort": sort,
        "owners": sorted({str(r["owner"]) for r in every if r["owner"]}),
        "segments": sorted({str(r["segment"]) for r in every if r["segment"]}),
        "empty_store": not every,
    }
    return page(request, "accounts.html", context)


def sort_rows(rows: list[dict[str, object]], sort: str) -> list[dict[str, object]]:
    """``rows`` ordered by column ``sort`` (``-name``: descending); blanks last."""
    column = sort.lstrip("-")
    if not column or not rows or column not in rows[0]:
        return rows
    filled = [r for r in rows if r[column] not in (None, "")]
    blank = [r for r in rows if r[column] in (None, "")]
    filled.sort(key=lambda r: str(r[column]).casefold(), reverse=sort.startswith("-"))
    return filled + blank


def _abc_columns(result: AnalysisResult) -> pa.Table | None:
    """The ABC rows as columns (``account_id``, ``period``, ``class``, ``value``)
    without writing each row: the fetched table holds the period's position
    (``pidx``, in ``summary['periods']``, pooled last) and the class as a code (0 A,
    1 B, 2 C), see :mod:`kam.analysis.abc_fetch`. None when the rows are not a
    fetched table."""
    table = getattr(result.rows, "arrow", None)
    if not isinstance(table, pa.Table) or "pidx" not in table.column_names:
        return None
    periods = result.summary.get("periods")
    if not isinstance(periods, list):
        return None
    labels = pa.array([*(str(p) for p in periods), POOLED])
    period = pc.take(labels, table["pidx"])
    cls = pc.take(pa.array(list(CLASSES)), table["class"])
    return pa.table(
        {
            "account_id": table["account_id"],
            "period": period,
            "class": cls,
            "value": table["value"],
        }
    )


def _latest_classes(
    request: Request, readable: frozenset[str] | None
) -> tuple[dict[str, str], str | None]:
    """Each readable account's ABC class in the latest period (default parameters)."""
    try:
        result = state(request).engine.run("abc", accounts=readable)
    except KamError:
        return {}, None
    table = _abc_columns(result)
    if table is None or not table.num_rows:
        return {}, None
    periods = [p for p in set(table["period"].to_pylist()) if p != "pooled"]
    if not periods:
        return {}, None
    last = max(periods)
    part = table.filter(pc.equal(table["period"], last))
    ids, cls = part["account_id"].to_pylist(), part["class"].to_pylist()
    return dict(zip(ids, cls, strict=True)), str(last)


@router.get(
    "/accounts/{account_id}", response_class=HTMLResponse, include_in_schema=False
)
def account_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """One account: profile, revenue by year, MRR by plan, health, surveys, risks."""
    require_readable(readable, account_id)
    st = state(request)
    found = facts.account_facts(st.engine)
    profile = facts.profile(found, account_id)
    mrr = facts.rows_of(found.mrr, account_id)
    last_month = mrr[-1]["month"] if mrr else None
    context = {
        "account": profile,
        "revenue": facts.rows_of(found.revenue, account_id),
        "abc_history": _abc_history(request, readable, account_id),
        "mrr_latest": [r for r in mrr if r["month"] == last_month],
        "mrr_month": last_month,
        "mrr_chart": charts.mrr_by_plan(mrr) if mrr else None,
        **account_health(request, readable, account_id),
    }
    return page(request, "account.html", context)


def _abc_history(
    request: Request, readable: frozenset[str] | None, account_id: str
) -> list[dict[str, object]]:
    """The account's ABC class per period (default parameters, the user's book)."""
    try:
        result = state(request).engine.run("abc", accounts=readable)
    except KamError:
        return []
    table = _abc_columns(result)
    if table is None:
        return [r for r in result.rows if r.get("account_id") == account_id]
    columns = ["account_id", "period", "class", "value"]
    indexed = facts.by_account(
        result, "abc_history", lambda: table.select(columns), order=("period",)
    )
    return indexed.rows(account_id)
