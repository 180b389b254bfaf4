"""MRR movements per account, the building block of the bridge, retention and cohorts.

Every figure starts from one shape: ``keys…, pidx, value`` — one row per account (or
account × plan) and period index with a positive value (a missing row means zero).
:func:`movement_events` classifies, in one pass of window functions (``lag`` and
``lead`` over each account's periods), how each account's value moved into each
period:

- ``new``: 0 → > 0 with no earlier value; ``reactivation``: 0 → > 0 after an earlier
  value (also after a gap of several periods);
- ``expansion`` / ``contraction``: the change while > 0 in both periods (``flat`` when
  unchanged);
- ``churn``: > 0 → 0, emitted for the period after the account's last positive one
  (unless that period is past the data).

Each event carries ``start`` (the value in the period before, 0 unless consecutive)
and ``end`` (the value in the period), so that per account and period
``start + new + expansion + reactivation − contraction − churn = end`` holds exactly
(decimal arithmetic), and so do its sums.

Period indices: months are ``year * 12 + month − 1``; quarters ``year * 4 + q − 1``;
fiscal years their number (named by the calendar year they end in).

Monthly MRR events do not depend on an analysis's parameters, so the engine
materialises them once per data version (:func:`mrr_movements` as
:data:`~kam.analysis.preagg.MRR_MOVEMENTS`, :func:`plan_movements` as
:data:`~kam.analysis.preagg.MRR_PLAN_MOVEMENTS`); :func:`monthly_events` reads them
when they are among the tables and classifies on the fly otherwise (a raw backend).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.periods import Grain, fiscal_year_of_month, month_index, month_label
from kam.analysis.preagg import (
    MRR_BY_MONTH,
    MRR_MOVEMENT_SUMS,
    MRR_MOVEMENTS,
    MRR_PLAN_MOVEMENTS,
    REVENUE_BY_PERIOD,
    distinct_periods,
    metric_values,
    mrr_by_month,
    revenue_by_period,
)
from kam.errors import MissingDataError

__all__ = [
    "KINDS",
    "MONEY",
    "MRR_COHORT_CELLS",
    "account_months",
    "closing_months",
    "cohort_cells",
    "dec",
    "grain_index",
    "index_label",
    "month_bounds",
    "month_number",
    "monthly_events",
    "monthly_sums",
    "movement_events",
    "mrr_month_range",
    "mrr_movements",
    "ones",
    "period_values",
    "plan_movements",
    "summed_events",
]

#: Movement kinds, in the order of the bridge.
KINDS: tuple[str, ...] = (
    "new",
    "expansion",
    "reactivation",
    "contraction",
    "churn",
    "flat",
)
#: Sums of money keep two decimals on every backend.
MONEY = "decimal(38, 2)"
#: Derived table name of the monthly cohort cells (:func:`cohort_cells`).
MRR_COHORT_CELLS = "_mrr_cohort_cells"


def _zero() -> ir.Scalar:
    return ibis.literal(Decimal("0.00"), type=MONEY)


def month_number(month: ir.StringValue) -> ir.IntegerValue:
    """The month index of a ``'YYYY-MM'`` column (``year * 12 + month − 1``)."""
    year = month.left(4).cast("int64")
    number = month.substr(5, 2).cast("int64")
    return year * 12 + number - 1


def account_months(tables: Mapping[str, ir.Table]) -> ir.Table:
    """``account_id, month, value``: MRR per account and month (summed over plans).

    Takes the derived table (:data:`~kam.analysis.preagg.MRR_BY_MONTH`, or an ``mrr``
    table with a ``value`` column, see :func:`kam.analysis.preagg.mrr_by_month`) as
    it is, else sums the canonical ``mrr`` table.
    """
    if MRR_BY_MONTH in tables:
        return tables[MRR_BY_MONTH]
    if "mrr" not in tables:
        raise MissingDataError("this analysis needs the MRR sheet")
    t = tables["mrr"]
    return t if "value" in t.columns else mrr_by_month(t)


def grain_index(mi: ir.IntegerValue, grain: Grain, fiscal_year_start: int) -> ir.Value:
    """The period index at ``grain`` of a month-index column."""
    if grain == "month":
        return mi
    if grain == "quarter":
        return mi // 3
    shifted = (mi - (fiscal_year_start - 1)) // 12
    return shifted + 1 if fiscal_year_start > 1 else shifted


def index_label(index: int, grain: Grain) -> str:
    """The label of a period index: ``'YYYY-MM'``, ``'YYYY-Qn'`` or ``'YYYY'``."""
    if grain == "month":
        return month_label(index)
    if grain == "quarter":
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return f"{index:04d}"


def month_bounds(am: ir.Table) -> tuple[int, int]:
    """First and last month index with a row in ``account_id, month, value``."""
    mi = month_number(am.month)
    got = am.aggregate(lo=mi.min(), hi=mi.max()).to_pyarrow().to_pylist()[0]
    if got["lo"] is None:
        raise MissingDataError("the MRR sheet has no rows")
    return int(got["lo"]), int(got["hi"])


def mrr_month_range(tables: Mapping[str, ir.Table]) -> tuple[int, int]:
    """First and last month index of the MRR data (zero rows included).

    For the engine's derived table the months are known without a query (see
    :func:`kam.analysis.facts.learn_facts`); otherwise one small query.
    """
    am = account_months(tables)
    if MRR_BY_MONTH not in tables and "value" not in tables["mrr"].columns:
        return month_bounds(am)
    months = [
        month_index(p.year, p.number)
        for p in distinct_periods(metric_values(tables, "mrr"), sheet="MRR")
        if p.grain == "month"
    ]
    if not months:
        raise MissingDataError("the MRR sheet has no rows")
    return min(months), max(months)


def closing_months(
    first: int, last: int, grain: Grain, fiscal_year_start: int = 1
) -> dict[int, int]:
    """Period index → the month that closes it inside ``first``…``last`` (its last
    month, or ``last`` for the period the data ends in)."""
    out: dict[int, int] = {}
    for m in range(first, last + 1):
        if grain == "month":
            p = m
        elif grain == "quarter":
            p = m // 3
        else:
            p = fiscal_year_of_month(m, fiscal_year_start)
        out[p] = m  # months ascend: the last one seen closes the period
    return out


def period_values(
    tables: Mapping[str, ir.Table],
    *,
    metric: str,
    grain: Grain,
    fiscal_year_start: int = 1,
    keys: Sequence[str] = ("account_id",),
) -> tuple[ir.Table, list[int]]:
    """``keys…, pidx, value`` (value > 0) and the chronological period indices.

    ``mrr``: the value in the month that closes each period (the MRR at the period's
    end; :func:`closing_months`); ``revenue``: revenue summed over the period. With
    ``keys`` ``("account_id", "plan")`` the canonical MRR table is read per plan.
    """
    if metric == "revenue":
        if "revenue" not in tables and REVENUE_BY_PERIOD not in tables:
            raise MissingDataError("metric revenue needs the Revenue sheet")
        t = tables.get(REVENUE_BY_PERIOD, tables["revenue"])
        if "value" in t.columns:
            t = t.rename(amount="value")
        pv = revenue_by_period(t, grain=grain, fiscal_year_start=fiscal_year_start)
        label = pv.period
        if grain == "month":
            pidx = month_number(label)
        elif grain == "quarter":
            pidx = (
                label.left(4).cast("int64") * 4 + label.substr(6, 1).cast("int64") - 1
            )
        else:
            pidx = label.cast("int64")
        out = pv.select("account_id", pidx=pidx, value=pv.value.cast(MONEY))
        out = out.filter(out.value > 0)
        bounds = out.aggregate(lo=out.pidx.min(), hi=out.pidx.max())
        got = bounds.to_pyarrow().to_pylist()[0]
        if got["lo"] is None:
            raise MissingDataError("the Revenue sheet has no positive values")
        return out, list(range(int(got["lo"]), int(got["hi"]) + 1))
    if list(keys) == ["account_id"]:
        am = account_months(tables)
    else:
        raw = tables["mrr"]
        am = raw.group_by([*keys, "month"]).agg(value=raw.mrr.sum())
    first, last = mrr_month_range(tables)
    closing = closing_months(first, last, grain, fiscal_year_start)
    mi = month_number(am.month)
    t = am.mutate(mi=mi)
    if grain != "month":
        t = t.filter(t.mi.isin(list(closing.values())))
    t = t.filter(t.value > 0)
    out = t.select(
        *keys,
        pidx=grain_index(t.mi, grain, fiscal_year_start),
        value=t.value.cast(MONEY),
    )
    return out, sorted(closing)


def movement_events(
    t: ir.Table, keys: Sequence[str], last: int, *, cohort: bool = False
) -> ir.Table:
    """Movement events of ``keys…, pidx, value`` rows (value > 0, one per key and
    period): ``keys…, pidx, kind, amount, start, end`` (see the module docstring).

    ``last``: the last period of the data (no churn is emitted past it). With
    ``cohort``, a last column ``cohort``: the key's first period with a value
    (computed in the same window pass).
    """
    w = ibis.window(group_by=[t[k] for k in keys], order_by=t.pidx)
    t = t.mutate(
        _pi=t.pidx.lag().over(w),
        _pv=t.value.lag().over(w),
        _ni=t.pidx.lead().over(w),
        # Ordered by period, the first row of the key holds its first period.
        _first=t.pidx.first().over(w),
    )
    extra = {"cohort": t._first} if cohort else {}
    consecutive = t._pi == t.pidx - 1
    kind = ibis.cases(
        (t._pi.isnull(), "new"),
        (t._pi < t.pidx - 1, "reactivation"),
        (t.value > t._pv, "expansion"),
        (t.value < t._pv, "contraction"),
        else_="flat",
    )
    amount = ibis.cases(
        (t._pi.isnull() | (t._pi < t.pidx - 1), t.value),
        (t.value > t._pv, t.value - t._pv),
        (t.value < t._pv, t._pv - t.value),
        else_=_zero(),
    )
    arrivals = t.select(
        *keys,
        pidx=t.pidx,
        kind=kind,
        amount=amount.cast(MONEY),
        start=ibis.cases((consecutive, t._pv), else_=_zero()).cast(MONEY),
        end=t.value.cast(MONEY),
        **extra,
    )
    leaving = t.filter((t._ni.isnull() & (t.pidx < last)) | (t._ni > t.pidx + 1))
    churn = leaving.select(
        *keys,
        pidx=leaving.pidx + 1,
        kind=ibis.literal("churn"),
        amount=leaving.value.cast(MONEY),
        start=leaving.value.cast(MONEY),
        end=_zero(),
        **({"cohort": leaving._first} if cohort else {}),
    )
    return arrivals.union(churn)


def _monthly_values(am: ir.Table, keys: Sequence[str]) -> ir.Table:
    """``keys…, pidx, value`` (value > 0) of per-key × month totals at month grain
    (as :func:`period_values` gives them)."""
    t = am.mutate(mi=month_number(am.month))
    t = t.filter(t.value > 0)
    return t.select(*keys, pidx=t.mi, value=t.value.cast(MONEY))


def mrr_movements(am: ir.Table, last: int) -> ir.Table:
    """Monthly movement events of per-account × month totals (``account_id, month,
    value``; the MRR data's last month index ``last``): ``account_id, pidx, kind,
    amount, start, end, cohort`` — the events of :func:`movement_events` at month
    grain, with ``cohort`` the account's first month with MRR. One row per account
    and month with MRR (``end`` > 0) plus one per churn (``end`` = 0)."""
    values = _monthly_values(am, ["account_id"])
    return movement_events(values, ["account_id"], last, cohort=True)


def plan_movements(mrr: ir.Table, last: int) -> ir.Table:
    """Monthly movement events per account and plan of the canonical ``mrr`` table:
    ``account_id, plan, pidx, kind, amount, start, end``."""
    keys = ["account_id", "plan"]
    am = mrr.group_by([*keys, "month"]).agg(value=mrr.mrr.sum())
    return movement_events(_monthly_values(am, keys), keys, last)


def monthly_events(
    tables: Mapping[str, ir.Table],
    last: int,
    keys: Sequence[str] = ("account_id",),
) -> ir.Table:
    """Monthly MRR movement events (``keys…, pidx, kind, amount, start, end``) up to
    month index ``last`` (the last month of the data in ``tables``).

    Reads the engine's materialised events when present (keys ``account_id``:
    :data:`~kam.analysis.preagg.MRR_MOVEMENTS`; ``account_id, plan``:
    :data:`~kam.analysis.preagg.MRR_PLAN_MOVEMENTS`), else classifies the MRR table.
    Materialised events are kept up to ``last``: restricted to some accounts, the
    data may end before the month the events were built for, and no churn is
    emitted past the data.
    """
    per_plan = list(keys) == ["account_id", "plan"]
    name = MRR_PLAN_MOVEMENTS if per_plan else MRR_MOVEMENTS
    if name in tables:
        ev = tables[name]
        ev = ev.filter(ev.pidx <= last)
        return ev.select(*keys, "pidx", "kind", "amount", "start", "end")
    if per_plan:
        return plan_movements(tables["mrr"], last)
    return movement_events(
        _monthly_values(account_months(tables), ["account_id"]), ["account_id"], last
    )


def monthly_sums(tables: Mapping[str, ir.Table], last: int) -> ir.Table:
    """:func:`summed_events` of :func:`monthly_events` (``pidx, kind, amount, start,
    end, accounts, accounts_start, accounts_end``): the engine's materialised sums
    (:data:`~kam.analysis.preagg.MRR_MOVEMENT_SUMS`, handed out for the whole
    portfolio only) when present, else summed here."""
    if MRR_MOVEMENT_SUMS in tables:
        sums = tables[MRR_MOVEMENT_SUMS]
        return sums.filter(sums.pidx <= last)
    return summed_events(monthly_events(tables, last))


def summed_events(events: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """Events summed per ``by…, pidx, kind``: amount, start, end, accounts (rows),
    accounts_start (start > 0), accounts_end (end > 0)."""
    return events.group_by([*by, "pidx", "kind"]).agg(
        amount=events.amount.sum(),
        start=events.start.sum(),
        end=events.end.sum(),
        accounts=events.count(),
        accounts_start=ones(events.start > 0).sum(),
        accounts_end=ones(events.end > 0).sum(),
    )


def ones(cond: ir.BooleanValue) -> ir.IntegerValue:
    """1 where ``cond`` holds, else 0 (PostgreSQL cannot cast a boolean to bigint)."""
    return ibis.cases((cond, 1), else_=0)


def dec(value: object) -> Decimal:
    """A fetched money value as an exact Decimal with two places (None → 0.00)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def cohort_cells(events: ir.Table) -> ir.Table:
    """``cohort, pidx, accounts, value`` of the monthly events of
    :func:`mrr_movements`: per cohort (first month with MRR) and month, the accounts
    with MRR and their MRR. The engine keeps them per data version for the whole
    portfolio (:data:`MRR_COHORT_CELLS`; no ``account_id``, so never for a
    restricted reader), and the monthly MRR cohorts read those few rows."""
    held = events.filter(events.end > 0)
    return held.group_by(["cohort", "pidx"]).agg(
        accounts=held.count(), value=held.end.sum()
    )
