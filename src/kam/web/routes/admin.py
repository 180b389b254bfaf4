"""Admin pages: users (add, set role, disable), account ownership and teams.

Admins only. Every change is a POST with the session's CSRF token and is written to
the audit log (``kam_audit``). Ownership and team changes go through
:meth:`kam.store.Store.import_portfolio`, like any other data change: validated,
in one transaction, a snapshot first, the data version bumped (so every cached
analysis is recomputed with the new access).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.errors import InputError, NotFoundError, PermissionDenied
from kam.model import Portfolio, Table, store_columns
from kam.model import sheet as sheet_of
from kam.store.auth_tables import ROLES
from kam.store.db import write_connection
from kam.store.repository import Store
from kam.users import create_user, disable_user, list_users, new_password, record
from kam.users import set_role as store_set_role
from kam.web.deps import User, check_csrf, form, state
from kam.web.sessions import SignedIn
from kam.web.templating import page

__all__ = ["router"]


def require_admin(user: User) -> SignedIn:
    """The signed-in user, who must be an admin."""
    if user.role != "admin":
        raise PermissionDenied("only an admin may manage users and account teams")
    return user


router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])
_CHANGE = [Depends(check_csrf)]


def _audit(st: Any, user: SignedIn, action: str, target: str, **detail: str) -> None:
    with write_connection(st.store.engine) as conn:
        record(conn, action, user_id=user.user_id, target=target, detail=dict(detail))


async def _fields(request: Request, *names: str) -> dict[str, str]:
    data = await form(request)
    return {n: str(data.get(n, "")).strip() for n in names}


@router.get("/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, user: User) -> HTMLResponse:
    """Every user with their role and state; forms to add, change and disable."""
    st = state(request)
    context = {"users": list_users(st.store.engine), "roles": ROLES, "created": None}
    return page(request, "admin/users.html", context)


@router.post(
    "/users", response_class=HTMLResponse, dependencies=_CHANGE, include_in_schema=False
)
async def add_user(request: Request, user: User) -> HTMLResponse:
    """Create a user with a random password, shown once on the page."""
    st = state(request)
    f = await _fields(request, "email", "role", "name")
    password = new_password()
    made = await run_in_threadpool(
        lambda: create_user(
            st.store.engine,
            f["email"],
            f["role"],
            password=password,
            name=f["name"] or None,
            by=user.user_id,
        )
    )
    context = {
        "users": list_users(st.store.engine),
        "roles": ROLES,
        "created": (made.email, password),
    }
    return page(request, "admin/users.html", context)


@router.post("/users/role", dependencies=_CHANGE, include_in_schema=False)
async def change_role(request: Request, user: User) -> Response:
    """Give a user another role."""
    st = state(request)
    f = await _fields(request, "email", "role")
    changed = store_set_role(st.store.engine, f["email"], f["role"])
    _audit(st, user, "admin.set_role", changed.email, role=changed.role)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/disable", dependencies=_CHANGE, include_in_schema=False)
async def disable(request: Request, user: User) -> Response:
    """Disable a user: their sessions end at once."""
    st = state(request)
    f = await _fields(request, "email")
    if f["email"].casefold() == user.email.casefold():
        raise InputError("you cannot disable yourself; ask another admin")
    done = disable_user(st.store.engine, f["email"])
    _audit(st, user, "admin.disable", done.email)
    return RedirectResponse("/admin/users", status_code=303)


def _rows(store: Store, name: str) -> list[dict[str, object]]:
    portfolio = store.load_portfolio(sheets=[name])
    return list(portfolio.rows(name)) if name in portfolio else []


def _write(store: Store, name: str, rows: list[dict[str, object]], **kw: Any) -> None:
    table = Table.from_rows(store_columns(sheet_of(name)), rows)
    store.import_portfolio(Portfolio(tables={name: table}), **kw)


@router.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts_page(request: Request, user: User) -> HTMLResponse:
    """Owners and account teams, with forms to change them."""
    store = state(request).store
    team = _rows(store, "Team")
    members = {str(m["member_id"]): m for m in team}
    on_team: dict[str, list[dict[str, object]]] = {}
    for r in _rows(store, "AccountTeam"):
        on_team.setdefault(str(r["account_id"]), []).append(r)
    accounts = sorted(_rows(store, "Accounts"), key=lambda r: str(r["account_id"]))
    context = {
        "accounts": accounts,
        "members": members,
        "on_team": on_team,
    }
    return page(request, "admin/accounts.html", context)


def _account(store: Store, account_id: str) -> dict[str, object]:
    for r in _rows(store, "Accounts"):
        if r["account_id"] == account_id:
            return r
    raise NotFoundError(f"there is no account {account_id!r}")


def _member(store: Store, member_id: str) -> None:
    if not any(r["member_id"] == member_id for r in _rows(store, "Team")):
        raise InputError(f"{member_id!r} is not a member_id of the Team sheet")


@router.post("/accounts/owner", dependencies=_CHANGE, include_in_schema=False)
async def set_owner(request: Request, user: User) -> Response:
    """Make a Team member the owner of an account (blank: no owner)."""
    st = state(request)
    f = await _fields(request, "account_id", "owner")

    def change() -> None:
        row = _account(st.store, f["account_id"])
        if f["owner"]:
            _member(st.store, f["owner"])
        _write(st.store, "Accounts", [{**row, "owner": f["owner"] or None}])

    await run_in_threadpool(change)
    _audit(st, user, "admin.set_owner", f["account_id"], owner=f["owner"])
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/accounts/team", dependencies=_CHANGE, include_in_schema=False)
async def add_to_team(request: Request, user: User) -> Response:
    """Put a Team member on an account's team with read or edit access."""
    st = state(request)
    f = await _fields(request, "account_id", "member_id", "access", "role")
    if f["access"] not in ("edit", "read"):
        raise InputError(f"access {f['access']!r} is not one of edit, read")

    def change() -> None:
        _account(st.store, f["account_id"])
        _member(st.store, f["member_id"])
        row: dict[str, object] = {
            "account_id": f["account_id"],
            "member_id": f["member_id"],
            "role": f["role"] or None,
            "access": f["access"],
        }
        _write(st.store, "AccountTeam", [row])

    await run_in_threadpool(change)
    _audit(st, user, "admin.team_add", f["account_id"], **f)
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/accounts/team/remove", dependencies=_CHANGE, include_in_schema=False)
async def remove_from_team(request: Request, user: User) -> Response:
    """Take a member off an account's team."""
    st = state(request)
    f = await _fields(request, "account_id", "member_id")

    def change() -> None:
        rows = _rows(st.store, "AccountTeam")
        keep = [
            r
            for r in rows
            if (r["account_id"], r["member_id"]) != (f["account_id"], f["member_id"])
        ]
        if len(keep) == len(rows):
            raise NotFoundError(
                f"{f['member_id']} is not on the team of account {f['account_id']}"
            )
        _write(st.store, "AccountTeam", keep, replace=True)

    await run_in_threadpool(change)
    _audit(st, user, "admin.team_remove", f["account_id"], member_id=f["member_id"])
    return RedirectResponse("/admin/accounts", status_code=303)
