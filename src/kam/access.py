"""Who may read and edit which accounts: the one place access is decided.

Roles (design.md §5): ``admin``, ``analyst`` and ``executive`` read every account;
``kam`` and ``viewer`` read the accounts they own (``Accounts.owner`` is the
``Team.member_id`` whose ``Team.email`` equals the user's e-mail, compared
case-insensitively) or whose ``AccountTeam`` rows name them. Editing: ``admin`` and
``analyst`` edit everything; a ``kam`` edits the accounts they own or hold with
``access = edit`` (blank counts as ``edit``, the contract's default); ``executive``
and ``viewer`` edit nothing.

Every list, total, chart and export passes :func:`readable_accounts` to
:meth:`kam.engine.Engine.tables` (``accounts=``), so the rule is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kam.errors import NotFoundError
from kam.store.db import read_connection, translate_errors
from kam.store.tables import data_table

__all__ = [
    "ALL_READERS",
    "Principal",
    "editable_accounts",
    "readable_accounts",
    "require_readable",
]

#: Roles that read the whole portfolio.
ALL_READERS = frozenset({"admin", "analyst", "executive"})
#: Roles that edit the whole portfolio.
ALL_EDITORS = frozenset({"admin", "analyst"})


@dataclass(frozen=True)
class Principal:
    """The signed-in user as access control sees them."""

    user_id: int
    email: str
    role: str


class _HasEngine(Protocol):
    engine: Engine


Source = Connection | Engine | _HasEngine


def _member_ids(conn: Connection, email: str) -> set[str]:
    team = data_table("Team")
    wanted = email.strip().casefold()
    rows = conn.execute(sa.select(team.c.member_id, team.c.email)).all()
    return {m for m, e in rows if e and e.strip().casefold() == wanted}


def _accounts_of(conn: Connection, principal: Principal, *, edit: bool) -> set[str]:
    members = _member_ids(conn, principal.email)
    if not members:
        return set()
    accounts = data_table("Accounts")
    team = data_table("AccountTeam")
    owned = conn.execute(
        sa.select(accounts.c.account_id).where(accounts.c.owner.in_(members))
    ).scalars()
    query = sa.select(team.c.account_id).where(team.c.member_id.in_(members))
    if edit:
        query = query.where(sa.or_(team.c.access == "edit", team.c.access.is_(None)))
    return set(owned) | set(conn.execute(query).scalars())


def _run(source: Source, principal: Principal, *, edit: bool) -> frozenset[str]:
    with translate_errors(f"cannot read the accounts of {principal.email}"):
        if isinstance(source, Connection):
            return frozenset(_accounts_of(source, principal, edit=edit))
        engine = source if isinstance(source, Engine) else source.engine
        with read_connection(engine) as conn:
            return frozenset(_accounts_of(conn, principal, edit=edit))


def readable_accounts(source: Source, principal: Principal) -> frozenset[str] | None:
    """The account ids ``principal`` may read; ``None`` means every account.

    ``source``: a connection, an engine or a :class:`~kam.store.Store`.
    """
    if principal.role in ALL_READERS:
        return None
    if principal.role not in ("kam", "viewer"):
        return frozenset()
    return _run(source, principal, edit=False)


def editable_accounts(source: Source, principal: Principal) -> frozenset[str] | None:
    """The account ids ``principal`` may edit; ``None`` means every account."""
    if principal.role in ALL_EDITORS:
        return None
    if principal.role != "kam":
        return frozenset()
    return _run(source, principal, edit=True)


def require_readable(readable: frozenset[str] | None, account_id: str) -> None:
    """Raise NotFoundError unless ``account_id`` is readable.

    An account the user may not read is reported exactly like one that does not
    exist, so that its id reveals nothing.
    """
    if readable is not None and account_id not in readable:
        raise NotFoundError(f"there is no account {account_id!r}")
