"""Derived tables and the metric values the portfolio analyses read.

Pareto and ABC read one shape, the **values** table: ``account_id`` (string),
``period`` (``'YYYY'``, ``'YYYY-Qn'`` or ``'YYYY-MM'``) and ``value`` (decimal), one or
more rows per account and period. :func:`metric_values` builds it from the canonical
tables; the engine may instead hand over the derived tables below, materialised once
per data version, under the same names (``revenue``, ``mrr``): a table with a
``value`` column is taken as already derived.

Derived tables:

- :func:`revenue_by_period` — ``account_id, period, value``: revenue summed over
  products (and, with a ``grain``, relabelled to fiscal years, quarters or months).
- :func:`by_year` of it (:data:`REVENUE_BY_YEAR`) — ``account_id, period, value``:
  the same summed per account and ``'YYYY'`` (the first four characters of the
  period), a **rollup**: a year of data is one row per account instead of twelve.
- :func:`mrr_by_month` — ``account_id, month, value``: MRR summed over plans.

Whoever materialises a values table once per data version registers what it knows
of it with :func:`learn_facts` (its periods, those holding a negative value, the sum
of its absolute values, and its rollups): those facts, :func:`by_year`,
:func:`forget_facts` and :func:`narrow_money` live in :mod:`kam.analysis.facts`.
:func:`period_sums` reads a rollup row wherever the periods it sums are all among
those asked for and share one label, and the values table only for the rest; without
facts it reads the values table alone (same sums). It, :func:`distinct_periods` and
:func:`relabel` live in :mod:`kam.analysis.period_reads`. Both modules' names are
importable from here too.

This module holds the metrics and the names of the derived tables, the builders of
the derived tables, :func:`metric_values`, and :func:`scoped_values` (the values of a
metric inside the analysed range, negative values rejected).

The engine hands an analysis the canonical tables under their store names and the
derived ones under their own (:data:`REVENUE_BY_PERIOD`, :data:`MRR_BY_MONTH`, and the
movement tables of :mod:`kam.analysis.movements`); an analysis reads a derived table
when it is there and falls back to the canonical one (a raw backend, a test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.facts import (
    Facts,
    Rollup,
    by_year,
    forget_facts,
    known_facts,
    learn_facts,
    narrow_money,
)
from kam.analysis.period_reads import distinct_periods, period_sums, relabel, renamed
from kam.analysis.periods import (
    Grain,
    Period,
    PeriodRange,
    label_for,
    resolve_range,
    select_periods,
)
from kam.errors import InputError, MissingDataError, ParameterError
from kam.model import SHEETS

__all__ = [
    "METRICS",
    "METRIC_SHEETS",
    "METRIC_WORDS",
    "MRR_BY_MONTH",
    "MRR_MOVEMENTS",
    "MRR_MOVEMENT_SUMS",
    "MRR_PLAN_MOVEMENTS",
    "REVENUE_BY_PERIOD",
    "REVENUE_BY_YEAR",
    "Facts",
    "Rollup",
    "by_year",
    "distinct_periods",
    "forget_facts",
    "learn_facts",
    "metric_values",
    "mrr_by_month",
    "narrow_money",
    "negative_rows",
    "period_sums",
    "reject_negative",
    "relabel",
    "renamed",
    "revenue_by_period",
    "scoped_values",
    "zero_like",
]

#: The metrics an analysis can rank accounts by, and the sheet each one reads.
METRIC_SHEETS: dict[str, str] = {
    "revenue": "Revenue",
    "mrr": "MRR",
    "net_revenue": "Profit",
    "profit": "Profit",
}
METRICS: tuple[str, ...] = tuple(METRIC_SHEETS)
#: How a metric is called in headlines.
METRIC_WORDS: dict[str, str] = {
    "revenue": "revenue",
    "mrr": "MRR",
    "net_revenue": "net revenue",
    "profit": "profit",
}

_MONEY = "decimal(18, 2)"

#: Names of the derived tables among an analysis's tables (never a store table name).
REVENUE_BY_PERIOD = "_revenue_by_period"
#: :data:`REVENUE_BY_PERIOD` summed per account and year (:func:`by_year`).
REVENUE_BY_YEAR = "_revenue_by_year"
MRR_BY_MONTH = "_mrr_by_month"
#: Movement events per account × month (:func:`kam.analysis.movements.mrr_movements`).
MRR_MOVEMENTS = "_mrr_movements"
#: The same per account × plan × month.
MRR_PLAN_MOVEMENTS = "_mrr_plan_movements"
#: :data:`MRR_MOVEMENTS` summed per month and kind (whole portfolio only).
MRR_MOVEMENT_SUMS = "_mrr_movement_sums"


def zero_like(column: ir.Column) -> ir.Scalar:
    """A literal zero of ``column``'s type (a decimal zero for money)."""
    dtype = column.type()
    if dtype.is_decimal():
        return ibis.literal(Decimal("0.00"), type=dtype)
    return ibis.literal(0, type=dtype)


