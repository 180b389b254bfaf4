"""The accounts list and the account page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.access import require_readable
from kam.web import charts
from kam.web.deps import Readable, User, state
from kam.web.queries import account, accounts, mrr_by_plan, revenue_by_year
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
    tables = state(request).engine.tables(accounts=readable)
    profile = account(tables, account_id)
    mrr = mrr_by_plan(tables, account_id)
    last_month = mrr[-1]["month"] if mrr else None
    context = {
        "account": profile,
        "revenue": revenue_by_year(tables, account_id),
        "mrr_latest": [r for r in mrr if r["month"] == last_month],
        "mrr_month": last_month,
        "mrr_chart": charts.to_json(charts.mrr_by_plan(mrr)) if mrr else None,
    }
    return page(request, "account.html", context)
