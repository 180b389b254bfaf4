"""The accounts list and the account page."""

from __future__ import annotations

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.access import require_readable
from kam.errors import KamError
from kam.web import charts, facts
from kam.web.deps import Readable, User, state
from kam.web.queries import accounts
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
) -> HTMLResponse:
    """Readable accounts, searchable by id or name, filtered by owner and segment."""
    tables = state(request).engine.tables(accounts=readable)
    every = accounts(tables)
    rows = accounts(tables, q=q, owner=owner, segment=segment)
    context = {
        "rows": rows,
        "q": q,
        "owner": owner,
        "segment": segment,
        "owners": sorted({str(r["owner"]) for r in every if r["owner"]}),
        "segments": sorted({str(r["segment"]) for r in every if r["segment"]}),
    }
    return page(request, "accounts.html", context)


@router.get(
    "/accounts/{account_id}", response_class=HTMLResponse, include_in_schema=False
)
def account_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """One account: profile, revenue by year, MRR by plan."""
    require_readable(readable, account_id)
    engine = state(request).engine
    found = facts.account_facts(engine)
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
    table = getattr(result.rows, "arrow", None)
    if not isinstance(table, pa.Table):
        return [r for r in result.rows if r.get("account_id") == account_id]
    columns = ["account_id", "period", "class", "value"]
    return facts.rows_of(table.select(columns), account_id)