def revenue_by_period(
    revenue: ir.Table,
    *,
    grain: Grain | None = None,
    fiscal_year_start: int = 1,
    rows_unique: bool = False,
) -> ir.Table:
    """Revenue per account and period, summed over products.

    Input: the canonical ``revenue`` table (``account_id, period, product, amount``).
    Output columns: ``account_id`` (string), ``period`` (string), ``value``
    (decimal, the sum of ``amount``). ``grain=None`` keeps each row's own period;
    ``'year'``, ``'quarter'`` or ``'month'`` relabel periods to that grain (fiscal years
    named by the calendar year they end in, see :mod:`kam.analysis.periods`), which
    runs one small query for the distinct periods. A grain finer than a row's own is
    a ParameterError.

    ``rows_unique=True`` (no ``grain``): the caller knows ``revenue`` holds at most
    one row per account and period (see :func:`kam.engine.unique.one_row_each`), so
    each sum is one row's amount: the rows themselves, ``value`` cast to the type of
    the sum, without grouping (same rows, same values).
    """
    base = revenue.select("account_id", "period", value=revenue.amount)
    if rows_unique and grain is None:
        return base.mutate(value=base.value.cast(base.value.sum().type()))
    if grain is not None:
        labels = {
            p.text: label_for(p, grain, fiscal_year_start, sheet="Revenue")
            for p in distinct_periods(base)
        }
        base = relabel(base, labels)
    return base.group_by("account_id", "period").agg(value=base.value.sum())


def mrr_by_month(mrr: ir.Table) -> ir.Table:
    """MRR per account and month, summed over plans.

    Input: the canonical ``mrr`` table (``account_id, month, plan, mrr``). Output
    columns: ``account_id`` (string), ``month`` (``'YYYY-MM'``), ``value`` (decimal).
    """
    return mrr.group_by("account_id", "month").agg(value=mrr.mrr.sum())


def _coalesced(column: ir.Column) -> ir.Column:
    return ibis.coalesce(column, ibis.literal(Decimal("0.00"), type=_MONEY))


