"""The facts learnt of a materialised values table, once per data version.

Whoever materialises a values table (``account_id, period, value``, see
:mod:`kam.analysis.preagg`) once per data version registers what it knows of it with
:func:`learn_facts`: its periods, those holding a negative value, the sum of its
absolute values, and its rollups (:func:`by_year`: the same values summed per account
and ``'YYYY'``, a year of data one row per account instead of twelve), and forgets
them with :func:`forget_facts` before dropping it. The readers
(:mod:`kam.analysis.preagg`, :mod:`kam.analysis.period_reads`) ask
:func:`known_facts` and read a rollup, or skip a query or a check, where the facts
answer it; :func:`narrow_money` tells from the sum of absolute values whether every
sum fits in ``decimal(18, s)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import ibis.expr.datatypes as dt
import ibis.expr.types as ir

__all__ = [
    "Facts",
    "Rollup",
    "by_year",
    "forget_facts",
    "known_facts",
    "learn_facts",
    "learn_more",
    "narrow_money",
]


@dataclass(frozen=True)
class Rollup:
    """A table of a values table's rows summed per account and coarser label:
    ``groups`` maps each label of ``table`` to the periods of the values table its
    rows sum."""

    table: ir.Table
    groups: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Facts:
    """What is known of a materialised values table without querying it again: its
    distinct periods, those holding a negative value, and its rollups (coarsest
    first)."""

    periods: tuple[str | None, ...]
    negative: frozenset[str]
    rollups: tuple[Rollup, ...] = ()
    #: The sum of the absolute values of every row (None when unknown): no sum of
    #: some of its rows (or of sums of them) is larger in magnitude.
    magnitude: Decimal | None = None
    #: A stored ranking of the values (see :mod:`kam.analysis.year_ranks`).
    ranks: object | None = None


#: How each kind of rollup labels a period of the values table.
_ROLLUP_LABELS = {"year": lambda text: text[:4]}


def by_year(values: ir.Table) -> ir.Table:
    """A values table summed per account and ``'YYYY'`` (the first four characters of
    each period: the year of a month or quarter, a year row's own label), a rollup
    of kind ``year`` for :func:`learn_facts`."""
    t = values.mutate(period=values.period.left(4))
    return t.group_by("account_id", "period").agg(value=t.value.sum())


# Facts of materialised values tables, keyed by their expression's operation (equal
# expressions over the same table and connection have equal operations). Whoever
# materialises a table registers its facts and forgets them before dropping it.
_FACTS: dict[object, Facts] = {}
_FACTS_LIMIT = 64


def learn_facts(
    values: ir.Table, *, rollups: Mapping[str, ir.Table] | None = None
) -> Facts:
    """Query the periods (and which of them hold a negative value) and the sum of the
    absolute values of a values table that will not change, and remember them for
    :func:`kam.analysis.preagg.scoped_values`,
    :func:`kam.analysis.period_reads.period_sums` and :func:`narrow_money`.

    ``rollups``: materialised rollups of ``values`` by kind (``'year'``: the table
    :func:`by_year` builds from ``values``), which
    :func:`kam.analysis.period_reads.period_sums` reads instead of the values table
    where they hold the same sums. Only for tables materialised once per data version
    (the engine's derived tables): a table that changes in place would be answered
    from stale facts.
    """
    stats = (
        values.group_by("period")
        .agg(low=values.value.min(), size=values.value.abs().sum())
        .to_pyarrow()
    )
    periods = stats.column("period").to_pylist()
    sizes = stats.column("size").to_pylist()
    known: list[Rollup] = []
    for kind, table in (rollups or {}).items():
        groups: dict[str, list[str]] = {}
        for text in periods:
            if text is not None:
                groups.setdefault(_ROLLUP_LABELS[kind](text), []).append(text)
        known.append(Rollup(table, {k: tuple(v) for k, v in groups.items()}))
    facts = Facts(
        tuple(periods),
        frozenset(
            str(p)
            for p, low in zip(periods, stats.column("low").to_pylist(), strict=True)
            if p is not None and low is not None and low < 0
        ),
        tuple(known),
        sum((Decimal(str(x)) for x in sizes if x is not None), Decimal(0)),
    )
    if len(_FACTS) >= _FACTS_LIMIT:
        _FACTS.pop(next(iter(_FACTS)))
    _FACTS[values.op()] = facts
    return facts


def narrow_money(values: ir.Table) -> dt.DataType | None:
    """``decimal(18, s)`` (``s`` the scale of the values) when the facts learnt of
    ``values`` (:func:`learn_facts`) show that every sum of its rows fits in it,
    else None.

    A window or sort over decimals of 18 digits runs faster than over 38 (DuckDB
    keeps them in 64 bits) and the cast is exact; sums of them are still exact.
    """
    facts = _FACTS.get(values.op())
    money = values.value.type()
    if facts is None or facts.magnitude is None or not money.is_decimal():
        return None
    scale = money.scale
    if scale is None or scale > 18 or facts.magnitude >= Decimal(10) ** (18 - scale):
        return None
    return dt.Decimal(18, scale)


def learn_more(values: ir.Table, **fields: object) -> None:
    """Add ``fields`` (of :class:`Facts`) to the facts learnt of ``values``
    (nothing when none were)."""
    facts = _FACTS.get(values.op())
    if facts is not None:
        _FACTS[values.op()] = dataclasses.replace(facts, **fields)  # type: ignore[arg-type]


def forget_facts(values: ir.Table) -> None:
    """Drop what :func:`learn_facts` remembered of ``values``."""
    _FACTS.pop(values.op(), None)


def known_facts(values: ir.Table) -> Facts | None:
    """The facts learnt of ``values`` (:func:`learn_facts`), None when none were."""
    return _FACTS.get(values.op())
