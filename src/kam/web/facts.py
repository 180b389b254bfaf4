"""Per-account figures of the account page, prepared once per data version.

The account page shows one account's revenue by year and MRR by month and plan.
Asking the engine for them on each request compiles and runs two queries over the
whole ledger; instead, the ledger is summed by account once per data version into
Arrow tables, and a request filters those in memory. The caller decides access
first (:func:`kam.access.require_readable`): these tables are only ever read for an
account the user may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from threading import Lock

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from kam.engine import Engine
from kam.errors import NotFoundError

__all__ = ["AccountFacts", "account_facts", "profile", "rows_of"]


@dataclass(frozen=True)
class AccountFacts:
    """The Accounts table; revenue by account and year; MRR by account, month and
    plan."""

    accounts: pa.Table | None
    revenue: pa.Table | None
    mrr: pa.Table | None


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
    return AccountFacts(accounts, revenue, mrr)


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


def rows_of(table: pa.Table | None, account_id: str) -> list[dict[str, object]]:
    """The rows of ``table`` for one account, without the account_id column."""
    if table is None:
        return []
    part = table.filter(pc.equal(table["account_id"], account_id))
    rows: list[dict[str, object]] = part.drop_columns(["account_id"]).to_pylist()
    return rows


def profile(facts: AccountFacts, account_id: str) -> dict[str, object]:
    """One account's row of the Accounts sheet; NotFoundError if there is none."""
    if facts.accounts is not None:
        part = facts.accounts.filter(pc.equal(facts.accounts["account_id"], account_id))
        if part.num_rows:
            row: dict[str, object] = part.to_pylist()[0]
            return row
    raise NotFoundError(f"there is no account {account_id!r}")
