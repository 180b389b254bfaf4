"""Retention's group and trailing-twelve-month figures, and the tables the engine
keeps of them once per data version (analyses.md §5).

:func:`kam.analysis.retention.retention` gives, for the last period of its range,
the bridge by ABC class, owner and plan (:func:`group_sums`, :func:`plan_sums`) and,
for MRR, the trailing twelve months (:func:`ttm_figures`). With its default
parameters (MRR by month up to the last month of the data) those figures are the
same on every run of a data version, so the engine builds them with the MRR event
tables (:func:`retention_tables`):

- :data:`RETENTION_VIEWS` (``view, key, pidx, kind, amount, start, end, accounts,
  accounts_start, accounts_end``): the last month's events summed per ``view``
  (``abc_class``, ``owner``, ``plan``) and its ``key``;
- :data:`RETENTION_TTM`: the one row of :func:`ttm_figures`.

Neither has an ``account_id``: like the portfolio sums, the engine leaves them out
for a reader restricted to some accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.class_tables import month_classes_at, previous_classes
from kam.analysis.movements import (
    MONEY,
    account_months,
    month_number,
    monthly_events,
    mrr_month_range,
    ones,
    summed_events,
)
from kam.analysis.preagg import MRR_MOVEMENTS
from kam.errors import MissingDataError

__all__ = [
    "RETENTION_TTM",
    "RETENTION_VIEWS",
    "SUM_COLUMNS",
    "class_groups",
    "group_sums",
    "owner_groups",
    "plan_sums",
    "retention_tables",
    "ttm_figures",
]

RETENTION_VIEWS = "_retention_views"
RETENTION_TTM = "_retention_ttm"
#: The columns of :func:`kam.analysis.movements.summed_events` after its keys.
SUM_COLUMNS = (
    "pidx",
    "kind",
    "amount",
    "start",
    "end",
    "accounts",
    "accounts_start",
    "accounts_end",
)


def group_sums(events: ir.Table, group: ir.Table, column: str) -> ir.Table:
    """``events`` summed per ``column`` of ``group`` (``g_account, column``; an
    account without a row there counts under ``'(none)'``)."""
    joined = events.left_join(group, events.account_id == group.g_account).drop(
        "g_account"
    )
    joined = joined.mutate(**{column: joined[column].fill_null("(none)")})
    return summed_events(joined, [column])


def class_groups(classes: ir.Table) -> ir.Table:
    """``g_account, abc_class`` of a classified table (``account_id, class``)."""
    return classes.select(g_account="account_id", abc_class="class")


def owner_groups(tables: Mapping[str, ir.Table]) -> ir.Table | None:
    """``g_account, owner`` of the Accounts sheet, or ``None`` without owners."""
    acc = tables.get("accounts")
    if acc is None or "owner" not in acc.columns:
        return None
    return acc.select(g_account="account_id", owner="owner")


def plan_sums(tables: Mapping[str, ir.Table], last: int, p: int) -> ir.Table:
    """The monthly events per account and plan of month ``p`` summed per plan."""
    ev = monthly_events(tables, last, ("account_id", "plan"))
    return summed_events(ev.filter(ev.pidx == p), ["plan"])


def ttm_figures(tables: Mapping[str, ir.Table]) -> tuple[ir.Table, int, int]:
    """The one-row table of the trailing-twelve-month figures (MRR in the last
    month against twelve months before), that month and the last."""
    last = mrr_month_range(tables)[1]
    then = last - 12
    zero = ibis.literal(Decimal("0.00"), type=MONEY)
    if MRR_MOVEMENTS in tables:
        # Each account's MRR in a month is its event's end there; its first month
        # is its cohort: two months of the events instead of every month's totals.
        mv = tables[MRR_MOVEMENTS]
        mv = mv.filter(mv.pidx.isin([then, last]) & (mv.end > 0))
        per = mv.group_by("account_id").agg(
            s=ibis.cases((mv.pidx == then, mv.end), else_=zero).sum().cast(MONEY),
            e=ibis.cases((mv.pidx == last, mv.end), else_=zero).sum().cast(MONEY),
            first=mv.cohort.min(),
        )
    else:
        am = account_months(tables)
        am = am.filter(am.value > 0).mutate(mi=month_number(am.month))
        per = am.group_by("account_id").agg(
            s=ibis.cases((am.mi == then, am.value), else_=zero).sum().cast(MONEY),
            e=ibis.cases((am.mi == last, am.value), else_=zero).sum().cast(MONEY),
            first=am.mi.min(),
        )
    per = per.filter((per.s > 0) | (per.e > 0))
    gone, both, fresh = (
        (per.s > 0) & (per.e == 0),
        (per.s > 0) & (per.e > 0),
        per.s == 0,
    )

    def money(cond: ir.BooleanValue, value: ir.Value) -> ir.Scalar:
        return ibis.cases((cond, value), else_=zero).sum()

    def count(cond: ir.BooleanValue) -> ir.Scalar:
        return ones(cond).sum()

    figures = per.aggregate(
        start=per.s.sum(),
        end=per.e.sum(),
        churn=money(gone, per.s),
        contraction=money(both & (per.e < per.s), per.s - per.e),
        expansion=money(both & (per.e > per.s), per.e - per.s),
        new=money(fresh & (per.first > then), per.e),
        reactivation=money(fresh & (per.first < then), per.e),
        accounts_start=count(per.s > 0),
        accounts_end=count(per.e > 0),
        accounts_new=count(fresh),
        accounts_churn=count(gone),
    )
    return figures, then, last


def retention_tables(tables: Mapping[str, ir.Table]) -> dict[str, ir.Table]:
    """:data:`RETENTION_VIEWS` and :data:`RETENTION_TTM` of ``tables`` (canonical
    tables by store name and the engine's derived ones, the MRR events and the
    month classes among them), as the default retention computes them; nothing
    without the MRR events."""
    if MRR_MOVEMENTS not in tables:
        return {}
    try:
        last = mrr_month_range(tables)[1]
    except MissingDataError:
        return {}
    events = monthly_events(tables, last)
    events = events.filter(events.pidx == last)
    stored = month_classes_at(tables, last, last)
    if stored is None:
        return {}
    classes = class_groups(previous_classes(stored))
    parts = {"abc_class": group_sums(events, classes, "abc_class")}
    owners = owner_groups(tables)
    if owners is not None:
        parts["owner"] = group_sums(events, owners, "owner")
    raw = tables.get("mrr")
    if raw is not None and "plan" in raw.columns:
        parts["plan"] = plan_sums(tables, last, last)
    views = [
        t.select(
            view=ibis.literal(view),
            key=t[view].cast("string"),
            **{c: t[c] for c in SUM_COLUMNS},
        )
        for view, t in parts.items()
    ]
    return {
        RETENTION_VIEWS: ibis.union(*views) if len(views) > 1 else views[0],
        RETENTION_TTM: ttm_figures(tables)[0],
    }
