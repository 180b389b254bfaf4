"""MRR by plan for one month: totals, ARR, plan mix and change (analyses.md §4).

The backend sums MRR per month and plan (and counts the accounts with MRR); the
chosen month, the month before and the same month a year earlier are read from those
few rows in exact decimals. ARR = 12 × MRR. The monthly series per plan (for a
stacked chart) is table ``series``; the totals per month are table ``totals``.

Those sums (:func:`plan_month_sums`, :func:`month_totals`) do not depend on the
month asked for: the engine keeps them per data version for the whole portfolio
(:data:`PLAN_MONTHS`, :data:`MONTH_TOTALS`; never for a restricted reader, as they
have no ``account_id``), and :func:`mrr` reads them when they are among its tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.movements import account_months, dec, index_label
from kam.analysis.periods import month_index, parse_period
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.errors import InputError, MissingDataError, ParameterError

__all__ = [
    "ANALYSIS",
    "MONTH",
    "MONTH_TOTALS",
    "OUTPUT_COLUMNS",
    "PLAN_MONTHS",
    "month_totals",
    "mrr",
    "plan_month_sums",
    "short_money",
]

#: Derived table names of the per-month sums (see the module docstring).
PLAN_MONTHS = "_mrr_plan_months"
MONTH_TOTALS = "_mrr_month_totals"

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("plan", "the plan ('all' when the MRR table is not by plan)"),
    ("mrr", "MRR of the plan in the month (exact decimal)"),
    ("arr", "12 × mrr"),
    ("mix", "mrr / total MRR of the month"),
    ("accounts", "accounts with MRR on the plan in the month"),
    ("mrr_previous", "MRR of the plan the month before"),
    ("change_month", "mrr − mrr_previous"),
    ("change_month_pct", "change_month / mrr_previous (blank when it was 0)"),
    ("mrr_year_ago", "MRR of the plan twelve months before"),
    ("change_year", "mrr − mrr_year_ago"),
    ("change_year_pct", "change_year / mrr_year_ago (blank when it was 0)"),
)

#: The ``month`` parameter of the dashboard analyses.
MONTH = Parameter(
    "month", "period", None, "the month to show (YYYY-MM; default: the last with data)"
)


def short_money(value: Decimal) -> str:
    """``1234567.8`` → ``'1.23M'`` (headlines)."""
    n = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.2f}{suffix}"
    return f"{n:.2f}"


def _pct(change: Decimal, base: Decimal) -> float | None:
    return float(change / base) if base else None


def chosen_month(month: str | None, available: list[int]) -> int:
    """The month index of ``month`` (default: the last of ``available``)."""
    if month is None:
        return available[-1]
    p = parse_period(str(month), what="month")
    if p.grain != "month":
        raise ParameterError("month", f"{month!r} is not a month (YYYY-MM)")
    index = month_index(p.year, p.number)
    if not available or not available[0] <= index <= available[-1]:
        raise InputError(
            f"there is no MRR in {p.text} (the data covers "
            f"{index_label(available[0], 'month')} to "
            f"{index_label(available[-1], 'month')})"
        )
    return index


def plan_month_sums(raw: ir.Table) -> ir.Table:
    """``month, plan, mrr, accounts`` of an MRR table: positive MRR summed per month
    and plan, with the accounts behind it (one plan ``all`` for the per-account
    totals, a table with ``value`` instead of ``plan`` and ``mrr``)."""
    if "plan" in raw.columns:
        pos = raw.filter(raw.mrr > 0)
        return pos.group_by(["month", "plan"]).agg(
            mrr=pos.mrr.sum(), accounts=pos.account_id.nunique()
        )
    pos = raw.filter(raw.value > 0)
    per_plan = pos.group_by("month").agg(
        mrr=pos.value.sum(), accounts=pos.account_id.nunique()
    )
    return per_plan.mutate(plan=ibis.literal("all"))


def month_totals(am: ir.Table) -> ir.Table:
    """``month, mrr, accounts`` of per-account × month totals (``account_id, month,
    value``): positive MRR summed per month and the accounts with it."""
    am = am.filter(am.value > 0)
    return am.group_by("month").agg(mrr=am.value.sum(), accounts=am.count())


def mrr(tables: Mapping[str, ir.Table], *, month: str | None = None) -> AnalysisResult:
    """MRR per plan and in total for ``month`` (default: the last month with data).

    ``tables``: ``mrr`` (canonical ``account_id, month, plan, mrr``; the derived
    per-account totals give one plan ``all``). Rows: :data:`OUTPUT_COLUMNS` per plan,
    by MRR descending. Tables: ``series`` (month, plan, mrr, accounts for every month
    and plan) and ``totals`` (month, mrr, arr, accounts). Summary: month, mrr, arr,
    accounts, the changes on the month and the year, and a headline.
    """
    if "mrr" not in tables:
        raise MissingDataError("mrr needs the MRR sheet")
    raw = tables["mrr"]
    per_plan = tables.get(PLAN_MONTHS, plan_month_sums(raw))
    per_month = tables.get(MONTH_TOTALS, month_totals(account_months(tables)))
    series = per_plan.order_by(["month", "plan"]).to_pyarrow().to_pylist()
    totals_raw = per_month.order_by("month").to_pyarrow().to_pylist()
    if not totals_raw:
        raise MissingDataError("the MRR sheet has no positive MRR")
    idx = {
        month_index(int(str(r["month"])[:4]), int(str(r["month"])[5:7])): r
        for r in totals_raw
    }
    first, last = min(idx), max(idx)
    m = chosen_month(month, [first, last])
    label = index_label(m, "month")
    prev, year_ago = index_label(m - 1, "month"), index_label(m - 12, "month")
    plan_mrr: dict[tuple[str, str], Decimal] = {}
    plan_accounts: dict[tuple[str, str], int] = {}
    for r in series:
        key = (str(r["month"]), str(r["plan"]))
        plan_mrr[key] = dec(r["mrr"])
        plan_accounts[key] = int(str(r["accounts"]))
    plans = sorted({p for _, p in plan_mrr})
    total = dec(idx[m]["mrr"]) if m in idx else Decimal("0.00")

    def total_at(i: int) -> Decimal:
        return dec(idx[i]["mrr"]) if i in idx else Decimal("0.00")

    rows: list[dict[str, object]] = []
    for plan in plans:
        now = plan_mrr.get((label, plan), Decimal("0.00"))
        before = plan_mrr.get((prev, plan), Decimal("0.00"))
        ago = plan_mrr.get((year_ago, plan), Decimal("0.00"))
        if not (now or before or ago):
            continue
        rows.append(
            {
                "plan": plan,
                "mrr": now,
                "arr": now * 12,
                "mix": float(now / total) if total else None,
                "accounts": plan_accounts.get((label, plan), 0),
                "mrr_previous": before,
                "change_month": now - before,
                "change_month_pct": _pct(now - before, before),
                "mrr_year_ago": ago,
                "change_year": now - ago,
                "change_year_pct": _pct(now - ago, ago),
            }
        )
    rows.sort(key=lambda r: (-dec(r["mrr"]), str(r["plan"])))
    before_t, ago_t = total_at(m - 1), total_at(m - 12)
    month_pct = _pct(total - before_t, before_t)
    year_pct = _pct(total - ago_t, ago_t)
    headline = f"MRR {short_money(total)} in {label}"
    if month_pct is not None:
        headline += f", {month_pct * 100:+.1f} % on the month"
    if year_pct is not None:
        headline += f", {year_pct * 100:+.1f} % on the year"
    warnings: list[str] = []
    if "plan" not in raw.columns:
        warnings.append("the MRR table is not by plan: one plan 'all'")
    if m - 12 < first:
        warnings.append(f"no MRR data a year before {label}: no year-on-year change")
    summary: dict[str, object] = {
        "month": label,
        "mrr": str(total),
        "arr": str(total * 12),
        "accounts": int(str(idx[m]["accounts"])) if m in idx else 0,
        "plans": len(rows),
        "mrr_previous": str(before_t),
        "change_month": str(total - before_t),
        "change_month_pct": month_pct,
        "mrr_year_ago": str(ago_t),
        "change_year": str(total - ago_t),
        "change_year_pct": year_pct,
        "mix": {str(r["plan"]): r["mix"] for r in rows},
        "headline": headline,
    }
    totals = [
        {
            "month": r["month"],
            "mrr": dec(r["mrr"]),
            "arr": dec(r["mrr"]) * 12,
            "accounts": r["accounts"],
        }
        for r in totals_raw
    ]
    series_rows: list[dict[str, object]] = [
        {"month": mo, "plan": p, "mrr": v, "accounts": plan_accounts[(mo, p)]}
        for (mo, p), v in sorted(plan_mrr.items())
    ]
    tables_out: dict[str, list[dict[str, object]]] = {
        "series": series_rows,
        "totals": totals,
    }
    parameters: dict[str, object] = {"month": label}
    return AnalysisResult("mrr", parameters, summary, rows, dict(tables_out), warnings)


ANALYSIS = Analysis(
    name="mrr",
    title="MRR by plan",
    description="MRR and ARR per plan and in total for a month, plan mix, change on "
    "the month and on the year, and the monthly series per plan.",
    parameters=(MONTH,),
    needs=("MRR",),
    output_columns=OUTPUT_COLUMNS,
    run=mrr,
)
