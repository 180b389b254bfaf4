"""Per-account values looked up as a result's rows are read, instead of joined.

Joining names (or another per-account column) to an analysis's main query makes the
backend carry them through every sort and join of that query; the rows handed out
need them only when read. :func:`by_account` fetches the ids and the columns in one
plain query and builds its lookup at the first call, so that a result whose rows are
never read builds none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis.expr.types as ir

__all__ = ["account_names", "by_account"]


def by_account(
    table: ir.Table, columns: Sequence[str]
) -> Callable[[object], tuple[object, ...]]:
    """The values of ``columns`` of an account id in ``table`` (blanks when it has
    no row; the first row when it has several)."""
    fetched = table.select("account_id", *columns).to_pyarrow()
    found: dict[object, tuple[object, ...]] = {}
    blank = (None,) * len(columns)

    def get(account_id: object) -> tuple[object, ...]:
        if not found and fetched.num_rows:
            ids = fetched.column("account_id").to_pylist()
            values = zip(*(fetched.column(c).to_pylist() for c in columns), strict=True)
            # Reversed, so that the first row of an id is the one kept.
            pairs = list(zip(ids, values, strict=True))
            found.update(reversed(pairs))
        return found.get(account_id, blank)

    return get


def account_names(accounts: ir.Table | None) -> Callable[[object], object]:
    """The name of an account id on the Accounts sheet ``accounts`` (``None`` when
    it has none, or without a sheet)."""
    if accounts is None:
        return lambda _: None
    found = by_account(accounts, ["name"])
    return lambda account_id: found(account_id)[0]
