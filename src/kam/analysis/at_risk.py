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

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

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
_LEVELS = ("critical", "at_risk", "watch")
_EPOCH = date(1970, 1, 1)
#: The fetched columns of a row (days in queue and to renewal are worked out from
#: them when a row is read, see :func:`_shown`).
_FETCHED = (
    "rank",
    "account_id",
    "name",
    "abc_class",
    "mrr",
    "level",
    "reason",
    "owner",
    "flagged_on",
    "renewal_date",
)


def _shown(day: date, window: int) -> Callable[[dict[str, object]], dict[str, object]]:
    """A fetched row (:data:`_FETCHED`) as the row handed out: with the days in queue
    (``day − flagged_on``) and to renewal (``renewal_date − day``), and whether the
    renewal is at most ``window`` days ahead."""

    def row(r: dict[str, object]) -> dict[str, object]:
        flagged, renewal = cast(date, r["flagged_on"]), r["renewal_date"]
        to_renewal = None if renewal is None else (cast(date, renewal) - day).days
        return {
            "rank": r["rank"],
            "account_id": r["account_id"],
            "name": r["name"],
            "abc_class": r["abc_class"],
            "mrr": r["mrr"],
            "level": r["level"],
            "reason": r["reason"],
            "owner": r["owner"],
            "flagged_on": flagged,
            "days_in_queue": (day - flagged).days,
            "renewal_date": renewal,
            "days_to_renewal": to_renewal,
            "renewal_in_window": to_renewal is not None and 0 <= to_renewal <= window,
        }

    return row


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
    # The month's total rides along as a whole-table window (no second pass).
    m = per.select(
        m_id=per.account_id, m_mrr=per.mrr, m_total=per.mrr.sum().over(ibis.window())
    )
    j = q.left_join(cls, q.account_id == cls.c_id).left_join(m, q.account_id == m.m_id)
    if accounts is not None and "renewal_date" in accounts.columns:
        acc = accounts.select(
            a_id=accounts.account_id, name=accounts.name, renewal=accounts.renewal_date
        )
        j = j.left_join(acc, q.account_id == acc.a_id)
        name, renewal = j.name, j.renewal
    else:
        name, renewal = ibis.null("string"), ibis.null("date")
    importance = ibis.cases(
        (j.abc_class == "A", 1),
        (j.abc_class == "B", 2),
        (j.abc_class == "C", 3),
        else_=4,
    )
    # One flat select, fetched unordered: the queue order is an Arrow sort of the
    # few open risks instead of a ranking window and an ORDER BY compiled and run by
    # the backend. Days in queue, longest first, is flagged_on, earliest first (every
    # open risk has one); the day counts are worked out per row when a row is read.
    fetched = j.select(
        account_id=j.account_id,
        name=name,
        abc_class=j.abc_class,
        mrr=ibis.coalesce(j.m_mrr, ibis.literal(_ZERO, type=_MONEY)),
        level=j.level,
        reason=j.reason,
        owner=j.owner,
        flagged_on=j.flagged_on,
        renewal_date=renewal,
        importance=importance,
        m_total=j.m_total,
    ).to_pyarrow()
    fetched = fetched.sort_by(
        [
            ("importance", "ascending"),
            ("mrr", "descending"),
            ("flagged_on", "ascending"),
            ("account_id", "ascending"),
            ("reason", "ascending"),
        ]
    )
    data = fetched.select(list(_FETCHED[1:])).add_column(
        0, "rank", [list(range(1, fetched.num_rows + 1))]
    )
    totals = fetched.column("m_total").drop_null()
    total = totals[0].as_py() if len(totals) else per.mrr.sum().to_pyarrow().as_py()
    total_mrr = Decimal(total) if total is not None else _ZERO
    until = day + timedelta(days=renewal_window_days)
    ids = data.column("account_id").to_pylist()
    # Each queued account's MRR once (its rows hold the same MRR).
    seen: dict[str, Decimal] = dict(
        zip(ids, data.column("mrr").to_numpy(), strict=True)  # Decimals
    )
    at_stake = sum(seen.values(), _ZERO)
    n_accounts = len(seen)
    share = float(at_stake / total_mrr) if total_mrr else None
    levels_col = data.column("level").to_pylist()
    levels: list[dict[str, object]] = [
        {
            "level": lv,
            "risks": levels_col.count(lv),
            "accounts": len(
                {a for a, x in zip(ids, levels_col, strict=True) if x == lv}
            ),
        }
        for lv in _LEVELS
    ]
    # Renewal dates as day numbers (blank: NaN, never inside), compared by numpy.
    on = data.column("renewal_date").cast("int32").to_numpy(zero_copy_only=False)
    first, last = (day - _EPOCH).days, (until - _EPOCH).days
    inside = ((on >= first) & (on <= last)).tolist()
    n_renewing = len({a for a, w in zip(ids, inside, strict=True) if w})
    headline = (
        f"{percent(share) if share is not None else 'n/a'} of MRR at risk "
        f"({at_stake:,} in {chosen}) across {n_accounts} accounts with "
        f"{data.num_rows} open risks; {n_renewing} renew by {until.isoformat()}"
    )
    summary: dict[str, object] = {
        "month": chosen,
        "as_of": day.isoformat(),
        "open_risks": data.num_rows,
        "accounts": n_accounts,
        "mrr_at_risk": str(at_stake),
        "total_mrr": str(total_mrr),
        "mrr_at_risk_share": share,
        "renewals_in_window": n_renewing,
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
        "at_risk",
        parameters,
        summary,
        Rows(data, _shown(day, renewal_window_days)),
        {"levels": levels},
        warnings,
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
