"""The stakeholder map editor: stakeholders, dotted lines and touchpoints.

Every change goes through :mod:`kam.store.edits` (validation, references, access,
optimistic concurrency, audit, data version), so this module only turns forms into
edits and edit errors into pages: problems are shown beside their fields with the
values as typed (400); a stale edit shows the stored values and the new version
(409). Every POST carries the session's CSRF token.

``/accounts/{id}/map/edit`` lists the account's rows with add forms;
``/accounts/{id}/map/{kind}/row?<key>`` edits one row; POSTs go to
``/accounts/{id}/map/{kind}/add|update|delete``. ``kind`` is ``stakeholders``,
``influences`` or ``touchpoints``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.errors import ConflictError, NotFoundError
from kam.model import SHEETS, Column, Kind
from kam.store import edits
from kam.web.deps import User, check_csrf, form, state
from kam.web.sessions import SignedIn
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_CHANGE = [Depends(check_csrf)]


@dataclass(frozen=True)
class Part:
    """One editable part of the map: a sheet and the columns its form shows."""

    kind: str
    sheet: str
    label: str
    fields: tuple[str, ...]
    #: The columns of the list on the editor page (default: every field).
    listed: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return SHEETS[self.sheet].key or ()

    def columns(self) -> list[Column]:
        s = SHEETS[self.sheet]
        return [s.column(f) for f in self.fields]


PARTS: dict[str, Part] = {
    p.kind: p
    for p in (
        Part(
            "stakeholders",
            "Stakeholders",
            "stakeholder",
            tuple(
                c.name for c in SHEETS["Stakeholders"].columns if c.name != "account_id"
            ),
            (
                "stakeholder_id",
                "name",
                "title",
                "organisation",
                "reports_to",
                "decision_power",
                "attitude",
                "buying_role",
            ),
        ),
        Part(
            "influences",
            "Influences",
            "dotted line",
            tuple(SHEETS["Influences"].column_names),
        ),
        Part(
            "touchpoints",
            "Touchpoints",
            "touchpoint",
            tuple(SHEETS["Touchpoints"].column_names),
        ),
    )
}


def _part(kind: str) -> Part:
    found = PARTS.get(kind)
    if found is None:
        raise NotFoundError(f"there is no map part {kind!r}")
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _typed(row: Mapping[str, object], part: Part) -> dict[str, str]:
    return {f: _text(row.get(f)) for f in part.fields}


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
) -> HTMLResponse:
    """The editor page; ``failed`` names the add form that was refused."""
    store = state(request).store
    principal = user.principal
    edits.require_edit(store, principal, account_id)
    rows = {
        kind: [
            {
                **{f: _text(r[f]) for f in p.listed or p.fields},
                "_query": _key_query(p, r),
            }
            for r in edits.list_rows(store, principal, p.sheet, account_id=account_id)
        ]
        for kind, p in PARTS.items()
    }
    context = {
        "account_id": account_id,
        "parts": PARTS,
        "rows": rows,
        "failed": failed,
        "typed": typed or {},
        "problems": _by_column(problems or []),
        "message": message,
        "kinds": Kind,
        "people": [r["stakeholder_id"] for r in rows["stakeholders"]],
    }
    return page(request, "stakeholders/edit.html", context, status=status)


def _key_query(part: Part, row: Mapping[str, object]) -> str:
    return urlencode({k: _text(row[k]) for k in part.key})


def _by_column(problems: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.column or "", []).append(p.message)
    return out


@router.get("/accounts/{account_id}/map/edit", response_class=HTMLResponse)
def editor_page(request: Request, account_id: str, user: User) -> HTMLResponse:
    """The account's stakeholders, dotted lines and touchpoints, with add forms."""
    return _editor(request, user, account_id)


def _row_page(
    request: Request,
    account_id: str,
    part: Part,
    key: Mapping[str, str],
    typed: Mapping[str, str],
    version: str,
    *,
    status: int = 200,
    problems: list[Any] | None = None,
    current: Mapping[str, object] | None = None,
) -> HTMLResponse:
    context = {
        "account_id": account_id,
        "part": part,
        "key": key,
        "typed": typed,
        "version": version,
        "problems": _by_column(problems or []),
        "current": current,
        "kinds": Kind,
    }
    return page(request, "stakeholders/row.html", context, status=status)


def _load(
    request: Request,
    user: SignedIn,
    account_id: str,
    part: Part,
    key: Mapping[str, str],
) -> dict[str, object]:
    store = state(request).store
    edits.require_edit(store, user.principal, account_id)
    row = edits.read_row(store, user.principal, part.sheet, dict(key))
    mine = edits.list_rows(store, user.principal, part.sheet, account_id=account_id)
    if not any(all(r[k] == row[k] for k in part.key) for r in mine):
        raise NotFoundError(f"there is no {part.label} {key} on account {account_id}")
    return row


