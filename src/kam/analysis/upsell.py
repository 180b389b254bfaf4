"""The premium upsell: attach rate, premium MRR and the candidates (analyses.md §4).

In the month (default: the last month with MRR data, not after ``as_of``):

- active accounts: MRR > 0 (summed over plans); premium accounts: MRR > 0 on a plan
  that the Products sheet marks ``premium``;
- attach rate = premium accounts / active accounts; premium MRR = the MRR of the
  premium plans; premium share = premium MRR / total MRR;
- candidates: A-class accounts (ABC over the last complete fiscal year, see
  :func:`account_classes`) active in the month without premium MRR, by MRR
  (largest first, ties by account_id).

The helpers :func:`resolve_month`, :func:`month_mrr` and :func:`account_classes` also
serve the at-risk queue (:mod:`kam.analysis.at_risk`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import check_cutoffs, classified
from kam.analysis.class_tables import year_classes_at
from kam.analysis.movements import mrr_month_range
from kam.analysis.pareto import percent
from kam.analysis.periods import month_label
from kam.analysis.preagg import (
    MRR_BY_MONTH,
    MRR_PLAN_MOVEMENTS,
    distinct_periods,
    metric_values,
    scoped_values,
)
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.spec import Analysis, Parameter
from kam.errors import InputError, MissingDataError

__all__ = [
    "ANALYSIS",
    "OUTPUT_COLUMNS",
    "account_classes",
    "month_mrr",
    "need",
    "premium_upsell",
    "resolve_month",
    "upsell",
]

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "1 = the candidate with the most MRR; ties ordered by account_id"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("abc_class", "the account's ABC class (always A for a candidate)"),
    ("mrr", "the account's MRR in the month, over every plan (exact decimal)"),
)

_MONEY = "decimal(38, 2)"
_ZERO = Decimal("0.00")


def need(tables: Mapping[str, ir.Table], table: str, sheet: str, tool: str) -> ir.Table:
    """``tables[table]``, or MissingDataError saying ``tool`` needs ``sheet``."""
    if table not in tables:
        raise MissingDataError(f"{tool} needs the {sheet} sheet")
    return tables[table]


def resolve_month(
    mrr: ir.Table,
    month: str | None,
    as_of: date | None,
    tables: Mapping[str, ir.Table] | None = None,
) -> str:
    """``month`` checked, or the last month with MRR rows (not after ``as_of``).

    With ``tables`` holding the engine's per-account × month totals
    (:data:`~kam.analysis.preagg.MRR_BY_MONTH`, a row for every account and month of
    the MRR rows), their months are read from what the engine learnt of them when it
    built them, without a query."""
    if month is not None:
        text = str(month).strip()
        if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
            raise InputError(f"month {month!r} is not a month (YYYY-MM)")
        return text
    if tables is not None and MRR_BY_MONTH in tables:
        limit = f"{as_of.year:04d}-{as_of.month:02d}" if as_of is not None else None
        months = [
            p.text
            for p in distinct_periods(metric_values(tables, "mrr"), sheet="MRR")
            if p.grain == "month" and (limit is None or p.text <= limit)
        ]
        if not months:
            raise MissingDataError("the MRR sheet has no rows (up to as_of)")
        return max(months)
    t = mrr
    if as_of is not None:
        t = t.filter(t.month <= f"{as_of.year:04d}-{as_of.month:02d}")
    last = t.month.max().to_pyarrow().as_py()
    if last is None:
        raise MissingDataError("the MRR sheet has no rows (up to as_of)")
    return str(last)


def month_mrr(
    mrr: ir.Table,
    month: str,
    premium_plans: Sequence[str] | None = None,
    tables: Mapping[str, ir.Table] | None = None,
) -> ir.Table:
    """``account_id, mrr, premium_mrr`` of the accounts with MRR > 0 in ``month``
    (``premium_plans``: those of the Products sheet, or none).

    The last month of the data is the engine's :data:`LAST_MONTH` when ``tables``
    hold it. Other months: with the engine's monthly events per account and plan
    (:data:`~kam.analysis.preagg.MRR_PLAN_MOVEMENTS`, stored in month order), the
    month's plan values are their ``end`` (MRR is never negative, so leaving out the
    zero rows changes no sum) instead of a scan of the whole MRR table."""
    plans = list(premium_plans or [])
    zero = ibis.literal(_ZERO, type=_MONEY)
    stored = _stored_month(tables, month)
    if stored is not None:
        premium = stored.premium_mrr if plans else zero
        return stored.select("account_id", "mrr", premium_mrr=premium)
    if tables is not None and MRR_PLAN_MOVEMENTS in tables and _is_month(month):
        ev = tables[MRR_PLAN_MOVEMENTS]
        index = int(month[:4]) * 12 + int(month[5:7]) - 1
        ev = ev.filter((ev.pidx == index) & (ev.end > 0))
        t = ev.select("account_id", "plan", mrr=ev.end)
    else:
        t = mrr.filter(mrr.month == month).select("account_id", "plan", "mrr")
    on_premium = t.plan.isin(plans) if plans else ibis.literal(False)
    premium = ibis.cases((on_premium, t.mrr.cast(_MONEY)), else_=zero)
    per = t.group_by("account_id").agg(
        mrr=t.mrr.sum().cast(_MONEY), premium_mrr=premium.sum().cast(_MONEY)
    )
    return per.filter(per.mrr > 0)


def _stored_month(tables: Mapping[str, ir.Table] | None, month: str) -> ir.Table | None:
    """``account_id, name, mrr, premium_mrr`` of :data:`LAST_MONTH` when ``tables``
    hold it and ``month`` is the last of the data, else None."""
    if tables is None or LAST_MONTH not in tables or not _is_month(month):
        return None
    index = int(month[:4]) * 12 + int(month[5:7]) - 1
    if index != mrr_month_range(tables)[1]:
        return None
    return tables[LAST_MONTH].rename(account_id="account")


def _is_month(text: str) -> bool:
    return (
        len(text) == 7
        and text[4] == "-"
        and (text[:4] + text[5:]).isdigit()
        and 1 <= int(text[5:]) <= 12
    )


def account_classes(
    tables: Mapping[str, ir.Table],
    *,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> tuple[ir.Table, str, list[str]]:
    """``account_id, abc_class`` over the last complete fiscal year (upper rule).

    Revenue is the metric; without a Revenue sheet, MRR (said in a warning). Returns
    the expression, the range text and the warnings.
    """
    cuts = check_cutoffs(cutoffs)
    metric = "revenue" if "revenue" in tables else "mrr"
    warnings: list[str] = []
    if metric == "mrr":
        warnings.append("no Revenue sheet: ABC classes are computed on MRR")
    scope = scoped_values(
        metric_values(tables, metric),
        metric=metric,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        default_years=1,
    )
    stored = (
        year_classes_at(tables, scope.range, fiscal_year_start, cuts)
        if metric == "revenue"
        else None
    )
    if stored is None:
        v = scope.values
        per = v.group_by("account_id").agg(value=v.value.sum())
        per = per.filter(per.value > 0).mutate(period=ibis.literal("range"))
        cls = classified(per, cuts=cuts)
        stored = cls.select("account_id", abc_class=cls["class"])
    return stored, scope.range.text, warnings + scope.warnings


def premium_plans(products: ir.Table) -> list[str]:
    """The products the Products sheet marks ``premium``, sorted (the sheet fetched
    whole: a query that costs next to nothing to compile)."""
    rows = products.select("product", "premium").to_pyarrow().to_pylist()
    return sorted(str(r["product"]) for r in rows if r["premium"])


#: The engine's figures of the accounts active in the last month of the MRR data
#: (:func:`upsell_tables`).
LAST_MONTH = "_upsell_accounts"


def upsell_tables(tables: Mapping[str, ir.Table], last: int) -> dict[str, ir.Table]:
    """:data:`LAST_MONTH` (``account, name, mrr, premium_mrr``): :func:`month_mrr`
    of the last month (index ``last``) with the plans that the Products sheet marks
    premium and the names of the Accounts sheet, from ``tables`` (by sheet name; one
    scan of the MRR rows). The engine builds it once per data version with the MRR
    event tables (:func:`kam.engine.core.derive_events`); whole portfolio only (no
    ``account_id`` column), like the class tables."""
    if "MRR" not in tables:
        return {}
    raw = tables["MRR"]
    t = raw.filter(raw.month == month_label(last))
    on = ibis.literal(False)
    if "Products" in tables:
        products = tables["Products"]
        on = t.plan.isin(products.filter(products.premium.fill_null(False)).product)
    zero = ibis.literal(_ZERO, type=_MONEY)
    premium = ibis.cases((on, t.mrr.cast(_MONEY)), else_=zero)
    per = t.group_by("account_id").agg(
        mrr=t.mrr.sum().cast(_MONEY), premium_mrr=premium.sum().cast(_MONEY)
    )
    per = per.filter(per.mrr > 0)
    if "Accounts" in tables:
        accounts = tables["Accounts"]
        names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
        per = per.left_join(names, per.account_id == names.acc_n)
    else:
        per = per.mutate(name=ibis.null("string"))
    out = per.select(
        account=per.account_id,
        name=per.name,
        mrr=per.mrr,
        premium_mrr=per.premium_mrr,
    )
    return {LAST_MONTH: out}


def premium_upsell(
    mrr: ir.Table,
    products: ir.Table,
    *,
    tables: Mapping[str, ir.Table] | None = None,
    accounts: ir.Table | None = None,
    month: str | None = None,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AnalysisResult:
    """Attach rate, premium MRR and the upsell candidates in ``month``.

    ``mrr``, ``products``: the MRR and Products tables; ``tables``: every table (for
    the ABC classes: Revenue, else MRR); ``accounts``: names. Rows:
    :data:`OUTPUT_COLUMNS`, the candidates by MRR. Summary: month, active_accounts,
    premium_accounts, attach_rate, premium_mrr, total_mrr, premium_share,
    candidates, candidates_mrr, headline.
    """
    plans = premium_plans(products)
    chosen = resolve_month(mrr, month, as_of, tables)
    per = _stored_month(tables, chosen)  # (names included)
    per = per if per is not None else month_mrr(mrr, chosen, plans, tables)
    classes, abc_range, warnings = account_classes(
        tables if tables is not None else {"mrr": mrr},
        cutoffs=cutoffs,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    if not plans:
        warnings.append("no product is marked premium in the Products sheet")
    has_premium = per.premium_mrr > 0
    totals = per.aggregate(
        active=per.count(),
        premium_accounts=per.count(where=has_premium),
        premium_mrr=per.premium_mrr.sum(),
        total_mrr=per.mrr.sum(),
    )
    a = classes.filter(classes.abc_class == "A")
    base = per.filter(~has_premium)
    cands = base.semi_join(a, base.account_id == a.account_id)
    cands = cands.mutate(abc_class=ibis.literal("A"))
    if "name" in per.columns:  # (the stored month holds the names)
        pass
    elif accounts is not None:
        names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
        cands = cands.left_join(names, cands.account_id == names.acc_n)
    else:
        cands = cands.mutate(name=ibis.null("string"))
    cands = cands.select("account_id", "name", "abc_class", "mrr")
    cands = cands.mutate(candidates_mrr=cands.mrr.sum().over(ibis.window()))
    # The month's totals and the candidates' MRR ride along on every candidate (one
    # query); only when there is no candidate are the totals asked for apart. The
    # backend orders the rows (~20k at 100k accounts: sorting them on the fetched
    # table cost more on a first run, Arrow's sort and take kernels being cold).
    j = cands.cross_join(totals)
    fetched = j.order_by([j.mrr.desc(), j.account_id.asc()]).to_pyarrow()
    if fetched.num_rows:
        totals_row = fetched.slice(0, 1).to_pylist()[0]
        cand_mrr = Decimal(totals_row["candidates_mrr"])
    else:
        totals_row, cand_mrr = totals.to_pyarrow().to_pylist()[0], _ZERO
    # Ranks 1, 2, …: a running count over a column without nulls.
    active_col = fetched.column("active").to_numpy()
    data = fetched.append_column("rank", [(active_col == active_col).cumsum()])
    data = data.select([c for c, _ in OUTPUT_COLUMNS])
    active = int(totals_row["active"] or 0)
    n_premium = int(totals_row["premium_accounts"] or 0)
    premium_mrr = Decimal(totals_row["premium_mrr"] or _ZERO)
    total_mrr = Decimal(totals_row["total_mrr"] or _ZERO)
    attach = n_premium / active if active else None
    if not active:
        warnings.append(f"no account has MRR in {chosen}")
    headline = (
        f"Premium attach rate {percent(attach)} ({n_premium} of {active} active "
        f"accounts) in {chosen}; {data.num_rows} A accounts without premium"
        if attach is not None
        else f"No active accounts in {chosen}"
    )
    summary: dict[str, object] = {
        "month": chosen,
        "active_accounts": active,
        "premium_accounts": n_premium,
        "attach_rate": attach,
        "premium_mrr": str(premium_mrr),
        "total_mrr": str(total_mrr),
        "premium_share": float(premium_mrr / total_mrr) if total_mrr else None,
        "premium_plans": plans,
        "candidates": data.num_rows,
        "candidates_mrr": str(cand_mrr),
        "abc_range": abc_range,
        "headline": headline,
    }
    parameters: dict[str, object] = {
        "month": chosen,
        "cutoffs": list(check_cutoffs(cutoffs)),
        "fiscal_year_start": fiscal_year_start,
        "as_of": as_of.isoformat() if as_of else None,
    }
    return AnalysisResult("upsell", parameters, summary, Rows(data), {}, warnings)


def upsell(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`premium_upsell` over the canonical tables keyed by store table name."""
    return premium_upsell(
        need(tables, "mrr", "MRR", "upsell"),
        need(tables, "products", "Products", "upsell"),
        tables=tables,
        accounts=tables.get("accounts"),
        **options,  # type: ignore[arg-type]
    )


#: The month of the dashboard analyses.
MONTH = Parameter(
    "month", "period", None, "the month (YYYY-MM; default: the last month with MRR)"
)
#: ABC cut-offs of the dashboard analyses (the class of an account).
CUTOFFS = Parameter(
    "cutoffs",
    "floats",
    (0.80, 0.95),
    "cumulative revenue shares that end ABC classes A and B (last complete fiscal "
    "year)",
    minimum=0,
    maximum=1,
    exclusive=True,
    setting="abc_cutoffs",
    length=2,
)
FISCAL_YEAR_START = Parameter(
    "fiscal_year_start",
    "int",
    1,
    "first month of the fiscal year",
    minimum=1,
    maximum=12,
    setting="fiscal_year_start",
)
AS_OF = Parameter(
    "as_of", "date", None, "date the data describes (default: today)", setting="as_of"
)

ANALYSIS = Analysis(
    name="upsell",
    title="Premium upsell",
    description="Premium attach rate and MRR in a month, and the A accounts "
    "without premium, by MRR.",
    parameters=(MONTH, CUTOFFS, FISCAL_YEAR_START, AS_OF),
    needs=("MRR", "Products"),
    output_columns=OUTPUT_COLUMNS,
    run=upsell,
)
