"""Pareto: how concentrated a metric is, and who the vital few are (analyses.md §1).

The ranking, running totals, shares, the vital-few cut and the concentration
figures are one Ibis expression (window functions, group-bys and joins only, so it
runs on DuckDB, PostgreSQL and Spark), fetched as Arrow in one query, in rank
order. The per-account sums come from :func:`kam.analysis.period_reads.period_sums`
(the yearly rollup for whole years, when the engine has one). Over exactly one
calendar year, the ranks the engine stores once per data version are read instead
of ranking again (:mod:`kam.analysis.pareto_ranks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.preagg import (
    METRIC_WORDS,
    metric_values,
    narrow_money,
    period_sums,
    scoped_values,
    zero_like,
)
from kam.analysis.result import AnalysisResult, Rows
from kam.errors import InputError, ParameterError

__all__ = [
    "OUTPUT_COLUMNS",
    "gini",
    "in_rank_order",
    "pareto",
    "pareto_curve",
    "percent",
    "ranked_accounts",
    "summary_figures",
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


def ranked_accounts(
    per_account: ir.Table, threshold: float, money: dt.DataType | None = None
) -> ir.Table:
    """Rank ``account_id, value`` rows (``name`` too when they carry it, see
    :func:`with_accounts`) in one select over them and their one-row totals (a cross
    join): account_id, name, rank, value, share, cum_share, rank_pct, vital_few and
    ``total`` (exact), unordered: sort by ``rank``.

    ``vital_few`` is the cumulative share *before* the account below ``threshold``:
    the cumulative shares rise with the rank, so these are the ranks up to the first
    one whose cumulative share reaches it (see :func:`summary_figures`). The running
    sum stays exact (the value type), so that this rule sees the shares of the rows.

    ``money``: a narrower decimal that holds every sum of the values (see
    :func:`kam.analysis.facts.narrow_money`), for the ranking: the window runs
    faster on it; ``value`` and ``total`` come out as before.
    """
    if "name" not in per_account.columns:
        per_account = per_account.mutate(name=ibis.null("string"))
    wide = per_account.value.type()
    if money is not None:
        per_account = per_account.mutate(value=per_account.value.cast(money))
    value = per_account.value
    # Descending values, ties by id. The value as a double first: the same order (the
    # cast keeps it, and the exact value decides where doubles tie), and DuckDB sorts
    # on a double several times faster than on a decimal(38, 2).
    running = ibis.window(
        order_by=[value.cast("float64").desc(), value.desc(), per_account.account_id],
        rows=(None, 0),
    )
    ranked = per_account.select(
        "account_id",
        "name",
        "value",
        rank=ibis.row_number().over(running) + 1,
        cum=value.sum().over(running),
    )
    # NULLIF: PostgreSQL raises on a division by zero; a zero total is rejected later.
    sums = per_account.aggregate(
        total=value.sum(),
        denominator=value.sum().cast("float64").nullif(0.0),
        n=per_account.count().cast("float64"),
    )
    # The shares outside the window's select: DuckDB then evaluates each window
    # function once, not once per expression that uses it.
    t = ranked.cross_join(sums)
    return t.select(
        "account_id",
        "name",
        "rank",
        value=t.value.cast(_MONEY),
        share=t.value.cast("float64") / t.denominator,
        cum_share=t.cum.cast("float64") / t.denominator,
        rank_pct=t.rank.cast("float64") / t.n,
        vital_few=(t.cum - t.value).cast("float64") / t.denominator < threshold,
        total=t.total if money is None else t.total.cast(wide),
    )


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


def in_rank_order(data: Any) -> Any:
    """The fetched rows of :func:`ranked_accounts` sorted by rank.

    No ORDER BY in the query: DuckDB would sort every fetched column once more,
    although its window hands the rows over in rank order already. A pass over the
    rank column checks that (ranks are 1..n, so rising ranks are sorted ones); rows
    in another order (another backend) are sorted in Arrow.
    """
    ranks = data.column("rank").to_numpy()
    if len(ranks) < 2 or bool((ranks[1:] > ranks[:-1]).all()):
        return data
    return data.sort_by("rank")


def summary_figures(data: Any) -> dict[str, Any]:
    """The concentration figures of the rows of :func:`ranked_accounts`, fetched in
    rank order: ``k`` (the vital few), ``at_k`` (cum_share at rank k), ``top1``,
    ``top5``, ``top10`` (cum_share at rank min(m, n)), ``hhi`` (Σ share²) and ``gini``.

    Gini from the cumulative shares ``c_r``: ``Σ_r (n + 1 − 2r) x_r = 2 Σ_r C_r −
    (n + 1) T`` (``C_r`` the running sum, ``T`` the total), so ``G = (2 Σ_r c_r −
    (n + 1)) / n`` (see :func:`gini`). The sums run over the columns' own
    ``to_numpy`` arrays (pairwise summation).
    """
    n = data.num_rows
    cum_share = data.column("cum_share")
    share = data.column("share").to_numpy()
    k = max(int(data.column("vital_few").to_numpy().sum()), 1)
    gini_value = (2 * float(cum_share.to_numpy().sum()) - (n + 1)) / n
    return {
        "k": k,
        "at_k": float(cum_share[k - 1].as_py()),
        **{f"top{m}": float(cum_share[min(m, n) - 1].as_py()) for m in (1, 5, 10)},
        "hhi": float((share * share).sum()),
        "gini": max(gini_value, 0.0),
    }


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
    # Imported here: the stored ranks build on the ABC rules, which use percent().
    from kam.analysis.lookups import account_names
    from kam.analysis.pareto_ranks import stored_curve

    rng = scope.range
    # One whole calendar year: its ranks are stored once per data version when the
    # engine keeps them for these values (kam.analysis.pareto_ranks).
    whole_year = (
        fiscal_year_start == 1 and rng.first % 12 == 0 and rng.last == rng.first + 11
    )
    data = (
        stored_curve(
            values,
            f"{rng.first // 12:04d}",
            accounts=accounts,
            include_zero=include_zero,
            threshold=threshold,
        )
        if whole_year
        else None
    )
    name_of = None
    if data is not None:
        # The names are looked up when a row is read.
        name_of = account_names(accounts)
    else:
        per_account = period_sums(values, [p.text for p in scope.periods])
        if accounts is not None:
            per_account = with_accounts(
                per_account, accounts, include_zero=include_zero
            )
        ranked = ranked_accounts(per_account, threshold, narrow_money(values))
        data = in_rank_order(ranked.to_pyarrow())
    n = data.num_rows
    word = METRIC_WORDS[metric]
    total = (
        Decimal(str(data.column("total")[0].as_py())).quantize(_CENT)
        if n
        else Decimal(0)
    )
    if total <= 0:
        raise InputError(
            f"the total {word} over {scope.range.text} is {total}; a Pareto curve "
            "needs a positive total"
        )
    figures = summary_figures(data)
    k = int(figures["k"])
    at_k = float(figures["at_k"])
    if name_of is None:
        rows = Rows(data.select([name for name, _ in OUTPUT_COLUMNS]))
    else:
        fetched = [c for c, _ in OUTPUT_COLUMNS if c != "name"]
        rows = Rows(data.select(fetched), named(name_of))
    headline = (
        f"{k} of {n} accounts ({_count_percent(k / n)}) make {percent(at_k)} of {word}"
    )
    summary: dict[str, object] = {
        "accounts": n,
        "total": str(total),
        "k": k,
        "k_share": k / n,
        "cum_share_at_k": at_k,
        "top1_share": figures["top1"],
        "top5_share": figures["top5"],
        "top10_share": figures["top10"],
        "hhi": figures["hhi"],
        "gini": figures["gini"],
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


def named(
    name_of: Callable[[object], object],
) -> Callable[[dict[str, object]], dict[str, object]]:
    """A row of :data:`OUTPUT_COLUMNS` from a fetched row without ``name``: the
    name looked up by account id."""

    def convert(r: dict[str, object]) -> dict[str, object]:
        return {
            c: (name_of(r["account_id"]) if c == "name" else r[c])
            for c, _ in OUTPUT_COLUMNS
        }

    return convert


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
