"""ABC classes under the default cut-offs, built once per data version.

Retention (by class), slipping, the premium upsell and the at-risk queue each need
every account's ABC class (:func:`kam.analysis.abc_analysis.classified`: window
functions over every account) in a period that, with their default parameters, is
the same on every run of a data version. The engine builds two tables of those
classes with the MRR event tables (:func:`kam.engine.core.derive_events`):

- :data:`MONTH_CLASSES` (``account, previous, current, previous_class,
  now_class, fall, base``): each account's MRR (summed over plans) and its class
  (of the MRR > 0) in the last two months of the data, cut-offs 0.80, 0.95;
- :data:`YEAR_CLASSES` (``account, period, revenue, class``): each account's
  revenue in each calendar year (``'YYYY'``, the engine's yearly rollup, > 0) and
  its class there, cut-offs 0.80, 0.95 (the engine builds it from its yearly rollup
  when the first reader other than a Pareto or ABC of revenue needs it).

The analyses (and the selection table of the scoring matrix) read them when their
parameters ask for exactly those classes
(:func:`month_classes_at`, :func:`year_classes_at`) and classify the values
themselves otherwise. Classes depend on every account of the portfolio, so the
account column is ``account``, not ``account_id``: the engine leaves tables without
``account_id`` out for a reader restricted to some accounts (whose classes are
computed among its own accounts), as it leaves out the portfolio sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import classified
from kam.analysis.abc_rules import classes_of
from kam.analysis.movements import MONEY
from kam.analysis.periods import PeriodRange, month_label

__all__ = [
    "DEFAULT_CUTS",
    "MONTH_CLASSES",
    "YEAR_CLASSES",
    "class_tables",
    "month_classes",
    "month_classes_at",
    "pair_classes",
    "previous_classes",
    "ranked_year_classes",
    "year_classes",
    "year_classes_at",
]

MONTH_CLASSES = "_abc_month_classes"
YEAR_CLASSES = "_abc_year_classes"
#: The cut-offs of the stored classes (the analyses' default).
DEFAULT_CUTS: tuple[float, float] = (0.80, 0.95)


def month_classes(account_months: ir.Table, last: int) -> ir.Table:
    """``account, previous, current, previous_class, now_class, fall, base``
    (:func:`pair_classes`): each account's MRR in
    months ``last − 1`` and ``last`` (0 when none) and its classes there (blank when
    none), for the accounts with MRR in either month, from ``account_months``
    (``account_id, month, value``: the engine's per-account × month totals)."""
    am = account_months
    before, now = month_label(last - 1), month_label(last)
    t = am.filter(am.month.isin([before, now]) & (am.value > 0))
    cls = classified(
        t.select("account_id", period=t.month, value=t.value), cuts=DEFAULT_CUTS
    )
    return pair_classes(cls, before, now).rename(account="account_id")


def pair_classes(cls: ir.Table, before: object, now: object) -> ir.Table:
    """``account_id, previous, current, previous_class, now_class, fall, base``: the
    values (0 when none) and classes (blank when none) of the classified rows
    ``cls`` in periods ``before`` and ``now``, one row per account, with
    ``previous − current`` and ``previous`` as floats."""
    zero = ibis.literal(Decimal("0.00"), type=MONEY)
    was, came = cls.period == before, cls.period == now
    per = cls.group_by("account_id").agg(
        previous=ibis.cases((was, cls.value), else_=zero).sum().cast(MONEY),
        current=ibis.cases((came, cls.value), else_=zero).sum().cast(MONEY),
        previous_class=ibis.cases((was, cls["class"])).max(),
        now_class=ibis.cases((came, cls["class"])).max(),
    )
    # The fall and the value before as floats, which slipping compares (cast once).
    return per.mutate(
        fall=(per.previous - per.current).cast("float64"),
        base=per.previous.cast("float64"),
    )


def year_classes(by_year: ir.Table) -> ir.Table:
    """``account, period, revenue, class``: each account's revenue per calendar year
    of ``by_year`` (``account_id, period, value``: the engine's yearly rollup) and
    its class among the accounts with revenue > 0 that year (the others have no
    row)."""
    t = by_year.filter(by_year.value > 0).select("account_id", "period", "value")
    return _year_rows(classified(t, cuts=DEFAULT_CUTS))


def ranked_year_classes(ranks: ir.Table) -> ir.Table:
    """:func:`year_classes` from the engine's yearly ranks
    (:data:`kam.analysis.year_ranks.YEAR_RANKS`): the same rows, without ranking
    again."""
    years = ranks.filter(ranks.period.length() == 4)
    return _year_rows(
        classes_of(years.mutate(account_id=years.account), cuts=DEFAULT_CUTS)
    )


def _year_rows(cls: ir.Table) -> ir.Table:
    return cls.select(
        account=cls.account_id,
        period=cls.period,
        revenue=cls.value.cast(MONEY),
        **{"class": cls["class"]},
    )


def class_tables(account_months: ir.Table, last: int) -> dict[str, ir.Table]:
    """The class tables that the engine builds with the MRR events, by name (the
    yearly classes, :func:`year_classes`, it builds from its yearly rollup)."""
    return {MONTH_CLASSES: month_classes(account_months, last)}


def _default(cuts: Sequence[float]) -> bool:
    return tuple(float(c) for c in cuts) == DEFAULT_CUTS


def month_classes_at(
    tables: Mapping[str, ir.Table],
    month: int,
    last: int,
    cuts: Sequence[float] = DEFAULT_CUTS,
) -> ir.Table | None:
    """``account_id, previous, current, previous_class, now_class, fall, base`` of
    the MRR in the month before ``month`` and in ``month`` (month indices;
    ``last``: the last month of the data in ``tables``) from :data:`MONTH_CLASSES`,
    or ``None`` when that table does not hold them (absent, other cut-offs, or a
    month before ``last``)."""
    if MONTH_CLASSES not in tables or not _default(cuts) or month != last:
        return None
    t = tables[MONTH_CLASSES]
    return t.rename(account_id="account")


def year_classes_at(
    tables: Mapping[str, ir.Table],
    rng: PeriodRange,
    fiscal_year_start: int,
    cuts: Sequence[float],
    *,
    revenue: bool = False,
) -> ir.Table | None:
    """``account_id, abc_class`` (with ``revenue``: ``account_id, revenue,
    abc_class``) of the revenue over ``rng`` from :data:`YEAR_CLASSES`, or ``None``
    when that table does not hold them (absent, other cut-offs, or a range that is
    not one calendar year). The year's rows are those of the range: every period of
    the data inside a calendar year starts with its ``YYYY``, which the yearly
    rollup sums."""
    if YEAR_CLASSES not in tables or not _default(cuts):
        return None
    whole_year = rng.first % 12 == 0 and rng.last == rng.first + 11
    if fiscal_year_start != 1 or not whole_year:
        return None
    t = tables[YEAR_CLASSES]
    t = t.filter(t.period == f"{rng.first // 12:04d}")
    if revenue:
        return t.select(account_id=t.account, revenue=t.revenue, abc_class=t["class"])
    return t.select(account_id=t.account, abc_class=t["class"])


def previous_classes(stored: ir.Table) -> ir.Table:
    """``account_id, class``: the classes in the month before, of the rows of
    :func:`month_classes_at`."""
    had = stored.filter(stored.previous_class.notnull())
    return had.select("account_id", **{"class": had.previous_class})
