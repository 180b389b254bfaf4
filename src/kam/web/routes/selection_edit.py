"""The score editor of one account and the saving of criterion weights.

Every change goes through the edit service (:mod:`kam.store.edits`, and
:func:`kam.store.edit_batch.update_rows` for the weights): values are converted and
checked as the import does, access is the service's, a stale edit is refused with
the stored values (409), one audit row per changed row, and the data version goes
up so the scoring page shows the new ranking at once. Every POST carries the
session's CSRF token.

Scores: ``GET /accounts/{id}/scores`` lists the account's Scores rows (one per
criterion and rater) with an add form; ``GET /accounts/{id}/scores/row?criterion_id=
&rater=`` edits one; POSTs go to ``/accounts/{id}/scores/add|update|delete``. A
KAM edits the scores of the accounts they edit; another account is 404, viewers and
executives get 403. ``GET /tools/scoring/scores?account_id=`` (the scoring page's
"edit scores" form) redirects to the account's editor.

Weights: ``GET /tools/scoring/weights?w.<criterion_id>=...`` (the "save these
weights" link of the what-if mode) shows the saved and the new weight of every
criterion with the section sums; ``POST /tools/scoring/weights`` saves them all in
one batch, refused (400, the import's message) unless each section sums to 1 or
to 100. Only an admin or analyst may (Criteria rows belong to no account).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.analysis.criteria import SECTIONS
from kam.errors import ConflictError, NotFoundError
from kam.model import SHEETS, Column, Kind
from kam.store import edits
from kam.store.db import read_connection
from kam.store.edit_batch import update_rows
from kam.store.tables import data_table
from kam.web.deps import User, check_csrf, form, state
from kam.web.routes.selection import WEIGHT_PREFIX
from kam.web.sessions import SignedIn
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_CHANGE = [Depends(check_csrf)]
SHEET = "Scores"
#: The columns of the score forms (the account is the page's).
FIELDS = ("criterion_id", "rater", "score", "scored_on", "note")
KEY = ("criterion_id", "rater")
#: Hidden form fields ``v.<criterion_id>`` carry the version of each criterion.
VERSION_PREFIX = "v."


def _text(value: object) -> str:
    """A stored value as a form shows it: a score 9.0 as ``9``, 0.35 as ``0.35``."""
    if value is None:
        return ""
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _columns() -> list[Column]:
    s = SHEETS[SHEET]
    return [s.column(f) for f in FIELDS]


def _by_column(problems: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.column or "", []).append(p.message)
    return out


def _criteria(request: Request, user: SignedIn) -> list[dict[str, Any]]:
    """The Criteria rows with their versions, by section and id."""
    store = state(request).store
    table = data_table("Criteria")
    with read_connection(store.engine) as conn:
        ids = conn.execute(sa.select(table.c.criterion_id)).scalars().all()
    rows = []
    for cid in ids:
        row = edits.read_row(store, user.principal, "Criteria", str(cid))
        rows.append({**row, "version": edits.row_version(row)})
    order = {s: i for i, s in enumerate(SECTIONS)}
    rows.sort(key=lambda r: (order.get(str(r["section"]), 9), str(r["criterion_id"])))
    return rows


# -- scores ----------------------------------------------------------------------


def _key_query(row: Mapping[str, object]) -> str:
    return urlencode({k: _text(row.get(k)) for k in KEY})


def _key(account_id: str, data: Mapping[str, Any]) -> dict[str, object]:
    """The Scores key from a form or query (a blank rater is no rater)."""
    rater = str(data.get("rater", "")).strip()
    return {
        "account_id": account_id,
        "criterion_id": str(data.get("criterion_id", "")).strip(),
        "rater": rater or None,
    }


def _editor(
    request: Request,
    user: SignedIn,
    account_id: str,
    *,
    status: int = 200,
    typed: Mapping[str, str] | None = None,
    problems: list[Any] | None = None,
    message: str | None = None,
) -> HTMLResponse:
    """The account's scores with an add form (``typed``: a refused add)."""
    store = state(request).store
    edits.require_edit(store, user.principal, account_id)
    criteria = _criteria(request, user)
    names = {str(c["criterion_id"]): str(c["name"]) for c in criteria}
    order = {str(c["criterion_id"]): i for i, c in enumerate(criteria)}
    found = edits.list_rows(store, user.principal, SHEET, account_id=account_id)
    found.sort(
        key=lambda r: (order.get(str(r["criterion_id"]), 999), _text(r["rater"]))
    )
    rows = [
        {
            **{f: _text(r[f]) for f in FIELDS},
            "name": names.get(str(r["criterion_id"]), ""),
            "_query": _key_query(r),
        }
        for r in found
    ]
    context = {
        "account_id": account_id,
        "rows": rows,
        "criteria": criteria,
        "columns": _columns(),
        "typed": typed or {},
        "failed": typed is not None,
        "problems": _by_column(problems or []),
        "message": message,
        "kinds": Kind,
    }
    return page(request, "selection/edit/scores.html", context, status=status)


