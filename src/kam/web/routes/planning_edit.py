"""The editors of the planning pages: charter and plan fields, objectives, tasks,
division-map cells and RACI cells.

Every change goes through :mod:`kam.store.edits` (validation, references, access,
optimistic concurrency, audit, data version); this module turns forms into edits
and edit errors into pages, as the stakeholder map editor does: problems beside
their fields with the values as typed (400), a stale edit shows the stored values
and the new version (409), every POST carries the session's CSRF token. A saved
edit goes back to its planning page, which shows the recalculated analysis at once
(the edit bumps the data version, so the engine reads the store again).

Pages, under ``/accounts/{id}`` (an account's plan) or ``/programme`` (the
programme's: rows with a blank account, edited by admins and analysts only):

- ``.../edit/{kind}?<key>``: the form of one row; a key that names no row (or
  none) gives the add form. ``kind`` is ``field`` (a Charter field: section,
  field), ``objective``, ``task``, ``cell`` (a Coverage cell: unit_id, product;
  accounts only) or ``raci`` (a RACI cell: activity, role).
- ``POST .../edit/{kind}/save`` (``version`` blank: add) and ``.../delete``.
- ``.../edit/section?section=S``: the fields of a section, with links.
- ``.../edit/field/history?section=S&field=F&a=i&b=j``: who changed the field
  when, and a line diff between versions ``i`` and ``j``.

The timeline refuses what the edit service cannot see: a predecessor that is a
task of another plan, a delete that leaves a successor naming the task, a cycle.
So a task edit runs the timeline's own ordering (:func:`kam.analysis.
critical_path.task_order`) on the plan as it would be after the edit, before
committing; its problems are shown on the form (400) and nothing is written. (The
check reads the plan before the edit's transaction: two people linking tasks into a
cycle at the same instant could both pass; the timeline then names the cycle on its
page, and either link can be removed in the editor.) A RACI code saved blank
removes the cell; the RACI rules (exactly one A, at least
one R) are the responsibilities analysis' and show on the matrix row after saving.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.errors import ConflictError, NotFoundError, Problem
from kam.model import SHEETS, Kind
from kam.store import edits
from kam.store.edit_history import row_history
from kam.web.deps import Readable, User, check_csrf, form, state
from kam.web.planning_forms import (
    PARTS,
    Part,
    base_url,
    field_versions,
    line_diff,
    timeline_problems,
)
from kam.web.planning_forms import page_url as _page_url
from kam.web.planning_forms import part_of as _part
from kam.web.planning_forms import service_key as _service_key
from kam.web.planning_forms import text as _text
from kam.web.routes.planning import plan_rows
from kam.web.sessions import SignedIn
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_CHANGE = [Depends(check_csrf)]


def _guard(request: Request, user: SignedIn, account: str | None) -> None:
    """The user may edit the plan (an account must exist and be readable)."""
    store = state(request).store
    if account is not None:
        edits.read_row(store, user.principal, "Accounts", account)
    edits.require_edit(store, user.principal, account)


def _own(
    request: Request,
    user: SignedIn,
    part: Part,
    account: str | None,
    row: Mapping[str, object],
) -> None:
    """NotFoundError unless ``row`` belongs to the plan of the page."""
    if part.sheet == "Coverage":
        unit = edits.read_row(
            state(request).store, user.principal, "Units", str(row["unit_id"])
        )
        home = unit.get("account_id")
    else:
        home = row.get("account_id")
    if home != account:
        raise NotFoundError(f"there is no {part.label} {dict(row)} in this plan")


def _load(
    request: Request,
    user: SignedIn,
    part: Part,
    account: str | None,
    key: Mapping[str, str],
) -> dict[str, object] | None:
    """The stored row of ``key`` on this plan, or None when there is none."""
    if not all(key.get(k) for k in part.key):
        return None
    try:
        row = edits.read_row(
            state(request).store,
            user.principal,
            part.sheet,
            _service_key(part, account, key),
        )
    except NotFoundError:
        return None
    _own(request, user, part, account, row)
    return row


def _by_column(problems: list[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in problems:
        out.setdefault(p.column or "", []).append(p.message)
    return out


def _form(
    request: Request,
    account: str | None,
    part: Part,
    key: Mapping[str, str],
    typed: Mapping[str, str],
    version: str,
    *,
    status: int = 200,
    problems: list[Problem] | None = None,
    current: Mapping[str, object] | None = None,
) -> HTMLResponse:
    context = {
        "account_id": account,
        "base": base_url(account),
        "back": _page_url(part, account),
        "part": part,
        "key": key,
        "typed": typed,
        "version": version,
        "problems": _by_column(problems or []),
        "current": current,
        "kinds": Kind,
        "history": (
            f"{base_url(account)}/edit/field/history?{urlencode(dict(key))}"
            if part.kind == "field" and version
            else None
        ),
    }
    return page(request, "planning/edit/row.html", context, status=status)


def _row_form(
    request: Request, user: SignedIn, account: str | None, kind: str
) -> HTMLResponse:
    part = _part(kind, account)
    _guard(request, user, account)
    key = {k: request.query_params.get(k, "").strip() for k in part.key}
    row = _load(request, user, part, account, key)
    if row is None:
        return _form(request, account, part, key, {}, "")
    typed = {f: _text(row.get(f)) for f in part.fields}
    return _form(request, account, part, key, typed, edits.row_version(row))


# -- the timeline's own refusals -------------------------------------------------


def _plan_tasks(
    request: Request, readable: frozenset[str] | None, account: str | None
) -> list[dict[str, object]]:
    return plan_rows(
        request,
        readable,
        "Tasks",
        account,
        columns=("task_id", "duration_days", "predecessors"),
    )


# -- saving --------------------------------------------------------------------


def _save(
    request: Request,
    user: SignedIn,
    readable: frozenset[str] | None,
    account: str | None,
    part: Part,
    key: dict[str, str],
    typed: dict[str, str],
    version: str,
) -> Response:
    store = state(request).store
    principal = user.principal
    _guard(request, user, account)
    if version:
        row = _load(request, user, part, account, key)
        if row is None:
            raise NotFoundError(f"there is no {part.label} {key} in this plan")
    elif part.sheet == "Coverage" and key.get("unit_id"):
        try:
            unit = edits.read_row(store, principal, "Units", key["unit_id"])
        except NotFoundError:
            unit = None  # an unknown unit: the service names it
        if unit is not None and unit.get("account_id") != account:
            raise NotFoundError(f"there is no unit {key['unit_id']!r} in this plan")
    if part.sheet == "Tasks":
        problems = timeline_problems(
            _plan_tasks(request, readable, account), key["task_id"], typed
        )
        if problems:
            return _form(
                request,
                account,
                part,
                key,
                typed,
                version,
                status=400,
                problems=problems,
            )
    service_key = _service_key(part, account, key)
    try:
        if part.sheet == "Responsibilities" and version and not typed.get("code"):
            edits.delete_row(store, principal, part.sheet, service_key, version=version)
        elif version:
            edits.update_row(
                store, principal, part.sheet, service_key, dict(typed), version=version
            )
        else:
            values: dict[str, object] = {**service_key, **typed}
            if "account_id" in SHEETS[part.sheet].column_names:
                values["account_id"] = account
            edits.add_row(store, principal, part.sheet, values)
    except edits.EditError as e:
        return _form(
            request, account, part, key, typed, version, status=400, problems=e.problems
        )
    except ConflictError as e:
        current = dict(e.current)
        return _form(
            request,
            account,
            part,
            key,
            typed,
            str(current.get("version", "")),
            status=409,
            current={f: _text(current.get(f)) for f in part.fields},
        )
    return RedirectResponse(_page_url(part, account), status_code=303)


async def _save_posted(
    request: Request,
    user: SignedIn,
    readable: frozenset[str] | None,
    account: str | None,
    kind: str,
) -> Response:
    part = _part(kind, account)
    data = await form(request)
    key = {k: str(data.get(k, "")).strip() for k in part.key}
    typed = {f: str(data.get(f, "")) for f in part.fields}
    version = str(data.get("version", ""))
    return await run_in_threadpool(
        _save, request, user, readable, account, part, key, typed, version
    )


def _delete(
    request: Request,
    user: SignedIn,
    readable: frozenset[str] | None,
    account: str | None,
    part: Part,
    key: dict[str, str],
    version: str,
) -> Response:
    store = state(request).store
    _guard(request, user, account)
    row = _load(request, user, part, account, key)
    if row is None:
        raise NotFoundError(f"there is no {part.label} {key} in this plan")
    typed = {f: _text(row.get(f)) for f in part.fields}
    problems: list[Problem] = []
    if part.sheet == "Tasks":
        problems = timeline_problems(
            _plan_tasks(request, readable, account), key["task_id"], None
        )
    try:
        if problems:
            raise edits.EditError("the timeline refuses the delete", problems)
        edits.delete_row(
            store,
            user.principal,
            part.sheet,
            _service_key(part, account, key),
            version=version,
        )
    except edits.EditError as e:
        return _form(
            request, account, part, key, typed, version, status=400, problems=e.problems
        )
    except ConflictError as e:
        current = dict(e.current)
        return _form(
            request,
            account,
            part,
            key,
            typed,
            str(current.get("version", "")),
            status=409,
            current={f: _text(current.get(f)) for f in part.fields},
        )
    return RedirectResponse(_page_url(part, account), status_code=303)


async def _delete_posted(
    request: Request,
    user: SignedIn,
    readable: frozenset[str] | None,
    account: str | None,
    kind: str,
) -> Response:
    part = _part(kind, account)
    data = await form(request)
    key = {k: str(data.get(k, "")).strip() for k in part.key}
    version = str(data.get("version", ""))
    return await run_in_threadpool(
        _delete, request, user, readable, account, part, key, version
    )


# -- sections and history --------------------------------------------------------


def _section_page(
    request: Request,
    user: SignedIn,
    readable: frozenset[str] | None,
    account: str | None,
) -> HTMLResponse:
    _guard(request, user, account)
    section = request.query_params.get("section", "").strip()
    if not section:
        raise NotFoundError("name a section")
    rows = plan_rows(
        request,
        readable,
        "Charter",
        account,
        where=lambda t: t.section == section,
        order=("field",),
    )
    base = base_url(account)
    fields = [
        {
            **r,
            "edit": f"{base}/edit/field?"
            + urlencode({"section": section, "field": r["field"]}),
            "history": f"{base}/edit/field/history?"
            + urlencode({"section": section, "field": r["field"]}),
        }
        for r in rows
    ]
    context = {
        "account_id": account,
        "base": base,
        "back": _page_url(PARTS["field"], account),
        "section": section,
        "fields": fields,
        "add": f"{base}/edit/field?{urlencode({'section': section})}",
    }
    return page(request, "planning/edit/section.html", context)


def _history_page(
    request: Request, user: SignedIn, account: str | None
) -> HTMLResponse:
    store = state(request).store
    if account is not None:
        edits.read_row(store, user.principal, "Accounts", account)
    key = {k: request.query_params.get(k, "").strip() for k in ("section", "field")}
    changes = row_history(store, "Charter", {**key, "account_id": account})
    versions = field_versions(changes)
    diff: list[tuple[str, str]] = []
    a = b = None
    if len(versions) >= 2:
        a, b = _version_pair(request, len(versions))
        diff = line_diff(str(versions[a]["value"]), str(versions[b]["value"]))
    context = {
        "account_id": account,
        "base": base_url(account),
        "back": _page_url(PARTS["field"], account),
        "key": key,
        "versions": versions,
        "a": a,
        "b": b,
        "diff": diff,
        "edit": f"{base_url(account)}/edit/field?{urlencode(key)}",
    }
    return page(request, "planning/edit/history.html", context)


def _version_pair(request: Request, n: int) -> tuple[int, int]:
    """Versions ``a`` and ``b`` of the query (default: the last two)."""

    def number(name: str, default: int) -> int:
        try:
            value = int(request.query_params.get(name, default))
        except ValueError:
            return default
        return min(max(value, 0), n - 1)

    return number("a", n - 2), number("b", n - 1)


# -- routes: one set under /accounts/{id}, one under /programme --------------------

_ACCOUNT = "/accounts/{account_id}/edit"
_PROGRAMME = "/programme/edit"


@router.get(_ACCOUNT + "/section", response_class=HTMLResponse)
def account_section(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The fields of one section of the account plan."""
    return _section_page(request, user, readable, account_id)


