"""Per-account figures of the account page, prepared once per data version.

The account page shows one account's revenue by year and MRR by month and plan.
Asking the engine for them on each request compiles and runs two queries over the
whole ledger; instead, the ledger is summed by account once per data version into
Arrow tables sorted by account with the row range of each account
(:class:`ByAccount`), and a request slices those. The caller decides access
first (:func:`kam.access.require_readable`): these tables are only ever read for an
account the user may read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from threading import Lock

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from kam.engine import Engine
from kam.errors import NotFoundError

__all__ = [
    "AccountFacts",
    "ByAccount",
    "account_facts",
    "by_account",
    "profile",
    "rows_of",
]


@dataclass(frozen=True)
class ByAccount:
    """An Arrow table sorted by ``account_id``, with each account's row range, so
    that one account's rows are a slice, not a scan of the whole table."""

    table: pa.Table
    ranges: dict[str, tuple[int, int]] = field(repr=False)

    @classmethod
    def of(cls, table: pa.Table, *, order: tuple[str, ...] = ()) -> ByAccount:
        """``table`` sorted by account (then ``order``), indexed."""
        keys = [("account_id", "ascending"), *((c, "ascending") for c in order)]
        table = table.sort_by(keys)
        ids = table["account_id"].to_pylist()
        ranges: dict[str, tuple[int, int]] = {}
        start = 0
        for i in range(1, len(ids) + 1):
            if i == len(ids) or ids[i] != ids[start]:
                ranges[str(ids[start])] = (start, i - start)
                start = i
        return cls(table, ranges)

    def rows(self, account_id: str) -> list[dict[str, object]]:
        """The account's rows, without the account_id column."""
        found = self.ranges.get(account_id)
        if found is None:
            return []
        part = self.table.slice(*found).drop_columns(["account_id"])
        rows: list[dict[str, object]] = part.to_pylist()
        return rows


@dataclass(frozen=True)
class AccountFacts:
    """The Accounts table; revenue by account and year; MRR by account, month and
    plan; each indexed by account."""

    accounts: ByAccount | None
    revenue: ByAccount | None
    mrr: ByAccount | None


_lock = Lock()
_built: dict[int, tuple[int, AccountFacts]] = {}


def _build(engine: Engine, tables: Mapping[str, ibis.Table]) -> AccountFacts:
    revenue = mrr = accounts = None
    if "Accounts" in tables:
        accounts = engine.to_pyarrow(tables["Accounts"])
    if "Revenue" in tables:
        t = tables["Revenue"]
        revenue = engine.to_pyarrow(
            t.mutate(year=t["period"].substr(0, 4))
            .group_by("account_id", "year")
            .agg(amount=lambda x: x["amount"].sum())
            .order_by("account_id", "year")
        )
    if "MRR" in tables:
        t = tables["MRR"]
        mrr = engine.to_pyarrow(
            t.group_by("account_id", "month", "plan")
            .agg(mrr=lambda x: x["mrr"].sum())
            .order_by("account_id", "month", "plan")
        )
    return AccountFacts(
        None if accounts is None else ByAccount.of(accounts),
        None if revenue is None else ByAccount.of(revenue, order=("year",)),
        None if mrr is None else ByAccount.of(mrr, order=("month", "plan")),
    )


def account_facts(engine: Engine) -> AccountFacts:
    """The facts of ``engine``'s current data version (built on first use)."""
    version = engine.data_version
    with _lock:
        found = _built.get(id(engine))
        if found is not None and found[0] == version:
            return found[1]
        facts = _build(engine, engine.tables())
        _built[id(engine)] = (version, facts)
        return facts


_BY_OWNER_SIZE = 32
_by_owner: OrderedDict[tuple[int, str], tuple[object, ByAccount]] = OrderedDict()


def by_account(
    owner: object,
    name: str,
    build: Callable[[], pa.Table],
    *,
    order: tuple[str, ...] = (),
) -> ByAccount:
    """``ByAccount.of(build(), order=order)``, remembered for this very ``owner``
    object (an analysis result: the engine hands out the same one until the data
    changes)."""
    key = (id(owner), name)
    with _lock:
        found = _by_owner.get(key)
        if found is not None and found[0] is owner:
            _by_owner.move_to_end(key)
            return found[1]
    indexed = ByAccount.of(build(), order=order)
    with _lock:
        _by_owner[key] = (owner, indexed)
        while len(_by_owner) > _BY_OWNER_SIZE:
            _by_owner.popitem(last=False)
    return indexed


def rows_of(
    table: ByAccount | pa.Table | None, account_id: str
) -> list[dict[str, object]]:
    """The rows of ``table`` for one account, without the account_id column."""
    if table is None:
        return []
    if isinstance(table, ByAccount):
        return table.rows(account_id)
    part = table.filter(pc.equal(table["account_id"], account_id))
    rows: list[dict[str, object]] = part.drop_columns(["account_id"]).to_pylist()
    return rows


def profile(facts: AccountFacts, account_id: str) -> dict[str, object]:
    """One account's row of the Accounts sheet; NotFoundError if there is none."""
    if facts.accounts is not None:
        found = facts.accounts.ranges.get(account_id)
        if found is not None:
            row: dict[str, object] = facts.accounts.table.slice(*found).to_pylist()[0]
            return row
    raise NotFoundError(f"there is no account {account_id!r}")