@router.get("/tools/scoring/scores")
def open_editor(request: Request, user: User) -> Response:
    """The scoring page's "edit scores" form: on to the account's editor."""
    account_id = request.query_params.get("account_id", "").strip()
    if not account_id:
        raise NotFoundError("name an account to edit its scores")
    return RedirectResponse(f"/accounts/{quote(account_id, safe='')}/scores", 303)


@router.get("/accounts/{account_id}/scores", response_class=HTMLResponse)
def editor_page(request: Request, account_id: str, user: User) -> HTMLResponse:
    """The account's scores (per criterion and rater) with an add form."""
    return _editor(request, user, account_id)


def _row_page(
    request: Request,
    account_id: str,
    key: Mapping[str, object],
    typed: Mapping[str, str],
    version: str,
    *,
    status: int = 200,
    problems: list[Any] | None = None,
    current: Mapping[str, object] | None = None,
) -> HTMLResponse:
    context = {
        "account_id": account_id,
        "key": {k: _text(key[k]) for k in KEY},
        "typed": typed,
        "version": version,
        "columns": [c for c in _columns() if c.name not in KEY],
        "problems": _by_column(problems or []),
        "current": current,
        "kinds": Kind,
    }
    return page(request, "selection/edit/row.html", context, status=status)


def _load(
    request: Request, user: SignedIn, account_id: str, key: Mapping[str, object]
) -> dict[str, object]:
    store = state(request).store
    edits.require_edit(store, user.principal, account_id)
    return edits.read_row(store, user.principal, SHEET, dict(key))


@router.get("/accounts/{account_id}/scores/row", response_class=HTMLResponse)
def row_page(request: Request, account_id: str, user: User) -> HTMLResponse:
    """The form changing (or deleting) one score."""
    key = _key(account_id, request.query_params)
    row = _load(request, user, account_id, key)
    typed = {f: _text(row[f]) for f in FIELDS}
    return _row_page(request, account_id, key, typed, edits.row_version(row))


def _editor_url(account_id: str) -> str:
    return f"/accounts/{quote(account_id, safe='')}/scores"


@router.post("/accounts/{account_id}/scores/add", dependencies=_CHANGE)
async def add(request: Request, account_id: str, user: User) -> Response:
    """Add a score; refused values come back as typed (400)."""
    data = await form(request)
    typed = {f: str(data.get(f, "")) for f in FIELDS}
    store = state(request).store
    await run_in_threadpool(edits.require_edit, store, user.principal, account_id)
    values: dict[str, object] = {**typed, "account_id": account_id}
    try:
        await run_in_threadpool(edits.add_row, store, user.principal, SHEET, values)
    except edits.EditError as e:
        refused = e
    else:
        return RedirectResponse(_editor_url(account_id), status_code=303)
    return await run_in_threadpool(
        lambda: _editor(
            request,
            user,
            account_id,
            status=400,
            typed=typed,
            problems=refused.problems,
            message=str(refused),
        )
    )


def _current(e: ConflictError) -> tuple[str, dict[str, str]]:
    current = dict(e.current)
    return str(current.get("version", "")), {f: _text(current.get(f)) for f in FIELDS}


@router.post("/accounts/{account_id}/scores/update", dependencies=_CHANGE)
async def update(request: Request, account_id: str, user: User) -> Response:
    """Change a score seen at ``version``; 400 with problems, 409 when stale."""
    data = await form(request)
    key = _key(account_id, data)
    editable = [f for f in FIELDS if f not in KEY]
    typed = {
        **{k: _text(key[k]) for k in KEY},
        **{f: str(data.get(f, "")) for f in editable},
    }
    version = str(data.get("version", ""))
    await run_in_threadpool(_load, request, user, account_id, key)
    store = state(request).store
    try:
        await run_in_threadpool(
            lambda: edits.update_row(
                store,
                user.principal,
                SHEET,
                key,
                {f: typed[f] for f in editable},
                version=version,
            )
        )
    except edits.EditError as e:
        return _row_page(
            request, account_id, key, typed, version, status=400, problems=e.problems
        )
    except ConflictError as e:
        now, current = _current(e)
        return _row_page(
            request, account_id, key, typed, now, status=409, current=current
        )
    return RedirectResponse(_editor_url(account_id), status_code=303)


