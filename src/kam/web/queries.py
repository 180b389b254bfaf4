"""Reads behind the pages: accounts and totals.

Every function takes the engine and the user's readable accounts and reads the
engine's tables restricted to those (``Engine.tables(accounts=...)``), so none of
them decides access; each query runs through the engine (:meth:`Engine.to_pyarrow`,
:meth:`Engine.scalar`), under its lock.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from kam.engine import Engine
from kam.errors import InputError

__all__ = [
    "ACCOUNT_COLUMNS",
    "accounts",
    "count_accounts",
    "latest_mrr",
    "refuse_control_characters",
]

Scope = Collection[str] | None

#: Columns of the accounts list and API.
ACCOUNT_COLUMNS = ("account_id", "name", "owner", "segment", "industry", "region")


def accounts(
    engine: Engine,
    readable: Scope,
    *,
    q: str | None = None,
    owner: str | None = None,
    segment: str | None = None,
) -> list[dict[str, object]]:
    """Readable accounts by name; ``q`` matches id or name (case-insensitive)."""
    for name, value in (("q", q), ("owner", owner), ("segment", segment)):
        refuse_control_characters(name, value)
    tables = engine.tables(accounts=readable)
    if "Accounts" not in tables:
        return []
    t = tables["Accounts"]
    if q:
        needle = q.strip().lower()
        t = t.filter(
            t["name"].lower().contains(needle)
            | t["account_id"].lower().contains(needle)
        )
    if owner:
        t = t.filter(t["owner"] == owner)
    if segment:
        t = t.filter(t["segment"] == segment)
    query = t.select(*ACCOUNT_COLUMNS).order_by("name", "account_id")
    rows: list[dict[str, object]] = engine.to_pyarrow(query).to_pylist()
    return rows


def count_accounts(engine: Engine, readable: Scope) -> int:
    """How many readable accounts there are."""
    tables = engine.tables(accounts=readable)
    if "Accounts" not in tables:
        return 0
    return int(engine.scalar(tables["Accounts"].count()))


def refuse_control_characters(name: str, value: str | None) -> None:
    """InputError when a filter holds a control character (NUL cannot reach SQL)."""
    if value and any(ord(ch) < 32 for ch in value):
        raise InputError(f"{name}={value!r}: control characters are not allowed")


def latest_mrr(engine: Engine, readable: Scope) -> tuple[str | None, Decimal]:
    """The last month with MRR and the MRR of that month over readable accounts."""
    tables = engine.tables(accounts=readable)
    if "_mrr_by_month" not in tables:
        return None, Decimal("0.00")
    t = tables["_mrr_by_month"]
    month = engine.scalar(t["month"].max())
    if month is None:
        return None, Decimal("0.00")
    total = engine.scalar(t.filter(t["month"] == month)["value"].sum())
    return str(month), Decimal(str(total or 0)).quantize(Decimal("0.01"))
