"""The MRR bridge: how MRR moved from each month to the next (analyses.md §4).

Per month: ``start + new + expansion + reactivation − contraction − churn = end``,
with the number of accounts behind each movement, classified on each account's total
MRR (a plan dropped while another continues is a contraction, not a churn). The
classification is :func:`kam.analysis.movements.movement_events` (one pass of window
functions over the per-account × month totals); the backend sums the events per month
and kind, and the few resulting rows are assembled here in exact decimals, so the
identity holds to the cent. Quick ratio = (new + expansion + reactivation) /
(contraction + churn), blank when nothing was lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis.expr.types as ir

from kam.analysis.movements import (
    dec,
    index_label,
    monthly_events,
    monthly_sums,
    mrr_month_range,
    summed_events,
)
from kam.analysis.mrr import short_money
from kam.analysis.periods import month_index, parse_period
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.errors import ParameterError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "bridge_rows", "mrr_bridge"]

_MOVES = ("new", "expansion", "reactivation", "contraction", "churn")

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("month", "the month (YYYY-MM)"),
    ("start", "MRR at the end of the month before (exact decimal)"),
    ("new", "MRR of accounts with their first MRR this month"),
    ("expansion", "MRR gained by accounts with MRR in both months"),
    ("reactivation", "MRR of accounts back from zero after earlier MRR"),
    ("contraction", "MRR lost by accounts still with MRR"),
    ("churn", "MRR of accounts that went to zero"),
    (
        "end",
        "MRR of the month: start + new + expansion + reactivation − "
        "contraction − churn",
    ),
    ("net_change", "end − start"),
    ("accounts_start", "accounts with MRR the month before"),
    ("accounts_new", "accounts behind new"),
    ("accounts_expansion", "accounts behind expansion"),
    ("accounts_reactivation", "accounts behind reactivation"),
    ("accounts_contraction", "accounts behind contraction"),
    ("accounts_churn", "accounts behind churn"),
    ("accounts_end", "accounts with MRR this month"),
    (
        "quick_ratio",
        "(new + expansion + reactivation) / (contraction + churn); "
        "blank when nothing was lost",
    ),
)


def _month(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    p = parse_period(str(text), what=name)
    if p.grain != "month":
        raise ParameterError(name, f"{text!r} is not a month (YYYY-MM)")
    return month_index(p.year, p.number)


def bridge_rows(
    sums: list[dict[str, object]], periods: Sequence[int], *, label: str = "month"
) -> list[dict[str, object]]:
    """One bridge row per period index of ``periods`` from summed events (see
    :func:`kam.analysis.movements.summed_events`); periods without events are zero."""
    by: dict[tuple[int, str], dict[str, object]] = {
        (int(str(r["pidx"])), str(r["kind"])): r for r in sums
    }
    rows: list[dict[str, object]] = []
    for p in periods:
        parts = [by[(p, k)] for k in (*_MOVES, "flat") if (p, k) in by]
        start = sum((dec(r["start"]) for r in parts), Decimal("0.00"))
        end = sum((dec(r["end"]) for r in parts), Decimal("0.00"))
        row: dict[str, object] = {label: p, "start": start}
        for k in _MOVES:
            row[k] = dec(by[(p, k)]["amount"]) if (p, k) in by else Decimal("0.00")
        row["end"] = end
        row["net_change"] = end - start
        row["accounts_start"] = sum(int(str(r["accounts_start"])) for r in parts)
        for k in _MOVES:
            row[f"accounts_{k}"] = (
                int(str(by[(p, k)]["accounts"])) if (p, k) in by else 0
            )
        row["accounts_end"] = sum(int(str(r["accounts_end"])) for r in parts)
        gained = row["new"] + row["expansion"] + row["reactivation"]  # type: ignore[operator]
        lost = row["contraction"] + row["churn"]  # type: ignore[operator]
        row["quick_ratio"] = float(gained / lost) if lost else None
        rows.append(row)
    return rows


def mrr_bridge(
    tables: Mapping[str, ir.Table],
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    by_plan: bool = False,
) -> AnalysisResult:
    """The monthly MRR bridge over ``period_from``…``period_to`` (months; default:
    every month of the data).

    ``tables``: ``mrr`` (canonical, or the derived per-account × month totals), and
    the engine's derived tables when present (the monthly events, see
    :func:`kam.analysis.movements.monthly_events`).
    Rows: :data:`OUTPUT_COLUMNS`, one per month. ``by_plan`` (needs the canonical MRR
    table) adds table ``by_plan``: the same bridge per plan (``plan`` column first),
    movements classified on each account's MRR in that plan. Summary: the totals of
    the range, the last month's figures and a headline.
    """
    first_data, last_data = mrr_month_range(tables)
    lo = _month(period_from, "period_from")
    hi = _month(period_to, "period_to")
    lo = first_data if lo is None else lo
    hi = last_data if hi is None else hi
    if lo > hi:
        raise ParameterError("period_to", f"{period_to} is before {period_from}")
    wanted = list(range(lo, hi + 1))
    sums_t = monthly_sums(tables, last_data)
    sums = sums_t.filter(sums_t.pidx.between(lo, hi)).to_pyarrow().to_pylist()
    rows = bridge_rows(sums, wanted)
    for r in rows:
        r["month"] = index_label(int(str(r["month"])), "month")
    warnings: list[str] = []
    if lo < first_data or hi > last_data:
        warnings.append(
            f"the MRR data covers {index_label(first_data, 'month')} to "
            f"{index_label(last_data, 'month')}; months outside it count as zero"
        )
    tables_out: dict[str, list[dict[str, object]]] = {}
    if by_plan:
        raw = tables.get("mrr")
        if raw is None or "plan" not in raw.columns:
            warnings.append("by_plan needs the MRR sheet by plan; no plan view")
        else:
            ev = monthly_events(tables, last_data, ("account_id", "plan"))
            ev = ev.filter(ev.pidx.between(lo, hi))
            plan_sums = summed_events(ev, ["plan"]).to_pyarrow().to_pylist()
            plan_rows: list[dict[str, object]] = []
            for plan in sorted({str(r["plan"]) for r in plan_sums}):
                mine = [r for r in plan_sums if r["plan"] == plan]
                for r in bridge_rows(mine, wanted):
                    r["month"] = index_label(int(str(r["month"])), "month")
                    plan_rows.append({"plan": plan, **r})
            tables_out["by_plan"] = plan_rows
    totals = {k: sum((dec(r[k]) for r in rows), Decimal("0.00")) for k in _MOVES}
    gained = totals["new"] + totals["expansion"] + totals["reactivation"]
    lost = totals["contraction"] + totals["churn"]
    last = rows[-1]
    net = dec(last["net_change"])
    start = dec(last["start"])
    pct = f", {float(net / start) * 100:+.1f} %" if start else ""
    new, churn = short_money(dec(last["new"])), short_money(dec(last["churn"]))
    headline = (
        f"MRR {short_money(dec(last['end']))} in {last['month']}: "
        f"{short_money(net)} net{pct} (new {new}, churn {churn})"
    )
    summary: dict[str, object] = {
        "period_from": index_label(lo, "month"),
        "period_to": index_label(hi, "month"),
        "months": len(rows),
        "start": str(dec(rows[0]["start"])),
        "end": str(dec(last["end"])),
        **{k: str(v) for k, v in totals.items()},
        "quick_ratio": float(gained / lost) if lost else None,
        "last_month": last["month"],
        "last_net_change": str(net),
        "last_quick_ratio": last["quick_ratio"],
        "headline": headline,
    }
    parameters: dict[str, object] = {
        "period_from": summary["period_from"],
        "period_to": summary["period_to"],
        "by_plan": by_plan,
    }
    return AnalysisResult(
        "mrr_bridge", parameters, summary, rows, dict(tables_out), warnings
    )


ANALYSIS = Analysis(
    name="mrr_bridge",
    title="MRR bridge",
    description="Monthly MRR movements: new, expansion, reactivation, contraction, "
    "churn, with account counts and the quick ratio.",
    parameters=(
        Parameter(
            "period_from", "period", None, "first month (default: the first with data)"
        ),
        Parameter(
            "period_to", "period", None, "last month (default: the last with data)"
        ),
        Parameter("by_plan", "bool", False, "add the bridge per plan (table by_plan)"),
    ),
    needs=("MRR",),
    output_columns=OUTPUT_COLUMNS,
    run=mrr_bridge,
)