@router.post("/accounts/{account_id}/scores/delete", dependencies=_CHANGE)
async def delete(request: Request, account_id: str, user: User) -> Response:
    """Delete a score seen at ``version`` (409 with the stored values when stale)."""
    data = await form(request)
    key = _key(account_id, data)
    version = str(data.get("version", ""))
    row = await run_in_threadpool(_load, request, user, account_id, key)
    typed = {f: _text(row[f]) for f in FIELDS}
    store = state(request).store
    try:
        await run_in_threadpool(
            lambda: edits.delete_row(store, user.principal, SHEET, key, version=version)
        )
    except edits.EditError as e:
        return _row_page(
            request, account_id, key, typed, version, status=400, problems=e.problems
        )
    except ConflictError as e:
        now, current = _current(e)
        return _row_page(
            request, account_id, key, typed, now, status=409, current=current
        )
    return RedirectResponse(_editor_url(account_id), status_code=303)


# -- weights ---------------------------------------------------------------------


def _sections(
    criteria: list[dict[str, Any]], typed: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per section: its criteria with saved and new weight, and the new sum (None
    when a new weight is not a number)."""
    out = []
    for s in SECTIONS:
        members = [c for c in criteria if c["section"] == s]
        if not members:
            continue
        total: Decimal | None = Decimal(0)
        for c in members:
            try:
                total = (
                    None
                    if total is None
                    else total + Decimal(typed[str(c["criterion_id"])].strip())
                )
            except InvalidOperation:
                total = None
        out.append({"section": s, "criteria": members, "total": total})
    return out


def _weights_page(
    request: Request,
    user: SignedIn,
    typed: Mapping[str, str],
    versions: Mapping[str, str] | None = None,
    *,
    status: int = 200,
    problems: list[Any] | None = None,
    current: Mapping[str, object] | None = None,
) -> HTMLResponse:
    edits.require_edit(state(request).store, user.principal, None)
    criteria = _criteria(request, user)
    for c in criteria:
        cid = str(c["criterion_id"])
        c["saved"] = _text(c["weight"])
        if versions is not None and cid in versions:
            c["version"] = versions[cid]
    full = {
        str(c["criterion_id"]): typed.get(str(c["criterion_id"]), _text(c["weight"]))
        for c in criteria
    }
    context = {
        "sections": _sections(criteria, full),
        "typed": full,
        "messages": [p.message for p in problems or []],
        "current": current,
        "query": urlencode({f"{WEIGHT_PREFIX}{k}": v for k, v in full.items()}),
    }
    return page(request, "selection/edit/weights.html", context, status=status)


def _typed_weights(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k)[len(WEIGHT_PREFIX) :]: str(v)
        for k, v in data.items()
        if str(k).startswith(WEIGHT_PREFIX)
    }


@router.get("/tools/scoring/weights", response_class=HTMLResponse)
def weights_page(request: Request, user: User) -> HTMLResponse:
    """The saved and the what-if weights side by side, with a save button."""
    return _weights_page(request, user, _typed_weights(request.query_params))


@router.post("/tools/scoring/weights", dependencies=_CHANGE)
async def save_weights(request: Request, user: User) -> Response:
    """Save every criterion weight at once (each section must sum to 1 or 100)."""
    data = await form(request)
    typed = _typed_weights(data)
    versions = {
        str(k)[len(VERSION_PREFIX) :]: str(v)
        for k, v in data.items()
        if str(k).startswith(VERSION_PREFIX)
    }
    store = state(request).store
    await run_in_threadpool(edits.require_edit, store, user.principal, None)
    # A criterion shown but not changed still has its version checked: the sums
    # the user saw depend on it.
    changes = [
        (
            cid,
            {"weight": typed[cid]} if cid in typed else {},
            versions.get(cid, ""),
        )
        for cid in sorted(set(typed) | set(versions))
    ]
    try:
        await run_in_threadpool(update_rows, store, user.principal, "Criteria", changes)
    except edits.EditError as e:
        refused = e
    except ConflictError as e:
        stale = dict(e.current)
        return await run_in_threadpool(
            lambda: _weights_page(
                request,
                user,
                typed,
                status=409,
                current={
                    "criterion_id": _text(stale.get("criterion_id")),
                    "weight": _text(stale.get("weight")),
                },
            )
        )
    else:
        return RedirectResponse("/tools/scoring", status_code=303)
    return await run_in_threadpool(
        lambda: _weights_page(
            request, user, typed, versions, status=400, problems=refused.problems
        )
    )
