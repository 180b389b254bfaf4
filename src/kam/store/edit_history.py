"""The history of one row, read back from the edit service's audit rows.

Every edit through :mod:`kam.store.edits` writes one ``kam_audit`` row (action
``edit.add|update|delete``, detail ``{sheet, key, before, after, cascaded}``), so a
row's history is those rows in order, with who made each change (the user's name
or e-mail; blank for an edit without a user) and when. Access is the caller's to
check (the history of a row is as readable as the row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from kam.store.auth_tables import audit, users
from kam.store.db import read_connection, translate_errors
from kam.store.edit_rules import _json_row, _key_of, _key_text, _sheet
from kam.store.repository import Store

__all__ = ["Change", "row_history"]


@dataclass(frozen=True)
class Change:
    """One edit of a row: values before and after (JSON values; None if absent)."""

    at: datetime
    who: str
    action: str
    before: dict[str, object] | None
    after: dict[str, object] | None


def row_history(store: Store, sheet: str, key: Mapping[str, object]) -> list[Change]:
    """The edits of the row of ``sheet`` with ``key``, oldest first."""
    s = _sheet(sheet)
    k = _key_of(s, key)
    wanted = _json_row(k)
    query = (
        sa.select(
            audit.c.at,
            audit.c.action,
            audit.c.detail,
            users.c.name,
            users.c.email,
        )
        .select_from(audit.outerjoin(users, users.c.id == audit.c.user_id))
        .where(
            audit.c.action.in_(("edit.add", "edit.update", "edit.delete")),
            audit.c.target == f"{s.name} {_key_text(s, k)}",
        )
        .order_by(audit.c.id)
    )
    with (
        translate_errors("cannot read the history"),
        read_connection(store.engine) as conn,
    ):
        found = conn.execute(query).all()
    out: list[Change] = []
    for at, action, detail, name, email in found:
        # The target text is not injective (None and "None" print alike): the
        # detail's key decides.
        if not isinstance(detail, Mapping) or detail.get("key") != wanted:
            continue
        out.append(
            Change(
                at,
                str(name or email or ""),
                str(action).removeprefix("edit."),
                detail.get("before"),
                detail.get("after"),
            )
        )
    return out
