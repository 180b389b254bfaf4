"""Reads behind the pages: accounts, an account's revenue and MRR, totals.

Every function takes the engine's tables already restricted to the user's readable
accounts (``Engine.tables(accounts=...)``), so none of them decides access.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ibis

from kam.errors import InputError

__all__ = [
    "ACCOUNT_COLUMNS",
    "accounts",
    "count_accounts",
    "latest_mrr",
    "refuse_control_characters",
]

Tables = Mapping[str, ibis.Table]

#: Columns of the accounts list and API.
ACCOUNT_COLUMNS = ("account_id", "name", "owner", "segment", "industry", "region")


def accounts(
    tables: Tables,
    *,
    q: str | None = None,
    owner: str | None = None,
    segment: str | None = None,
) -> list[dict[str, object]]:
    """Accounts by name; ``q`` matches id or name (case-insensitive)."""
    for name, value in (("q", q), ("owner", owner), ("segment", segment)):
        refuse_control_characters(name, value)
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
    rows: list[dict[str, object]] = (
        t.select(*ACCOUNT_COLUMNS)
        .order_by("name", "account_id")
        .to_pyarrow()
        .to_pylist()
    )
    return rows


def count_accounts(tables: Tables) -> int:
    """How many accounts ``tables`` hold."""
    if "Accounts" not in tables:
        return 0
    return int(tables["Accounts"].count().to_pyarrow().as_py())


def refuse_control_characters(name: str, value: str | None) -> None:
    """InputError when a filter holds a control character (NUL cannot reach SQL)."""
    if value and any(ord(ch) < 32 for ch in value):
        raise InputError(f"{name}={value!r}: control characters are not allowed")


def latest_mrr(tables: Tables) -> tuple[str | None, Decimal]:
    """The last month with MRR and the MRR of that month over ``tables``."""
    if "_mrr_by_month" not in tables:
        return None, Decimal("0.00")
    t = tables["_mrr_by_month"]
    month = t["month"].max().to_pyarrow().as_py()
    if month is None:
        return None, Decimal("0.00")
    total = t.filter(t["month"] == month)["value"].sum().to_pyarrow().as_py()
    return str(month), Decimal(str(total or 0)).quantize(Decimal("0.01"))
