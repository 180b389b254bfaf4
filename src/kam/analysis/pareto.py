"""Pareto: how concentrated a metric is, and who the vital few are (analyses.md §1).

The ranking, running totals, shares, the vital-few cut and the concentration
figures are one Ibis expression (window functions, group-bys and joins only, so it
runs on DuckDB, PostgreSQL and Spark), fetched as Arrow in one query, in rank
order. The per-account sums come from :func:`kam.analysis.preagg.period_sums`
(the yearly rollup for whole years, when the engine has one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.preagg import (
    METRIC_WORDS,
    metric_values,
    period_sums,
    scoped_values,
    zero_like,
)
from kam.analysis.result import AnalysisResult, Rows
from kam.errors import InputError, ParameterError

__all__ = [
    "OUTPUT_COLUMNS",
    "concentration",
    "gini",
    "pareto",
    "pareto_curve",
    "percent",
    "with_accounts",
]

#: The columns of a Pareto row, with their meaning.
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "1 = the largest value; ties ordered by account_id"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("value", "the metric summed over the range (exact decimal)"),
    ("share", "value / total"),
    ("cum_share", "running sum of share down to this account"),
    ("rank_pct", "rank / number of accounts"),
    ("vital_few", "true for the k accounts that first reach the threshold"),
)

_CENT = Decimal("0.01")
#: Sums of money keep two decimals on every backend.
_MONEY = "decimal(38, 2)"


def percent(share: float, *, decimals: int = 1) -> str:
    """``0.85`` → ``'85.0 %'`` (a space before the sign, as in the reports)."""
    return f"{share * 100:.{decimals}f} %"


def _count_percent(share: float) -> str:
    # Whole percents read better for account counts; keep one decimal when needed.
    text = f"{share * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + " %"


def gini(values_descending: list[float]) -> float:
    """Gini coefficient of non-negative values given in descending order.

    ``G = Σ_i (2i − n − 1) x_(i) / (n Σ x)`` with ``x`` ascending (``i`` from 1), i.e.
    ``Σ_r (n + 1 − 2r) x_r / (n Σ x)`` over descending ranks ``r``. 0 when all values
    are equal, ``(n − 1) / n`` when one account holds everything.
    """
    n = len(values_descending)
    total = math.fsum(values_descending)
    if n == 0 or total <= 0:
        return 0.0
    weighted = math.fsum(
        (n + 1 - 2 * r) * x for r, x in enumerate(values_descending, 1)
    )
    return weighted / (n * total)


def _check_threshold(threshold: float) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError) as exc:
        raise ParameterError("threshold", f"{threshold!r} is not a number") from exc
    if not 0.0 < value < 1.0:
        raise ParameterError(
            "threshold",
            f"{threshold} is outside (0, 1): give a share such as 0.8 for 80 %",
        )
    return value


def ranked_accounts(per_account: ir.Table, accounts: ir.Table | None) -> ir.Table:
    """Rank ``account_id, value`` rows: rank, cumulative value, total, shares, name
    (joined from ``accounts`` unless the rows carry it already, see
    :func:`with_accounts`), in no particular order: sort by ``rank``."""
    order = [per_account.value.desc(), per_account.account_id.asc()]
    running = ibis.window(order_by=order, rows=(None, 0))
    whole = ibis.window()
    total = per_account.value.sum().over(whole)
    cum = per_account.value.sum().over(running)
    ranked = per_account.mutate(
        rank=ibis.row_number().over(running) + 1,
        cum_value=cum,
        total=total,
        n=per_account.account_id.count().over(whole),
    )
    # NULLIF: PostgreSQL raises on a division by zero; a zero total is rejected later.
    denominator = ranked.total.cast("float64").nullif(0.0)
    ranked = ranked.mutate(
        share=ranked.value.cast("float64") / denominator,
        cum_share=ranked.cum_value.cast("float64") / denominator,
        rank_pct=ranked.rank.cast("float64") / ranked.n.cast("float64"),
    )
    if "name" in per_account.columns:
        return ranked
    if accounts is None:
        return ranked.mutate(name=ibis.null("string"))
    names = accounts.select(acc_id=accounts.account_id, name=accounts.name)
    return ranked.left_join(names, ranked.account_id == names.acc_id).drop("acc_id")


def with_accounts(
    per_account: ir.Table, accounts: ir.Table, *, include_zero: bool = True
) -> ir.Table:
    """``account_id, value`` rows with each account's ``name`` and, with
    ``include_zero``, the active accounts (status blank or ``active``) without a row
    at value 0, in one join of the Accounts table (an outer join when adding zeros).
    """
    if not include_zero:
        names = accounts.select(acc_id=accounts.account_id, name=accounts.name)
        joined = per_account.left_join(names, per_account.account_id == names.acc_id)
        return joined.select("account_id", "value", "name")
    acc = accounts.select(
        acc_id=accounts.account_id,
        name=accounts.name,
        active=accounts.status.isnull() | (accounts.status == "active"),
    )
    joined = per_account.outer_join(acc, per_account.account_id == acc.acc_id)
    joined = joined.filter(joined.account_id.notnull() | joined.active)
    return joined.select(
        account_id=ibis.coalesce(joined.account_id, joined.acc_id),
        value=ibis.coalesce(joined.value, zero_like(per_account.value)),
        name=joined.name,
    )


def concentration(ranked: ir.Table, threshold: float) -> ir.Table:
    """``ranked`` (see :func:`ranked_accounts`) with the summary figures as columns.

    Each row carries the same ``k`` (first rank whose cumulative share reaches
    ``threshold``, at most ``n``), ``hhi`` (Σ share²), ``gini`` (see :func:`gini`) and
    ``top1``/``top5``/``top10`` (cumulative share at rank min(m, n)), plus its own
    ``vital_few`` flag, so that one query answers the whole analysis (unordered: sort
    by ``rank``).
    """
    whole = ibis.window()
    value = ranked.value.cast("float64")
    below = ibis.cases((ranked.cum_share < threshold, 1), else_=0)
    weight = (ranked.n + 1 - 2 * ranked.rank).cast("float64")
    t = ranked.mutate(
        k=ibis.least(below.sum().over(whole) + 1, ranked.n),
        hhi=(ranked.share * ranked.share).sum().over(whole),
        gini_sum=(weight * value).sum().over(whole),
        value_sum=value.sum().over(whole),
        **{
            f"top{m}": ibis.cases(
                (ranked.rank == ibis.least(ranked.n, m), ranked.cum_share)
            )
            .max()
            .over(whole)
            for m in (1, 5, 10)
        },
    )
    gini_value = ibis.cases(
        (t.value_sum > 0, t.gini_sum / (t.n.cast("float64") * t.value_sum)),
        else_=0.0,
    )
    return t.mutate(
        vital_few=t.rank <= t.k,
        gini=gini_value,
        value=t.value.cast(_MONEY),
    )


def pareto_curve(
    values: ir.Table,
    *,
    accounts: ir.Table | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    threshold: float = 0.80,
    include_zero: bool = True,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
    metric: str = "revenue",
) -> AnalysisResult:
    """The Pareto curve of a metric over a period range.

    ``values``: rows ``account_id, period, value`` (see :mod:`kam.analysis.preagg`;
    several rows per account and period are summed). ``accounts``: the Accounts table,
    for names and, with ``include_zero`` (default true), to add active accounts without
    any row at value 0. ``period_from``/``period_to``: default the last complete fiscal
    year (:func:`kam.analysis.periods.default_range` with ``as_of``). ``threshold``
    (default 0.80): the vital few are the first ``k`` accounts whose cumulative share
    reaches it. ``metric`` names the figure in the headline and messages.

    Rows (ranked): rank, account_id, name, value, share, cum_share, rank_pct,
    vital_few. Summary: accounts, total, k, k_share, cum_share_at_k, top1_share,
    top5_share, top10_share, hhi (Σ share²), gini, headline, period_from, period_to.

    Raises ParameterError for a threshold outside (0, 1), InputError when the range has
    no rows, a value is negative, or the total is not positive.
    """
    threshold = _check_threshold(threshold)
    scope = scoped_values(
        values,
        metric=metric,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    per_account = period_sums(values, [p.text for p in scope.periods])
    if accounts is not None:
        per_account = with_accounts(per_account, accounts, include_zero=include_zero)
    ranked = concentration(ranked_accounts(per_account, accounts), threshold)
    data = ranked.order_by("rank").to_pyarrow()
    n = data.num_rows
    word = METRIC_WORDS[metric]
    first = data.slice(0, 1).to_pylist()[0] if n else {}
    total = Decimal(str(first["total"])).quantize(_CENT) if n else Decimal(0)
    if total <= 0:
        raise InputError(
            f"the total {word} over {scope.range.text} is {total}; a Pareto curve "
            "needs a positive total"
        )
    k = int(str(first["k"]))
    at_k = float(str(data.column("cum_share")[k - 1].as_py()))
    rows = Rows(data.select([name for name, _ in OUTPUT_COLUMNS]))
    headline = (
        f"{k} of {n} accounts ({_count_percent(k / n)}) make {percent(at_k)} of {word}"
    )
    summary: dict[str, object] = {
        "accounts": n,
        "total": str(total),
        "k": k,
        "k_share": k / n,
        "cum_share_at_k": at_k,
        "top1_share": first["top1"],
        "top5_share": first["top5"],
        "top10_share": first["top10"],
        "hhi": first["hhi"],
        "gini": first["gini"],
        "headline": headline,
        "period_from": scope.range.label_from,
        "period_to": scope.range.label_to,
    }
    parameters: dict[str, object] = {
        "metric": metric,
        "period_from": scope.range.label_from,
        "period_to": scope.range.label_to,
        "threshold": threshold,
        "include_zero": include_zero,
        "fiscal_year_start": fiscal_year_start,
        "as_of": as_of.isoformat() if as_of else None,
    }
    warnings = list(scope.warnings)
    if include_zero and accounts is None:
        warnings.append("include_zero needs the Accounts sheet; no zero accounts added")
    return AnalysisResult("pareto", parameters, summary, rows, {}, warnings)


def pareto(
    tables: Mapping[str, ir.Table],
    *,
    metric: str = "revenue",
    period_from: str | None = None,
    period_to: str | None = None,
    threshold: float = 0.80,
    include_zero: bool = True,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AnalysisResult:
    """:func:`pareto_curve` over the canonical tables (``revenue``/``mrr``/``profit``,
    ``accounts``), keyed by store table name; see :func:`metric_values`."""
    return pareto_curve(
        metric_values(tables, metric),
        accounts=tables.get("accounts"),
        period_from=period_from,
        period_to=period_to,
        threshold=threshold,
        include_zero=include_zero,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        metric=metric,
    )