def metric_values(tables: Mapping[str, ir.Table], metric: str) -> ir.Table:
    """The values table (``account_id, period, value``) of a metric.

    ``revenue``: Revenue ``amount`` summed per account and period; ``mrr``: MRR summed
    per account and month (the month is the period); ``net_revenue``: Profit
    ``net_revenue``; ``profit``: Profit ``net_revenue − cogs − cost_to_serve`` (a blank
    cost counts as zero). ``tables`` are keyed by store table name (``revenue``,
    ``mrr``, ``profit``); a ``revenue`` or ``mrr`` table with a ``value`` column is
    taken as derived by :func:`revenue_by_period` / :func:`mrr_by_month`, and the
    derived tables under their own names (:data:`REVENUE_BY_PERIOD`,
    :data:`MRR_BY_MONTH`) are read in preference to the canonical ones.
    """
    if metric not in METRIC_SHEETS:
        raise ParameterError("metric", f"{metric!r} is not one of {', '.join(METRICS)}")
    sheet = METRIC_SHEETS[metric]
    name = SHEETS[sheet].table
    derived_name = {"revenue": REVENUE_BY_PERIOD, "mrr": MRR_BY_MONTH}.get(metric)
    if derived_name is not None and derived_name in tables:
        tables = {name: tables[derived_name]}
    if name not in tables:
        raise MissingDataError(f"metric {metric} needs the {sheet} sheet")
    t = tables[name]
    cols = set(t.columns)
    if metric == "revenue":
        if "value" in cols:
            return t.select("account_id", "period", "value")
        return t.group_by("account_id", "period").agg(value=t.amount.sum())
    if metric == "mrr":
        derived = t if "value" in cols else mrr_by_month(t)
        return derived.select("account_id", period=derived.month, value=derived.value)
    if metric == "net_revenue":
        return t.group_by("account_id", "period").agg(value=t.net_revenue.sum())
    profit = t.net_revenue - _coalesced(t.cogs) - _coalesced(t.cost_to_serve)
    return (
        t.mutate(value=profit)
        .group_by("account_id", "period")
        .agg(value=lambda s: s.value.sum())
    )


def negative_rows(
    values: ir.Table, *, limit: int = 5
) -> list[tuple[str, str, Decimal]]:
    """Up to ``limit`` (account_id, period, value) rows with a negative value."""
    neg = values.filter(values.value < 0).order_by("account_id", "period").limit(limit)
    data = neg.to_pyarrow()
    return list(
        zip(
            data.column("account_id").to_pylist(),
            data.column("period").to_pylist(),
            data.column("value").to_pylist(),
            strict=True,
        )
    )


def reject_negative(values: ir.Table, *, metric: str, sheet: str) -> None:
    """Raise InputError listing negative values (Pareto and ABC need values ≥ 0)."""
    bad = negative_rows(values)
    if bad:
        listed = "; ".join(f"account {a} in {p}: {v}" for a, p, v in bad)
        raise InputError(
            f"{sheet}: {METRIC_WORDS[metric]} must not be negative for this analysis, "
            f"found {listed}"
        )


@dataclass(frozen=True)
class Scope:
    """The values of a metric inside the analysed range.

    ``values``: the values table filtered to the range; ``periods``: the periods of
    the data inside it (chronological); ``range``: the range; ``warnings``: how the
    range was chosen; ``sheet``: the sheet the metric comes from.
    """

    values: ir.Table
    periods: list[Period]
    range: PeriodRange
    warnings: list[str]
    sheet: str


def scoped_values(
    values: ir.Table,
    *,
    metric: str = "revenue",
    period_from: str | None = None,
    period_to: str | None = None,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
    default_years: int = 1,
) -> Scope:
    """Choose the range, keep the values inside it and reject negative values.

    Runs two small queries (the distinct periods; the negative rows). Raises
    MissingDataError when the table is empty, InputError when the range holds no rows,
    cuts a row's period, or a value is negative.
    """
    if metric not in METRIC_SHEETS:
        raise ParameterError("metric", f"{metric!r} is not one of {', '.join(METRICS)}")
    sheet = METRIC_SHEETS[metric]
    periods = distinct_periods(values, sheet=sheet)
    if not periods:
        raise MissingDataError(f"the {sheet} sheet has no rows")
    rng, warnings = resolve_range(
        periods,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        default_years=default_years,
    )
    chosen = select_periods(
        periods, rng, fiscal_year_start=fiscal_year_start, sheet=sheet
    )
    if not chosen:
        raise InputError(f"the {sheet} sheet has no rows in {rng.text}")
    kept = values.filter(values.period.isin([p.text for p in chosen]))
    known = known_facts(values)
    if known is None or any(p.text in known.negative for p in chosen):
        reject_negative(kept, metric=metric, sheet=sheet)
    return Scope(kept, chosen, rng, warnings, sheet)
