"""Fetching an ABC's classified rows: ranked at query time or read from the
stored yearly ranks.

:func:`fetch_computed` ranks the values of each grain period and the pooled range
(window functions partitioned by the period's position,
:func:`kam.analysis.abc_rules.ranked`); :func:`fetch_stored` reads the ranks the
engine stores once per data version (:mod:`kam.analysis.year_ranks`). Both classify
the ranked rows (:func:`kam.analysis.abc_rules.classes_of`) with the moves since the
period before (:mod:`kam.analysis.migration`) and fetch them once, as Arrow, in
period and rank order (:func:`in_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.abc_rules import classes_of, ranked
from kam.analysis.class_moves import moves_of, with_moves, with_neighbours
from kam.analysis.migration import MOVE_COLUMNS
from kam.analysis.year_ranks import YearRanks, stored_rows

__all__ = ["FETCHED", "fetch_computed", "fetch_stored", "in_order"]

#: Sums of money keep two decimals on every backend.
_MONEY = "decimal(38, 2)"

#: The columns of the classified table that the rows show or explain (the running
#: sums stay in the backend; ``period`` is written from ``pidx``, the position of
#: the row's period, pooled last; ``class`` is fetched as a code; ``previous_class``
#: is written from ``came``, and ``name`` looked up, when a row is read).
FETCHED: tuple[str, ...] = (
    "rank",
    "account_id",
    "value",
    "share",
    "cum_share",
    "cum_share_before",
    "class",
    "pidx",
    "tie_rank",
    "measure_before",
    "measure",
)


def fetch_computed(
    by_period: ir.Table,
    periods: Sequence[str],
    *,
    cuts: tuple[float, float],
    boundary: str,
    basis: str,
    money: dt.DataType | None = None,
) -> Any:
    """The classified rows of every grain period and pooled, with what migration
    counts, ordered by period and rank: one query, fetched as Arrow.

    ``by_period``: ``account_id, period, value`` with ``period`` one of ``periods``;
    ``money``: a narrower type for the values while they are ranked (see
    :func:`kam.analysis.facts.narrow_money`); it also tells that every value is
    a whole number of cents that fits 64 bits, so that the moves are counted from
    the fetched rows (:func:`kam.analysis.class_moves.moves_of`) instead of a join.
    """
    rows = ranked(with_neighbours(by_period, periods, money), by="pidx")
    return _classes_fetched(
        rows,
        periods,
        cuts=cuts,
        boundary=boundary,
        basis=basis,
        cents=money is not None,
    )


def fetch_stored(
    ranks: YearRanks,
    periods: Sequence[str],
    *,
    cuts: tuple[float, float],
    boundary: str,
    basis: str,
    cents: bool,
    pooled: ir.Table | None = None,
) -> Any:
    """:func:`fetch_computed` from the ranks stored once per data version
    (:mod:`kam.analysis.year_ranks`): no window, so that the rows come over in the
    order stored.

    ``pooled``: ``account_id, value``, the values summed over the range, when the
    stored pooled rows are not of these years: they alone are ranked (one window
    over one row per account) and their rows come after the years' (``cents``
    must hold then: the moves are counted from the fetched rows)."""
    if pooled is None:
        return _classes_fetched(
            stored_rows(ranks, periods),
            periods,
            cuts=cuts,
            boundary=boundary,
            basis=basis,
            cents=cents,
        )
    if not cents:
        raise ValueError("ranking the pooled rows apart needs values in cents")
    years = _fetched(
        stored_rows(ranks, periods, pooled=False),
        cuts=cuts,
        boundary=boundary,
        basis=basis,
    )
    money = ranks.table.value.type()
    p = pooled.filter(pooled.value > 0)
    rows = p.select(
        "account_id",
        pidx=ibis.literal(len(periods), "int64"),
        value=p.value.cast(money),
        prev_value=ibis.null(money),
    )
    sums = _fetched(ranked(rows, by="pidx"), cuts=cuts, boundary=boundary, basis=basis)
    # The years' rows, then the pooled ones: one table of the batches of both
    # (the same columns and types), without copying them.
    data = type(years).from_batches(
        [*years.to_batches(), *sums.to_batches()], schema=years.schema
    )
    return moves_of(data, len(periods))


def _classes_fetched(
    rows: ir.Table,
    periods: Sequence[str],
    *,
    cuts: tuple[float, float],
    boundary: str,
    basis: str,
    cents: bool,
) -> Any:
    """The ranked ``rows`` (``account_id, pidx, value, prev_value`` and the columns
    of :func:`kam.analysis.abc_rules.ranked`) classified (``class`` as codes), with
    the moves (:data:`kam.analysis.migration.MOVE_COLUMNS`), fetched in period and
    rank order. ``cents``: every value is a whole number of cents in 64 bits; then the
    moves are counted from the fetched rows, which carry ``value_cents`` and
    ``prev_cents`` instead of ``prev_value`` (see
    :func:`kam.analysis.class_moves.moves_of`)."""
    if cents:
        data = _fetched(rows, cuts=cuts, boundary=boundary, basis=basis)
        return moves_of(data, len(periods))
    classed, fetched = _classed(rows, cuts=cuts, boundary=boundary, basis=basis)
    moved = with_moves(classed.select(*fetched, "prev_value"), _MONEY)
    columns = {c: moved[c] for c in (*fetched, *MOVE_COLUMNS)}
    return in_order(moved.select(**columns).to_pyarrow())


def _classed(
    rows: ir.Table, *, cuts: tuple[float, float], boundary: str, basis: str
) -> tuple[ir.Table, list[str]]:
    """The ranked ``rows`` classified, with the names of the columns to fetch."""
    classed = classes_of(rows, cuts=cuts, boundary=boundary, basis=basis, coded=True)
    fetched = [c for c in FETCHED if basis == "count" or not c.startswith("measure")]
    # Positions and ranks in narrow integers: less to hand over and to check.
    narrow = {
        "pidx": classed.pidx.cast("int16"),
        "rank": classed["rank"].cast("int32"),
        "tie_rank": classed.tie_rank.cast("int32"),
    }
    return classed.mutate(**narrow), fetched


def _fetched(
    rows: ir.Table, *, cuts: tuple[float, float], boundary: str, basis: str
) -> Any:
    """The ranked ``rows`` classified and fetched in period and rank order, with the
    values as cents (``value_cents``, ``prev_cents``: −1 without a value before)."""
    classed, fetched = _classed(rows, cuts=cuts, boundary=boundary, basis=basis)
    # The values keep their narrow type (every sum of them fits it, so do the
    # group sums of the summary) and the value before comes as cents only: fewer
    # and narrower columns to hand over.
    value, prev = classed.value, classed.prev_value
    data = classed.select(
        *fetched,
        value_cents=(value * 100).cast("int64"),
        prev_cents=ibis.coalesce((prev * 100).cast("int64"), -1),
    ).to_pyarrow()
    return in_order(data)


def in_order(data: Any) -> Any:
    """The fetched rows sorted by period position and rank.

    No ORDER BY in the query: the backend would sort every fetched column once
    more. The ranks of a period are 1 … n, so one integer key per row (``pidx ·
    (N + 1) + rank``) orders them; its stable sort is quick on the long sorted runs
    the backend hands over, and the columns are taken once in that order. Rows that
    come over in order already (a scan of stored ranks) are checked in one pass and
    kept as they are.
    """
    n = data.num_rows
    if n < 2:
        return data
    pidx = data.column("pidx").to_numpy()
    rank = data.column("rank").to_numpy()
    # In order: the position never falls, and the rank rises within a position.
    later = pidx[1:] > pidx[:-1]
    if bool((later | ((pidx[1:] == pidx[:-1]) & (rank[1:] > rank[:-1]))).all()):
        return data
    key = pidx.astype("int64") * (n + 1) + rank
    return data.take(key.argsort(kind="stable"))
