"""Logo, gross and net retention per period, trailing twelve months and by group
(analyses.md §5).

Per period (month, quarter or fiscal year) the accounts' values are compared with the
period before (:mod:`kam.analysis.movements`; MRR at each period's closing month,
revenue summed over the period):

- ``CRR = (E − N) / S`` — accounts at the end minus those new or reactivated in the
  period, over accounts at the start (the share of starting accounts still there);
- ``GRR = (start − churn − contraction) / start`` (never above 100 %);
- ``NRR = (start + expansion + reactivation − contraction − churn) / start``.

Check: start 100, churn 10, contraction 10, expansion 10 → GRR 80 %, NRR 90 %.

The trailing-twelve-month figures (MRR only) compare each account's MRR in the last
month with twelve months before. The group tables (``by_class``, ``by_owner``,
``by_plan``) give the same figures for the last period of the range; the class is the
account's ABC class in the period before (its start).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import classified
from kam.analysis.movements import (
    MONEY,
    dec,
    index_label,
    month_number,
    monthly_events,
    monthly_sums,
    movement_events,
    mrr_month_range,
    ones,
    period_values,
    summed_events,
)
from kam.analysis.mrr_bridge import bridge_rows
from kam.analysis.periods import GRAINS, Grain, parse_period
from kam.analysis.preagg import MRR_MOVEMENTS
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.errors import InputError, ParameterError

__all__ = [
    "ANALYSIS",
    "GRAIN",
    "OUTPUT_COLUMNS",
    "RETENTION_METRICS",
    "period_bounds",
    "ratios",
    "retention",
]

RETENTION_METRICS: tuple[str, ...] = ("mrr", "revenue")

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "the period (YYYY-MM, YYYY-Qn or YYYY)"),
    ("start", "value in the period before (exact decimal)"),
    ("new", "value of accounts with their first value in the period"),
    ("expansion", "value gained by accounts present in both periods"),
    ("reactivation", "value of accounts back after an earlier value"),
    ("contraction", "value lost by accounts still present"),
    ("churn", "value of accounts gone to zero"),
    ("end", "value in the period"),
    ("accounts_start", "accounts with a value in the period before (S)"),
    ("accounts_end", "accounts with a value in the period (E)"),
    ("accounts_new", "accounts new or reactivated in the period (N)"),
    ("accounts_churn", "accounts gone to zero"),
    ("crr", "logo retention (E − N) / S"),
    ("grr", "gross revenue retention (start − churn − contraction) / start"),
    (
        "nrr",
        "net revenue retention (start + expansion + reactivation − "
        "contraction − churn) / start",
    ),
)

_FIGURES = ("start", "new", "expansion", "reactivation", "contraction", "churn", "end")

GRAIN = Parameter(
    "grain",
    "choice",
    None,
    "period length: month, quarter or year (default: month for MRR, year for revenue)",
    choices=GRAINS,
)


def ratios(row: Mapping[str, object]) -> dict[str, float | None]:
    """CRR, GRR and NRR of a bridge row (blank when nothing was there at the start)."""
    start = dec(row["start"])
    s = int(str(row["accounts_start"]))
    e = int(str(row["accounts_end"]))
    n = int(str(row["accounts_new"])) + int(str(row.get("accounts_reactivation", 0)))
    churn, contraction = dec(row["churn"]), dec(row["contraction"])
    grow = dec(row["expansion"]) + dec(row["reactivation"])
    return {
        "crr": (e - n) / s if s else None,
        "grr": float((start - churn - contraction) / start) if start else None,
        "nrr": float((start + grow - contraction - churn) / start) if start else None,
    }


def _shown(row: dict[str, object], label: str) -> dict[str, object]:
    out: dict[str, object] = {"period": label}
    out.update({k: row[k] for k in _FIGURES})
    out["accounts_start"] = row["accounts_start"]
    out["accounts_end"] = row["accounts_end"]
    out["accounts_new"] = int(str(row["accounts_new"])) + int(
        str(row["accounts_reactivation"])
    )
    out["accounts_churn"] = row["accounts_churn"]
    out.update(ratios(row))
    return out


def period_bounds(
    periods: list[int],
    grain: Grain,
    period_from: str | None,
    period_to: str | None,
    fiscal_year_start: int,
) -> list[int]:
    """The period indices of ``periods`` inside ``period_from``…``period_to`` (given
    at ``grain``)."""
    labels = {index_label(p, grain): p for p in periods}

    def pick(text: str | None, name: str, default: int) -> int:
        if text is None:
            return default
        p = parse_period(str(text), what=name)
        if p.grain != grain:
            raise ParameterError(name, f"{text!r} is not a {grain} (grain={grain})")
        if p.text not in labels:
            raise InputError(f"{name} {p.text} is outside the data")
        return labels[p.text]

    lo = pick(period_from, "period_from", periods[0])
    hi = pick(period_to, "period_to", periods[-1])
    if lo > hi:
        raise ParameterError("period_to", f"{period_to} is before {period_from}")
    return [p for p in periods if lo <= p <= hi]


def _ttm(tables: Mapping[str, ir.Table]) -> dict[str, object] | None:
    """Trailing twelve months: MRR in the last month against twelve months before."""
    from kam.analysis.movements import account_months

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

    got = (
        per.aggregate(
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
        .to_pyarrow()
        .to_pylist()[0]
    )
    if not got["accounts_start"]:
        return None
    row: dict[str, object] = {k: dec(got[k]) for k in _FIGURES}
    row.update({k: int(got[k] or 0) for k in got if k.startswith("accounts_")})
    row["accounts_reactivation"] = 0
    return _shown(row, f"{index_label(then, 'month')} → {index_label(last, 'month')}")


def _group_rows(
    events: ir.Table, group: ir.Table, column: str, p: int, label: str
) -> list[dict[str, object]]:
    joined = events.left_join(group, events.account_id == group.g_account).drop(
        "g_account"
    )
    joined = joined.mutate(**{column: joined[column].fill_null("(none)")})
    sums = summed_events(joined, [column]).to_pyarrow().to_pylist()
    out: list[dict[str, object]] = []
    for value in sorted({str(r[column]) for r in sums}):
        mine = [r for r in sums if str(r[column]) == value]
        for r in bridge_rows(mine, [p], label="period"):
            out.append({column: value, **_shown(r, label)})
    return out


def retention(
    tables: Mapping[str, ir.Table],
    *,
    metric: str = "mrr",
    grain: Grain | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    fiscal_year_start: int = 1,
) -> AnalysisResult:
    """CRR, GRR and NRR per period of ``grain`` over the range (default: every
    period of the data).

    ``metric``: mrr (``mrr`` table, canonical or derived) or revenue (``revenue``).
    Rows: :data:`OUTPUT_COLUMNS` per period. Tables: ``ttm`` (MRR only), ``by_class``,
    ``by_owner`` (needs ``accounts``) and ``by_plan`` (needs the canonical MRR table)
    for the last period. Summary: the last period's and the TTM figures, headline.
    """
    if metric not in RETENTION_METRICS:
        raise ParameterError("metric", f"{metric!r} is not one of mrr, revenue")
    used: Grain = grain or ("month" if metric == "mrr" else "year")
    values, periods = period_values(
        tables, metric=metric, grain=used, fiscal_year_start=fiscal_year_start
    )
    chosen = period_bounds(periods, used, period_from, period_to, fiscal_year_start)
    monthly = metric == "mrr" and used == "month"
    if monthly:
        events = monthly_events(tables, periods[-1])
    else:
        events = movement_events(values, ["account_id"], periods[-1])
    all_sums = monthly_sums(tables, periods[-1]) if monthly else summed_events(events)
    in_range = all_sums.filter(all_sums.pidx.between(chosen[0], chosen[-1]))
    sums = in_range.to_pyarrow().to_pylist()
    rows = [
        _shown(r, index_label(int(str(r["period"])), used))
        for r in bridge_rows(sums, chosen, label="period")
    ]
    p = chosen[-1]
    label = index_label(p, used)
    last_events = events.filter(events.pidx == p)
    tables_out: dict[str, list[dict[str, object]]] = {}
    warnings: list[str] = []
    if monthly:
        # The value in the period before of every account present then is the start
        # of its event in the period (an arrival, or its churn).
        had = last_events.filter(last_events.start > 0)
        start_values = had.select("account_id", period=had.pidx - 1, value=had.start)
    else:
        before = values.filter(values.pidx == p - 1)
        start_values = before.select("account_id", period=before.pidx, value="value")
    classes = classified(start_values, cuts=(0.80, 0.95))
    tables_out["by_class"] = _group_rows(
        last_events,
        classes.select(g_account="account_id", abc_class="class"),
        "abc_class",
        p,
        label,
    )
    if "accounts" in tables and "owner" in tables["accounts"].columns:
        acc = tables["accounts"]
        tables_out["by_owner"] = _group_rows(
            last_events,
            acc.select(g_account="account_id", owner="owner"),
            "owner",
            p,
            label,
        )
    raw = tables.get("mrr")
    if metric == "mrr" and raw is not None and "plan" in raw.columns:
        if monthly:
            ev = monthly_events(tables, periods[-1], ("account_id", "plan"))
        else:
            pv, _ = period_values(
                tables,
                metric="mrr",
                grain=used,
                fiscal_year_start=fiscal_year_start,
                keys=("account_id", "plan"),
            )
            ev = movement_events(pv, ["account_id", "plan"], periods[-1])
        ev = ev.filter(ev.pidx == p)
        plan_sums = summed_events(ev, ["plan"]).to_pyarrow().to_pylist()
        tables_out["by_plan"] = [
            {"plan": plan, **_shown(r, label)}
            for plan in sorted({str(r["plan"]) for r in plan_sums})
            for r in bridge_rows(
                [x for x in plan_sums if x["plan"] == plan], [p], label="period"
            )
        ]
    elif metric == "mrr":
        warnings.append("retention by plan needs the MRR sheet by plan")
    ttm = _ttm(tables) if metric == "mrr" else None
    tables_out["ttm"] = [ttm] if ttm else []
    last = rows[-1]

    def pct(x: object) -> str:
        return "–" if x is None else f"{float(str(x)) * 100:.1f} %"

    headline = f"{label}: GRR {pct(last['grr'])}, NRR {pct(last['nrr'])}"
    if ttm:
        headline += f"; trailing 12 months GRR {pct(ttm['grr'])}, NRR {pct(ttm['nrr'])}"
    summary: dict[str, object] = {
        "metric": metric,
        "grain": used,
        "period": label,
        "crr": last["crr"],
        "grr": last["grr"],
        "nrr": last["nrr"],
        "ttm_crr": ttm["crr"] if ttm else None,
        "ttm_grr": ttm["grr"] if ttm else None,
        "ttm_nrr": ttm["nrr"] if ttm else None,
        "headline": headline,
    }
    parameters: dict[str, object] = {
        "metric": metric,
        "grain": used,
        "period_from": index_label(chosen[0], used),
        "period_to": label,
        "fiscal_year_start": fiscal_year_start,
    }
    return AnalysisResult(
        "retention", parameters, summary, rows, dict(tables_out), warnings
    )


FISCAL_YEAR = Parameter(
    "fiscal_year_start",
    "int",
    1,
    "first month of the fiscal year (1 = calendar year)",
    minimum=1,
    maximum=12,
    setting="fiscal_year_start",
)
METRIC = Parameter(
    "metric", "choice", "mrr", "mrr or revenue", choices=RETENTION_METRICS
)
FROM = Parameter(
    "period_from", "period", None, "first period (at the grain; default: the first)"
)
TO = Parameter("period_to", "period", None, "last period (default: the last with data)")

ANALYSIS = Analysis(
    name="retention",
    title="Retention (CRR, GRR, NRR)",
    description="Logo, gross and net retention per period, trailing twelve months, "
    "by ABC class, owner and plan.",
    parameters=(METRIC, GRAIN, FROM, TO, FISCAL_YEAR),
    needs=(),
    output_columns=OUTPUT_COLUMNS,
    run=retention,
)
