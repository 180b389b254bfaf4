"""The risk register editor of one account: add, resolve and re-assign risks.

Every change goes through :mod:`kam.store.edits` (validation, the owner reference,
access, optimistic concurrency, audit, data version — so the at-risk queue and the
health bands refresh), as the stakeholder map editor does. A risk is addressed by
the Risks sheet's key: ``account_id`` (the page's), ``flagged_on`` and ``reason``,
sent back as hidden fields with the version the user saw.

``GET /accounts/{id}/risks`` lists the account's risks, open ones first, each open
one with a *resolve* form (``resolved_on``, blank = today) and a *re-assign* form
(``owner``), and an add form. POSTs go to ``/accounts/{id}/risks/add|resolve|assign``
and carry the session's CSRF token. Refused values come back in place (400); a risk
changed since it was shown comes back with its stored values (409). Viewers and
executives get 403, a KAM of another account 404 (as for any account they may not
read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.errors import ConflictError, NotFoundError
from kam.model import SHEETS, Kind
from kam.store import edits
from kam.web.deps import User, check_csrf, form, state
from kam.web.sessions import SignedIn
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_CHANGE = [Depends(check_csrf)]
SHEET = "Risks"
#: The columns of the add form (the account is the page's).
ADD_FIELDS = ("flagged_on", "level", "reason", "owner")
#: What each row action changes.
ACTIONS = {"resolve": "resolved_on", "assign": "owner"}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _row_id(row: Mapping[str, object]) -> str:
    """A stable id of a risk on its page (its flagged date and reason)."""
    return f"{_text(row['flagged_on'])}|{_text(row['reason'])}"


def _editor(
    request: Request,
    user: SignedIn,
    account_id: str,
    *,
    status: int = 200,
    failed: str | None = None,
    typed: Mapping[str, str] | None = None,
    problems: list[Any] | None = None,
    message: str | None = None,
    current: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The register page; ``failed`` is ``"add"`` or ``"<action>:<row id>"``."""
    store = state(request).store
    principal = user.principal
    edits.require_edit(store, principal, account_id)
    stored = edits.list_rows(store, principal, SHEET, account_id=account_id)
    rows = [
        {
            **{c: _text(r[c]) for c in SHEETS[SHEET].column_names},
            "_id": _row_id(r),
            "_version": edits.row_version(r),
            "_open": r["resolved_on"] is None,
        }
        for r in stored
    ]
    # Open risks first, then the most recently flagged.
    rows.sort(key=lambda r: str(r["flagged_on"]), reverse=True)
    rows.sort(key=lambda r: not r["_open"])
    if current is not None:
        for r in rows:
            if r["_id"] == (failed or "").split(":", 1)[-1]:
                r["_version"] = current.get("version", r["_version"])
    context = {
        "account_id": account_id,
        "columns": [SHEETS[SHEET].column(c) for c in ADD_FIELDS],
        "rows": rows,
        "failed": failed,
        "typed": typed or {},
        "problems": _by_column(problems or []),
        "message": message,
        "current": current,
        "kinds": Kind,
        "today": date.today().isoformat(),
    }
    return page(request, "risks/edit.html", context, status=status)


def _by_column(problems: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.column or "", []).append(p.message)
    return out


@router.get("/accounts/{account_id}/risks", response_class=HTMLResponse)
def risks_page(request: Request, account_id: str, user: User) -> HTMLResponse:
    """The account's risks with the add, resolve and re-assign forms."""
    return _editor(request, user, account_id)


@router.post("/accounts/{account_id}/risks/add", dependencies=_CHANGE)
async def add(request: Request, account_id: str, user: User) -> Response:
    """Add a risk; refused values come back in place (400)."""
    data = await form(request)
    typed = {n: str(data.get(n, "")) for n in ADD_FIELDS}
    store = state(request).store
    await run_in_threadpool(edits.require_edit, store, user.principal, account_id)
    try:
        await run_in_threadpool(
            edits.add_row,
            store,
            user.principal,
            SHEET,
            {**typed, "account_id": account_id},
        )
    except edits.EditError as e:
        refused = e
    else:
        return RedirectResponse(f"/accounts/{account_id}/risks", status_code=303)
    return await run_in_threadpool(
        lambda: _editor(
            request,
            user,
            account_id,
            status=400,
            failed="add",
            typed=typed,
            problems=refused.problems,
            message=str(refused),
        )
    )


@router.post("/accounts/{account_id}/risks/{action}", dependencies=_CHANGE)
async def change(
    request: Request, account_id: str, action: str, user: User
) -> Response:
    """Resolve (``resolved_on``, blank = today) or re-assign (``owner``) a risk
    seen at ``version``; 400 with the problems, 409 with the stored values."""
    column = ACTIONS.get(action)
    if column is None:
        raise NotFoundError(f"there is no risk action {action!r}")
    data = await form(request)
    key = {
        "account_id": account_id,
        "flagged_on": str(data.get("flagged_on", "")),
        "reason": str(data.get("reason", "")),
    }
    value = str(data.get(column, "")).strip()
    if action == "resolve" and not value:
        value = date.today().isoformat()
    version = str(data.get("version", ""))
    failed = f"{action}:{key['flagged_on']}|{key['reason']}"
    store = state(request).store
    await run_in_threadpool(edits.require_edit, store, user.principal, account_id)
    try:
        await run_in_threadpool(
            lambda: edits.update_row(
                store, user.principal, SHEET, key, {column: value}, version=version
            )
        )
    except edits.EditError as e:
        refused = e
        return await run_in_threadpool(
            lambda: _editor(
                request,
                user,
                account_id,
                status=400,
                failed=failed,
                typed={column: value},
                problems=refused.problems,
                message=str(refused),
            )
        )
    except ConflictError as e:
        stored = dict(e.current)
        return await run_in_threadpool(
            lambda: _editor(
                request,
                user,
                account_id,
                status=409,
                failed=failed,
                typed={column: value},
                current={k: _text(v) for k, v in stored.items() if k != "extra"},
            )
        )
    return RedirectResponse(f"/accounts/{account_id}/risks", status_code=303)
