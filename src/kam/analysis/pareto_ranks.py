"""A Pareto curve of one calendar year read from the stored yearly ranks.

The engine ranks each calendar year's revenue once per data version
(:mod:`kam.analysis.year_ranks`): a Pareto over exactly one calendar year reads
that year's ranks, running sums and total instead of ranking every account again
(:func:`stored_curve`). The accounts at zero come after them, ordered by account_id,
as the ranking puts them: the accounts whose rows in the year sum to zero, and with
``include_zero`` the active accounts without any row in it. Names are looked up
when a row is read (:func:`kam.analysis.lookups.account_names`).

Two queries: the zero accounts (few), then the ranked ones (their ``rank_pct``
counts both), each handed over in rank order; the rows are the two, one after the
other, with the columns of :func:`kam.analysis.pareto.ranked_accounts`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analysis.pareto import in_rank_order
from kam.analysis.year_ranks import stored_year, year_rollup

__all__ = ["stored_curve"]

#: Sums of money keep two decimals on every backend.
_MONEY = "decimal(38, 2)"


def stored_curve(
    values: ir.Table,
    year: str,
    *,
    accounts: ir.Table | None,
    include_zero: bool,
    threshold: float,
) -> Any | None:
    """The rows of :func:`kam.analysis.pareto.ranked_accounts` (without ``name``)
    of the calendar year ``year``, in rank order, from the ranks stored for
    ``values``; None when there are none for that year (the caller ranks)."""
    ranks = stored_year(values, year)
    rollup = year_rollup(values)
    if ranks is None or rollup is None:
        return None
    ranked = ranks.table.filter(ranks.table.period == year)
    in_year = rollup.table.filter(rollup.table.period == year)
    zeros = _zero_rows(ranked, in_year, accounts, include_zero)
    first = zeros.to_pyarrow()
    # In rank order as stored (DuckDB keeps it); sorted where a backend does not.
    data = in_rank_order(_ranked_rows(ranked, threshold, first.num_rows).to_pyarrow())
    if data.num_rows == 0:
        return None
    if first.num_rows == 0:
        return data
    # The ranked rows, then the zeros: one table of the batches of both (the
    # columns have the same types), without copying them.
    return type(data).from_batches([*data.to_batches(), *first.to_batches()])


def _ranked_rows(ranked: ir.Table, threshold: float, zeros: int) -> ir.Table:
    t = ranked
    total = t.total.cast("float64")
    return t.select(
        account_id=t.account,
        rank=t["rank"].cast("int64"),
        value=t.value.cast(_MONEY),
        share=t.value.cast("float64") / total,
        cum_share=t.cum_value.cast("float64") / total,
        rank_pct=t["rank"].cast("float64") / (t.n + zeros).cast("float64"),
        vital_few=(t.cum_value - t.value).cast("float64") / total < threshold,
        total=t.total.cast(_MONEY),
    )


def _zero_rows(
    ranked: ir.Table,
    in_year: ir.Table,
    accounts: ir.Table | None,
    include_zero: bool,
) -> ir.Table:
    """The accounts at zero in the year, ranked after the ``ranked`` ones by id."""
    parts: list[ir.Table] = [in_year.filter(in_year.value == 0).select("account_id")]
    if accounts is not None and include_zero:
        active = accounts.filter(
            accounts.status.isnull() | (accounts.status == "active")
        ).select("account_id")
        parts.append(active.anti_join(in_year, "account_id").select("account_id"))
    zeros = ibis.union(*parts) if len(parts) > 1 else parts[0]
    # The ranked accounts' count and total, one row (a year without them has
    # none, and so no zero rows either: the caller ranks).
    sums = ranked.aggregate(
        before=ranked.n.max(), total=ranked.total.max().cast(_MONEY)
    ).filter(lambda s: s.before.notnull())
    z = zeros.cross_join(sums)
    order = ibis.window(order_by=z.account_id)
    rank = ibis.row_number().over(order) + 1 + z.before
    everyone = z.before + z.account_id.count().over()
    z = z.mutate(rank=rank.cast("int64"), everyone=everyone)
    # Shares as the ranking computes them (0 / total, total / total), not as
    # literals: a backend may read a bare 0.0 as a decimal.
    total = z.total.cast("float64")
    zero = ibis.literal(Decimal("0.00"), _MONEY)
    return z.order_by("rank").select(
        "account_id",
        "rank",
        value=zero,
        share=zero.cast("float64") / total,
        cum_share=total / total,
        rank_pct=z["rank"].cast("float64") / z.everyone.cast("float64"),
        vital_few=ibis.literal(False),
        total=z.total,
    )
