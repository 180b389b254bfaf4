"""The at-risk queue: open risks by importance and time in queue, the MRR at stake
and the renewals coming up (analyses.md §4).

- The queue holds every risk of the register open at ``as_of`` (default: today):
  flagged on or before it, ``resolved_on`` blank or after it.
- Order: importance first — ABC class (A, then B, then C, then accounts without a
  class; ABC over the last complete fiscal year, see
  :func:`kam.analysis.upsell.account_classes`), then the account's MRR in the month
  (largest first) — then days in queue (``as_of − flagged_on``, longest first), ties
  by account_id (then flagged_on and reason).
- MRR at risk = the sum of the MRR in the month of the queue's accounts, each
  account counted once; its share of the month's total MRR.
- A renewal (Accounts ``renewal_date``) on or after ``as_of`` and at most
  ``renewal_window_days`` after it is inside the window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import check_cutoffs
from kam.analysis.health import open_risks
from kam.analysis.pareto import percent
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.upsell import (
    AS_OF,
    CUTOFFS,
    FISCAL_YEAR_START,
    MONTH,
    account_classes,
    month_mrr,
    need,
    resolve_month,
)
from kam.errors import ParameterError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "at_risk", "at_risk_queue"]

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "place in the queue, 1 = first to handle"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("abc_class", "ABC class over the last complete fiscal year (blank: none)"),
    ("mrr", "the account's MRR in the month (exact decimal; 0 when none)"),
    ("level", "watch, at_risk or critical"),
    ("reason", "why the risk was flagged"),
    ("owner", "who handles the risk"),
    ("flagged_on", "date the risk was flagged"),
    ("days_in_queue", "as_of − flagged_on, in days"),
    ("renewal_date", "the account's renewal date (Accounts sheet)"),
    ("days_to_renewal", "renewal_date − as_of, in days"),
    ("renewal_in_window", "true when the renewal falls within renewal_window_days"),
)

_MONEY = "decimal(38, 2)"
_ZERO = Decimal("0.00")


def at_risk_queue(
    risks: ir.Table,
    mrr: ir.Table,
    *,
    tables: Mapping[str, ir.Table] | None = None,
    accounts: ir.Table | None = None,
    month: str | None = None,
    renewal_window_days: int = 90,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AnalysisResult:
    """The open risks in queue order, with the MRR at risk and renewals in the window.

    Rows: :data:`OUTPUT_COLUMNS`. Tables: ``levels`` (level, risks, accounts).
    Summary: month, as_of, open_risks, accounts, mrr_at_risk, total_mrr,
    mrr_at_risk_share, renewals_in_window, headline.
    """
    if renewal_window_days < 0:
        raise ParameterError(
            "renewal_window_days", f"{renewal_window_days!r} is not a number ≥ 0"
        )
    day = as_of or date.today()
    chosen = resolve_month(mrr, month, as_of, tables)
    per = month_mrr(mrr, chosen, tables=tables)
    classes, abc_range, warnings = account_classes(
        tables if tables is not None else {"mrr": mrr},
        cutoffs=cutoffs,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    q = open_risks(risks, day)
    cls = classes.select(c_id=classes.account_id, abc_class=classes.abc_class)
    q = q.left_join(cls, q.account_id == cls.c_id).drop("c_id")
    # The month's total rides along as a whole-table window (no second pass).
    m = per.select(
        m_id=per.account_id, m_mrr=per.mrr, m_total=per.mrr.sum().over(ibis.window())
    )
    q = q.left_join(m, q.account_id == m.m_id).drop("m_id")
    today = ibis.literal(day, type="date")
    if accounts is not None and "renewal_date" in accounts.columns:
        acc = accounts.select(
            a_id=accounts.account_id, name=accounts.name, renewal=accounts.renewal_date
        )
        q = q.left_join(acc, q.account_id == acc.a_id).drop("a_id")
    else:
        q = q.mutate(name=ibis.null("string"), renewal=ibis.null("date"))
    to_renewal = q.renewal.delta(today, unit="day")
    q = q.mutate(
        mrr=ibis.coalesce(q.m_mrr, ibis.literal(_ZERO, type=_MONEY)),
        importance=ibis.cases(
            (q.abc_class == "A", 1),
            (q.abc_class == "B", 2),
            (q.abc_class == "C", 3),
            else_=4,
        ),
        days_in_queue=today.delta(q.flagged_on, unit="day"),
        renewal_date=q.renewal,
        days_to_renewal=to_renewal,
        renewal_in_window=(
            (to_renewal >= 0) & (to_renewal <= renewal_window_days)
        ).fill_null(False),
    )
    order = [
        q.importance.asc(),
        q.mrr.desc(),
        q.days_in_queue.desc(),
        q.account_id.asc(),
        q.flagged_on.asc(),
        q.reason.asc(),
    ]
    q = q.mutate(rank=ibis.row_number().over(order_by=order) + 1)
    columns = [c for c, _ in OUTPUT_COLUMNS]
    fetched = q.order_by("rank").select([*columns, "m_total"]).to_pyarrow()
    data = fetched.select(columns)
    totals = [t for t in fetched.column("m_total").to_pylist() if t is not None]
    total = totals[0] if totals else per.mrr.sum().to_pyarrow().as_py()
    total_mrr = Decimal(total) if total is not None else _ZERO
    seen: dict[str, Decimal] = {}
    for a, v in zip(
        data.column("account_id").to_pylist(),
        data.column("mrr").to_pylist(),
        strict=True,
    ):
        seen[str(a)] = Decimal(v)
    at_stake = sum(seen.values(), _ZERO)
    share = float(at_stake / total_mrr) if total_mrr else None
    levels_col = data.column("level").to_pylist()
    ids_col = [str(a) for a in data.column("account_id").to_pylist()]
    levels: list[dict[str, object]] = [
        {
            "level": lv,
            "risks": levels_col.count(lv),
            "accounts": len(
                {a for a, x in zip(ids_col, levels_col, strict=True) if x == lv}
            ),
        }
        for lv in ("critical", "at_risk", "watch")
    ]
    renewing = {
        a
        for a, w in zip(
            ids_col, data.column("renewal_in_window").to_pylist(), strict=True
        )
        if w
    }
    until = day + timedelta(days=renewal_window_days)
    headline = (
        f"{percent(share) if share is not None else 'n/a'} of MRR at risk "
        f"({at_stake:,} in {chosen}) across {len(seen)} accounts with "
        f"{data.num_rows} open risks; {len(renewing)} renew by {until.isoformat()}"
    )
    summary: dict[str, object] = {
        "month": chosen,
        "as_of": day.isoformat(),
        "open_risks": data.num_rows,
        "accounts": len(seen),
        "mrr_at_risk": str(at_stake),
        "total_mrr": str(total_mrr),
        "mrr_at_risk_share": share,
        "renewals_in_window": len(renewing),
        "window_until": until.isoformat(),
        "abc_range": abc_range,
        "headline": headline,
    }
    parameters: dict[str, object] = {
        "month": chosen,
        "renewal_window_days": renewal_window_days,
        "cutoffs": list(check_cutoffs(cutoffs)),
        "fiscal_year_start": fiscal_year_start,
        "as_of": day.isoformat(),
    }
    return AnalysisResult(
        "at_risk", parameters, summary, Rows(data), {"levels": levels}, warnings
    )


def at_risk(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`at_risk_queue` over the canonical tables keyed by store table name."""
    return at_risk_queue(
        need(tables, "risks", "Risks", "at_risk"),
        need(tables, "mrr", "MRR", "at_risk"),
        tables=tables,
        accounts=tables.get("accounts"),
        **options,  # type: ignore[arg-type]
    )


ANALYSIS = Analysis(
    name="at_risk",
    title="At-risk queue",
    description="Open risks by importance (ABC class, MRR) and days in queue, the "
    "MRR at risk and the renewals inside the window.",
    parameters=(
        MONTH,
        Parameter(
            "renewal_window_days",
            "int",
            90,
            "renewals this many days after as_of or sooner are flagged",
            minimum=0,
            setting="renewal_window_days",
        ),
        CUTOFFS,
        FISCAL_YEAR_START,
        AS_OF,
    ),
    needs=("Risks", "MRR"),
    output_columns=OUTPUT_COLUMNS,
    run=at_risk,
)
