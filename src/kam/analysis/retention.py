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

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import classified
from kam.analysis.class_tables import (
    DEFAULT_CUTS,
    month_classes_at,
    previous_classes,
)
from kam.analysis.movements import (
    dec,
    index_label,
    monthly_events,
    monthly_sums,
    movement_events,
    mrr_month_range,
    period_values,
    summed_events,
)
from kam.analysis.mrr_bridge import bridge_rows
from kam.analysis.periods import GRAINS, Grain, parse_period
from kam.analysis.result import AnalysisResult
from kam.analysis.retention_views import (
    RETENTION_TTM,
    RETENTION_VIEWS,
    SUM_COLUMNS,
    class_groups,
    group_sums,
    owner_groups,
    plan_sums,
    ttm_figures,
)
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
    """Trailing twelve months: MRR in the last month against twelve months before
    (the engine's figures when it keeps them)."""
    if RETENTION_TTM in tables:
        figures = tables[RETENTION_TTM]
        last = mrr_month_range(tables)[1]
        then = last - 12
    else:
        figures, then, last = ttm_figures(tables)
    got = figures.to_pyarrow().to_pylist()[0]
    if not got["accounts_start"]:
        return None
    row: dict[str, object] = {k: dec(got[k]) for k in _FIGURES}
    row.update({k: int(got[k] or 0) for k in got if k.startswith("accounts_")})
    row["accounts_reactivation"] = 0
    return _shown(row, f"{index_label(then, 'month')} → {index_label(last, 'month')}")


def _group_rows(
    sums: list[dict[str, object]], column: str, p: int, label: str
) -> list[dict[str, object]]:
    """The bridge row of period ``p`` per value of ``column`` of summed events."""
    by_value: dict[str, list[dict[str, object]]] = {}
    for r in sums:
        by_value.setdefault(str(r[column]), []).append(r)
    out: list[dict[str, object]] = []
    for value in sorted(by_value):
        for r in bridge_rows(by_value[value], [p], label="period"):
            out.append({column: value, **_shown(r, label)})
    return out


def _fetch(t: ir.Table) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = t.to_pyarrow().to_pylist()
    return rows


def _classes(
    tables: Mapping[str, ir.Table],
    values: ir.Table,
    last_events: ir.Table,
    last: int,
    p: int,
    monthly: bool,
) -> ir.Table:
    """``account_id, class``: each account's ABC class in the period before ``p``
    (the start of the period's bridge), default cut-offs."""
    stored = month_classes_at(tables, p, last) if monthly else None
    if stored is not None:
        return previous_classes(stored)
    if monthly:
        # The value in the period before of every account present then is the start
        # of its event in the period (an arrival, or its churn).
        had = last_events.filter(last_events.start > 0)
        start_values = had.select("account_id", period=had.pidx - 1, value=had.start)
    else:
        before = values.filter(values.pidx == p - 1)
        start_values = before.select("account_id", period=before.pidx, value="value")
    return classified(start_values, cuts=DEFAULT_CUTS)


def _stored_views(
    in_range: ir.Table, views: ir.Table
) -> tuple[list[dict[str, object]], dict[str, list[dict[str, object]]]]:
    """The range's sums and the engine's views of the last month, in one query."""
    sums = in_range.select(*SUM_COLUMNS).mutate(
        view=ibis.literal(""), key=ibis.null("string")
    )
    rows = sums.union(views.select(*sums.columns)).to_pyarrow().to_pylist()
    by_view: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_view.setdefault(str(r["view"]), []).append(r)
    return by_view.pop("", []), by_view


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
    p = chosen[-1]
    label = index_label(p, used)
    raw = tables.get("mrr")
    by_plan = metric == "mrr" and raw is not None and "plan" in raw.columns
    owners = owner_groups(tables)
    views: dict[str, list[dict[str, object]]] = {}
    if monthly and p == periods[-1] and RETENTION_VIEWS in tables:
        # The engine's sums of the last month per class, owner and plan.
        sums, views = _stored_views(in_range, tables[RETENTION_VIEWS])
        views = {v: [{**r, v: r["key"]} for r in rs] for v, rs in views.items()}
    else:
        sums = in_range.to_pyarrow().to_pylist()
        last_events = events.filter(events.pidx == p)
        views["abc_class"] = _fetch(
            group_sums(
                last_events,
                class_groups(
                    _classes(tables, values, last_events, periods[-1], p, monthly)
                ),
                "abc_class",
            )
        )
        if owners is not None:
            views["owner"] = _fetch(group_sums(last_events, owners, "owner"))
        if by_plan and monthly:
            views["plan"] = _fetch(plan_sums(tables, periods[-1], p))
        elif by_plan:
            pv, _ = period_values(
                tables,
                metric="mrr",
                grain=used,
                fiscal_year_start=fiscal_year_start,
                keys=("account_id", "plan"),
            )
            ev = movement_events(pv, ["account_id", "plan"], periods[-1])
            views["plan"] = _fetch(summed_events(ev.filter(ev.pidx == p), ["plan"]))
    rows = [
        _shown(r, index_label(int(str(r["period"])), used))
        for r in bridge_rows(sums, chosen, label="period")
    ]
    tables_out: dict[str, list[dict[str, object]]] = {}
    warnings: list[str] = []
    tables_out["by_class"] = _group_rows(
        views.get("abc_class", []), "abc_class", p, label
    )
    if owners is not None:
        tables_out["by_owner"] = _group_rows(views.get("owner", []), "owner", p, label)
    if by_plan:
        tables_out["by_plan"] = _group_rows(views.get("plan", []), "plan", p, label)
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