@router.get(_PROGRAMME + "/section", response_class=HTMLResponse)
def programme_section(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """The fields of one section of the programme charter."""
    return _section_page(request, user, readable, None)


@router.get(_ACCOUNT + "/field/history", response_class=HTMLResponse)
def account_history(request: Request, account_id: str, user: User) -> HTMLResponse:
    """Who changed a plan field when, and the diff between two versions."""
    return _history_page(request, user, account_id)


@router.get(_PROGRAMME + "/field/history", response_class=HTMLResponse)
def programme_history(request: Request, user: User) -> HTMLResponse:
    """Who changed a charter field when, and the diff between two versions."""
    return _history_page(request, user, None)


@router.get(_ACCOUNT + "/{kind}", response_class=HTMLResponse)
def account_row(
    request: Request, account_id: str, kind: str, user: User
) -> HTMLResponse:
    """The form of one row of the account's plan (the add form for a new key)."""
    return _row_form(request, user, account_id, kind)


@router.get(_PROGRAMME + "/{kind}", response_class=HTMLResponse)
def programme_row(request: Request, kind: str, user: User) -> HTMLResponse:
    """The form of one row of the programme's plan."""
    return _row_form(request, user, None, kind)


@router.post(_ACCOUNT + "/{kind}/save", dependencies=_CHANGE)
async def account_save(
    request: Request, account_id: str, kind: str, user: User, readable: Readable
) -> Response:
    """Add (blank ``version``) or change a row of the account's plan."""
    return await _save_posted(request, user, readable, account_id, kind)


@router.post(_PROGRAMME + "/{kind}/save", dependencies=_CHANGE)
async def programme_save(
    request: Request, kind: str, user: User, readable: Readable
) -> Response:
    """Add (blank ``version``) or change a row of the programme's plan."""
    return await _save_posted(request, user, readable, None, kind)


@router.post(_ACCOUNT + "/{kind}/delete", dependencies=_CHANGE)
async def account_delete(
    request: Request, account_id: str, kind: str, user: User, readable: Readable
) -> Response:
    """Delete a row of the account's plan seen at ``version``."""
    return await _delete_posted(request, user, readable, account_id, kind)


@router.post(_PROGRAMME + "/{kind}/delete", dependencies=_CHANGE)
async def programme_delete(
    request: Request, kind: str, user: User, readable: Readable
) -> Response:
    """Delete a row of the programme's plan seen at ``version``."""
    return await _delete_posted(request, user, readable, None, kind)