@router.get("/accounts/{account_id}/map/{kind}/row", response_class=HTMLResponse)
def row_page(request: Request, account_id: str, kind: str, user: User) -> HTMLResponse:
    """The form editing one row (and deleting it)."""
    part = _part(kind)
    key = {k: request.query_params.get(k, "") for k in part.key}
    row = _load(request, user, account_id, part, key)
    return _row_page(
        request, account_id, part, key, _typed(row, part), edits.row_version(row)
    )


async def _fields(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    data = await form(request)
    return {n: str(data.get(n, "")) for n in names}


@router.post("/accounts/{account_id}/map/{kind}/add", dependencies=_CHANGE)
async def add(request: Request, account_id: str, kind: str, user: User) -> Response:
    """Add a row; refused values come back in place (400)."""
    part = _part(kind)
    typed = await _fields(request, part.fields)
    values: dict[str, object] = dict(typed)
    if part.sheet == "Stakeholders":
        values["account_id"] = account_id
    store = state(request).store
    # The service checks the accounts the row names; this checks the page's own.
    await run_in_threadpool(edits.require_edit, store, user.principal, account_id)
    try:
        await run_in_threadpool(
            edits.add_row, store, user.principal, part.sheet, values
        )
    except edits.EditError as e:
        refused = e
    else:
        return RedirectResponse(f"/accounts/{account_id}/map/edit", status_code=303)
    return await run_in_threadpool(
        lambda: _editor(
            request,
            user,
            account_id,
            status=400,
            failed=kind,
            typed=typed,
            problems=refused.problems,
            message=str(refused),
        )
    )


@router.post("/accounts/{account_id}/map/{kind}/update", dependencies=_CHANGE)
async def update(request: Request, account_id: str, kind: str, user: User) -> Response:
    """Change a row seen at ``version``; 400 with problems, 409 when stale."""
    part = _part(kind)
    editable = tuple(f for f in part.fields if f not in part.key)
    data = await form(request)
    key = {k: str(data.get(k, "")) for k in part.key}
    typed = {**key, **{n: str(data.get(n, "")) for n in editable}}
    version = str(data.get("version", ""))
    await run_in_threadpool(_load_checked, request, user, account_id, part, key)
    store = state(request).store
    try:
        await run_in_threadpool(
            lambda: edits.update_row(
                store,
                user.principal,
                part.sheet,
                key,
                {n: typed[n] for n in editable},
                version=version,
            )
        )
    except edits.EditError as e:
        return _row_page(
            request,
            account_id,
            part,
            key,
            typed,
            version,
            status=400,
            problems=e.problems,
        )
    except ConflictError as e:
        current = dict(e.current)
        return _row_page(
            request,
            account_id,
            part,
            key,
            typed,
            str(current.get("version", "")),
            status=409,
            current={f: _text(current.get(f)) for f in part.fields},
        )
    return RedirectResponse(f"/accounts/{account_id}/map/edit", status_code=303)


def _load_checked(
    request: Request,
    user: SignedIn,
    account_id: str,
    part: Part,
    key: Mapping[str, str],
) -> None:
    """The row must exist on this account (a stale delete elsewhere: 404)."""
    _load(request, user, account_id, part, key)


@router.post("/accounts/{account_id}/map/{kind}/delete", dependencies=_CHANGE)
async def delete(request: Request, account_id: str, kind: str, user: User) -> Response:
    """Delete a row seen at ``version`` (a stakeholder with their lines)."""
    part = _part(kind)
    data = await form(request)
    key = {k: str(data.get(k, "")) for k in part.key}
    version = str(data.get("version", ""))
    row = await run_in_threadpool(_load, request, user, account_id, part, key)
    store = state(request).store
    try:
        await run_in_threadpool(
            lambda: edits.delete_row(
                store, user.principal, part.sheet, key, version=version
            )
        )
    except edits.EditError as e:
        return _row_page(
            request,
            account_id,
            part,
            key,
            _typed(row, part),
            version,
            status=400,
            problems=e.problems,
        )
    except ConflictError as e:
        current = dict(e.current)
        return _row_page(
            request,
            account_id,
            part,
            key,
            _typed(row, part),
            str(current.get("version", "")),
            status=409,
            current={f: _text(current.get(f)) for f in part.fields},
        )
    return RedirectResponse(f"/accounts/{account_id}/map/edit", status_code=303)
