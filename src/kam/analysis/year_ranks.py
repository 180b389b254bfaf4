"""Each calendar year's ranking of the accounts, built once per data version.

An ABC over whole calendar years ranks every account in every year and in the pooled
range at query time: a sort of every account-year (3.6M rows at 1M accounts), most
of the analysis's time. The ranks do not depend on the cut-offs, the boundary rule or
the basis, so the engine ranks once per data version (:func:`year_ranks`, from its
yearly rollup) and registers the table with the facts of the values table it ranks
(:func:`learn_ranks`); :func:`stored_ranks` hands it to a reader whose periods it
holds. The table, :data:`YEAR_RANKS`, has one row per account with a positive value
in each calendar year of the data, and in the pooled default range of an ABC (the
last three complete calendar years, :func:`pooled_years`):

``account, pidx, period, value, prev_value, rank, tie_rank, cum_value, total, n``

The money columns are ``decimal(18, 2)`` when every sum fits
(:func:`kam.analysis.facts.narrow_money`), else ``decimal(38, 2)``. ``period`` is
``'YYYY'`` or, for the pooled rows, the first and last year joined by
``..``; ``pidx`` its position (years in order, pooled last); ``prev_value`` the
account's value in the year before when positive (null on pooled rows); ``rank``,
``tie_rank``, ``cum_value``, ``total`` and ``n`` as
:func:`kam.analysis.abc_rules.ranked` gives them. The rows are stored by ``pidx`` and
``rank``, so that a scan of some periods hands them over in rank order.

The ranks hold for the whole portfolio only: the facts belong to the unrestricted
values table, so a reader restricted to some accounts (whose values table is a
filter of it) ranks its own rows, and the table's account column is ``account``, not
``account_id`` (the engine leaves such tables out for a restricted reader).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.abc_rules import ranked
from kam.analysis.class_moves import with_neighbours
from kam.analysis.facts import Rollup, known_facts, learn_more, narrow_money
from kam.analysis.periods import default_range, parse_period
from kam.errors import InputError

__all__ = [
    "YEAR_RANKS",
    "YearRanks",
    "learn_ranks",
    "pooled_label",
    "pooled_years",
    "stored_ranks",
    "stored_rows",
    "stored_year",
    "stored_years",
    "year_ranks",
    "year_rollup",
]

YEAR_RANKS = "_revenue_year_ranks"
#: How many complete calendar years the pooled rows sum (ABC's default range).
POOLED_YEARS = 3


@dataclasses.dataclass(frozen=True)
class YearRanks:
    """A materialised :data:`YEAR_RANKS` table and what it holds."""

    table: ir.Table
    #: The calendar years ranked, in order.
    years: tuple[str, ...]
    #: The years the pooled rows sum (empty: no pooled rows).
    pooled: tuple[str, ...]


def pooled_label(years: Sequence[str]) -> str:
    """The ``period`` of the pooled rows of ``years``: ``'2023..2025'``."""
    return f"{years[0]}..{years[-1]}" if years else ""


def pooled_years(periods: Sequence[str | None]) -> tuple[str, ...]:
    """The calendar years of an ABC's default range over data of ``periods``: the
    last :data:`POOLED_YEARS` complete calendar years (fewer when the data holds
    fewer; none when it holds no complete year)."""
    parsed = [parse_period(p) for p in periods if p is not None]
    if not parsed:
        return ()
    try:
        rng, _ = default_range(parsed, years=POOLED_YEARS)
    except InputError:
        return ()
    if rng.first % 12 != 0 or rng.last % 12 != 11:
        # No complete year: the range is all the data, in months.
        return ()
    return tuple(f"{y:04d}" for y in range(rng.first // 12, rng.last // 12 + 1))


def year_rollup(values: ir.Table) -> Rollup | None:
    """The yearly rollup (labels ``'YYYY'``) among the facts learnt of ``values``."""
    facts = known_facts(values)
    for rollup in facts.rollups if facts else ():
        if rollup.groups and all(len(k) == 4 and k.isdigit() for k in rollup.groups):
            return rollup
    return None


def year_ranks(values: ir.Table) -> tuple[ir.Table, tuple[str, ...], tuple[str, ...]]:
    """The :data:`YEAR_RANKS` expression of a values table whose facts (with a
    yearly rollup) were learnt, with the years it ranks and those its pooled rows
    sum. Raises ValueError when no yearly rollup of ``values`` is known."""
    facts = known_facts(values)
    rollup = year_rollup(values)
    if facts is None or rollup is None:
        raise ValueError("year_ranks needs the facts and yearly rollup of the values")
    # Every year from the first to the last, so that the year before a year is the
    # period before it (a year without data has no rows).
    held = sorted(int(y) for y in rollup.groups)
    years = tuple(f"{y:04d}" for y in range(held[0], held[-1] + 1)) if held else ()
    pooled = pooled_years(facts.periods)
    # Stored as decimal(18, 2) when every sum fits: the readers' arithmetic on them
    # (shares, cents) runs several times faster than on 38 digits.
    money = narrow_money(values) or dt.Decimal(38, 2)
    rows = with_neighbours(rollup.table, years, money, pooled=pooled)
    r = ranked(rows, by="pidx")
    labels = [*years, pooled_label(pooled)] if pooled else list(years)
    table = r.select(
        account=r.account_id,
        pidx=r.pidx,
        period=r.pidx.cases(*((i, label) for i, label in enumerate(labels))),
        value=r.value.cast(money),
        prev_value=r.prev_value.cast(money),
        rank=r.rank,
        tie_rank=r.tie_rank,
        cum_value=r.cum_value.cast(money),
        total=r.total.cast(money),
        n=r.n,
    )
    return table.order_by("pidx", "rank"), years, pooled


def learn_ranks(
    values: ir.Table,
    table: ir.Table,
    years: Sequence[str],
    pooled: Sequence[str],
) -> None:
    """Register the materialised :data:`YEAR_RANKS` ``table`` with the facts of
    ``values`` (see :func:`stored_ranks`)."""
    learn_more(values, ranks=YearRanks(table, tuple(years), tuple(pooled)))


def stored_years(values: ir.Table, periods: Sequence[str]) -> YearRanks | None:
    """The ranks registered for ``values`` when ``periods`` are calendar years
    (each calendar year of the data is ranked; a year without rows in the data has
    none here either), whichever years the pooled rows sum; else None."""
    ranks = getattr(known_facts(values), "ranks", None)
    calendar = all(len(p) == 4 and p.isdigit() for p in periods)
    return ranks if isinstance(ranks, YearRanks) and calendar else None


def stored_ranks(
    values: ir.Table, periods: Sequence[str], pooled: Sequence[str]
) -> YearRanks | None:
    """:func:`stored_years` when the pooled rows sum exactly the years ``pooled``."""
    ranks = stored_years(values, periods)
    return ranks if ranks is not None and ranks.pooled == tuple(pooled) else None


def stored_year(values: ir.Table, year: str) -> YearRanks | None:
    """:func:`stored_years` when the calendar year ``year`` is one ranked."""
    ranks = stored_years(values, [year])
    return ranks if ranks is not None and year in ranks.years else None


def stored_rows(
    ranks: YearRanks, periods: Sequence[str], *, pooled: bool = True
) -> ir.Table:
    """The stored rows of the years ``periods`` and (``pooled``) the pooled ones,
    with ``pidx`` their position among ``periods`` (pooled: ``len(periods)``),
    ``prev_value`` null in the first of them; in ``pidx`` and rank order when the
    backend keeps the order it stored."""
    t = ranks.table
    labels = [*periods, pooled_label(ranks.pooled)] if pooled else list(periods)
    kept = t.filter(t.period.isin(labels))
    pidx = kept.period.cases(*((label, i) for i, label in enumerate(labels))).cast(
        "int64"
    )
    first = ibis.null(kept.prev_value.type())
    return kept.select(
        account_id=kept.account,
        pidx=pidx,
        value=kept.value,
        prev_value=ibis.cases((kept.period == labels[0], first), else_=kept.prev_value),
        rank=kept.rank,
        tie_rank=kept.tie_rank,
        cum_value=kept.cum_value,
        total=kept.total,
        n=kept.n,
    )
