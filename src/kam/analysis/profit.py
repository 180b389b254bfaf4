"""The profit matrix: price, cost to serve and profit per account (analyses.md §7).

Per account over the range (default: the last complete fiscal year):

- ``NPI = net_revenue / list_revenue`` (net price index), ``CTS% = cost_to_serve /
  net_revenue``, profit ``π = net_revenue − cogs − cost_to_serve`` (exact decimal; a
  blank cogs counts as 0). A row's cost to serve is ``cost_to_serve`` or, when only
  its parts are given, their sum.
- Shapiro quadrants at the portfolio medians of NPI and CTS% (or set cut-offs);
  "high" means at or above the cut-off: high price & low CTS = passive, high price &
  high CTS = carriage trade, low price & low CTS = bargain basement, low price &
  high CTS = aggressive.
- Whale curve, customer classes A–D and the customer × product grid:
  :mod:`kam.analysis.whale`.
- Accounts with net revenue ≤ 0 are listed apart (table ``excluded``), outside the
  quadrants, the whale curve and the grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from kam.analysis.periods import resolve_range, select_periods
from kam.analysis.preagg import distinct_periods
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.scores import ones
from kam.analysis.selection import account_names
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.whale import (
    PAIR_COLUMNS,
    action_grid,
    pivot_cells,
    whale_columns,
    whale_summary,
)
from kam.errors import InputError, MissingDataError, ParameterError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "QUADRANTS", "profit", "profit_matrix"]

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "1 = the most profitable account; ties ordered by account_id"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("list_revenue", "revenue at list price (exact decimal; blank if not given)"),
    ("net_revenue", "revenue after discounts (exact decimal)"),
    ("cogs", "cost of goods sold (exact decimal)"),
    ("cost_to_serve", "cost to serve, given or the sum of its parts (exact decimal)"),
    ("profit", "net_revenue − cogs − cost_to_serve (exact decimal)"),
    ("npi", "net price index: net_revenue / list_revenue"),
    ("cts_share", "cost to serve / net revenue"),
    ("margin", "profit / net revenue"),
    ("quadrant", "passive, carriage trade, bargain basement or aggressive"),
    ("customer_class", "A–D: quartiles of profit, A the most profitable"),
    ("account_share", "rank / number of accounts (x of the whale curve)"),
    ("cum_profit_share", "cumulative profit / total profit (y of the whale curve)"),
)

#: Shapiro quadrant: (high price, high cost to serve) → name.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "passive",
    (True, True): "carriage trade",
    (False, False): "bargain basement",
    (False, True): "aggressive",
}

_MONEY = "decimal(18, 2)"
_PARTS = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")
#: Most products whose account–product sums the per-account query also gives (three
#: columns each), so that the grid needs no second pass over the Profit rows.
_PIVOT_MOST = 8


def _zero() -> ir.Scalar:
    return ibis.literal(Decimal("0.00"), type=_MONEY)


def _given_parts(t: ir.Table) -> list[str]:
    """The cost-to-serve parts of ``t`` that may hold a value: a part the source
    lacks (the engine fills it with a typed blank) is left out of the row
    expressions, which adds nothing to the sums and compiles faster."""
    op = t.op()
    values = op.values if isinstance(op, ops.Project) else {}
    return [
        p
        for p in _PARTS
        if p in t.columns
        and not (isinstance(values.get(p), ops.Literal) and values[p].value is None)
    ]


def _row_costs(t: ir.Table, parts: list[str]) -> ir.Table:
    """Each row's cost to serve (from the ``parts`` columns when not given), its
    profit ``p`` and its problem flags."""
    any_part: ir.BooleanValue = ibis.literal(False)
    total: ir.Value = _zero()
    for p in parts:
        any_part = any_part | t[p].notnull()
        total = total + ibis.coalesce(t[p], _zero())
    given = t.cost_to_serve
    cts = given
    mismatch: ir.BooleanValue = ibis.literal(False)
    no_cts: ir.BooleanValue = given.isnull()
    if parts:
        parts_sum = ibis.cases((any_part, total), else_=ibis.null(_MONEY))
        cts = ibis.coalesce(given, parts_sum)
        mismatch = given.notnull() & any_part & (given != parts_sum)
        no_cts = no_cts & ~any_part
    return t.mutate(
        cts=cts,
        p=t.net_revenue - ibis.coalesce(t.cogs, _zero()) - ibis.coalesce(cts, _zero()),
        mismatch=ones(mismatch),
        no_cts=ones(no_cts),
        neg_cogs=ones((t.cogs < 0).fill_null(False)),
    )


def _scope(
    profit_table: ir.Table,
    *,
    period_from: str | None,
    period_to: str | None,
    fiscal_year_start: int,
    as_of: date | None,
) -> tuple[ir.Table, str, list[str], list[str] | None]:
    """The rows in range, the range, its warnings, and the products of those rows
    (a blank one as ``''``), or ``None`` when there are more than
    :data:`_PIVOT_MOST`."""
    periods = distinct_periods(profit_table, sheet="Profit")
    if not periods:
        raise MissingDataError("the Profit sheet has no rows")
    rng, warnings = resolve_range(
        periods,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    chosen = select_periods(
        periods, rng, fiscal_year_start=fiscal_year_start, sheet="Profit"
    )
    if not chosen:
        raise InputError(f"the Profit sheet has no rows in {rng.text}")
    kept = profit_table.filter(profit_table.period.isin([p.text for p in chosen]))
    # At most one more than the pivot takes: a ledger of many products stops there.
    found = (
        kept.select(product=ibis.coalesce(kept["product"], ibis.literal("")))
        .distinct()
        .limit(_PIVOT_MOST + 1)
        .to_pyarrow()
    )
    products = sorted(str(p) for p in found.column("product").to_pylist())
    pivot = products if len(products) <= _PIVOT_MOST else None
    return kept, rng.text, warnings, pivot


def _reject_rows(rows: ir.Table) -> None:
    """InputError naming up to five rows per problem (negative cogs, parts that do
    not add up to the given cost to serve)."""
    problems: list[str] = []
    order = ["account_id", "period", "product"]
    neg = rows.filter(rows.neg_cogs == 1).order_by(order).limit(5)
    for r in neg.to_pyarrow().to_pylist():
        problems.append(
            f"account {r['account_id']}, period {r['period']}, product "
            f"{r['product'] or '(none)'}: cogs {r['cogs']} is negative, expected ≥ 0"
        )
    bad = rows.filter(rows.mismatch == 1).order_by(order).limit(5)
    for r in bad.to_pyarrow().to_pylist():
        parts = " + ".join(str(r[p] or 0) for p in _PARTS if p in r)
        problems.append(
            f"account {r['account_id']}, period {r['period']}, product "
            f"{r['product'] or '(none)'}: cost_to_serve {r['cost_to_serve']} is not "
            f"the sum of its parts ({parts})"
        )
    if problems:
        raise InputError("Profit: " + "; ".join(problems))


def _median(values: Any) -> float | None:
    """Median of a float array, blanks (NaN) left out; ``None`` when all are."""
    present = values[values == values]
    n = len(present)
    if not n:
        return None
    mid = n // 2
    # The middle values put in place without sorting the rest.
    if n % 2:
        present.partition(mid)
        return float(present[mid])
    present.partition([mid - 1, mid])
    return float((present[mid - 1] + present[mid]) / 2)


def _sum(column: Any) -> int:
    """Sum of an integer column of a fetched table, nulls counting 0."""
    if column.null_count:
        return sum(int(v) for v in column.to_pylist() if v)
    return int(column.to_numpy().sum())


def _scale(money: ir.Value) -> int:
    """Decimal places of a money column (2 when the backend does not say)."""
    scale = getattr(money.type(), "scale", None)
    return 2 if scale is None else int(scale)


def _units(money: ir.NumericValue, scale: int) -> ir.IntegerValue:
    """A money value as an integer count of its smallest unit (cents).

    Narrowed to ``decimal(18, scale)`` (up to 10^16) and counted as whole units
    and the fraction apart: scaling a wide decimal (a sum is ``decimal(38, s)``) and
    casting it cost DuckDB ~10× more, and scaling the narrow one would overflow
    its 18 digits from 10^14 on."""
    narrow = money.cast(f"decimal(18, {scale})")
    whole = narrow.floor()
    cents = ((narrow - whole) * 10**scale).cast("int64")
    return whole.cast("int64") * 10**scale + cents


def _quadrant_counts(
    npis: Any, ctss: Any, npi_cut: float | None, cts_cut: float | None
) -> dict[str, int]:
    """Accounts per Shapiro quadrant (arrays, NaN when blank)."""
    if npi_cut is None or cts_cut is None:
        return dict.fromkeys(QUADRANTS.values(), 0)
    known = (npis == npis) & (ctss == ctss)
    high_p, high_c = npis >= npi_cut, ctss >= cts_cut
    return {
        q: int((known & (high_p == p) & (high_c == c)).sum())
        for (p, c), q in QUADRANTS.items()
    }


def profit_matrix(
    profit_table: ir.Table,
    *,
    accounts: ir.Table | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    npi_cutoff: float | None = None,
    cts_cutoff: float | None = None,
    assume_zero_cts: bool = False,
    policies: Mapping[str, str] | None = None,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AnalysisResult:
    """NPI, CTS %, profit, quadrant, customer class and whale curve per account.

    ``profit_table``: the Profit table; ``accounts``: names. ``npi_cutoff`` and
    ``cts_cutoff`` default to the medians over the accounts with net revenue > 0.
    ``assume_zero_cts``: rows without any cost to serve count it as 0 (said in a
    warning) instead of being an error. ``policies``: labels of the action grid by
    cell (``"A1"`` … ``"D4"``) replacing the defaults.

    Rows: :data:`OUTPUT_COLUMNS`, by profit (rank). Tables: ``excluded`` (accounts
    with net revenue ≤ 0), ``grid`` (the 16 cells: customer_class, product_class,
    pairs, net_revenue, profit, policy), ``products`` (product, net_revenue,
    profit, margin, product_class). Raises InputError for negative cogs, parts that
    disagree with the given total, or a missing cost to serve.
    """
    for name, cut in (("npi_cutoff", npi_cutoff), ("cts_cutoff", cts_cutoff)):
        if cut is not None and not cut >= 0:
            raise ParameterError(name, f"{cut!r} is not a number ≥ 0")
    kept, range_text, warnings, products = _scope(
        profit_table,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    rows_t = _row_costs(kept, _given_parts(profit_table))
    product = ibis.coalesce(rows_t["product"], ibis.literal(""))
    per_account = rows_t.group_by("account_id").agg(
        list_revenue=rows_t.list_revenue.sum(),
        net_revenue=rows_t.net_revenue.sum(),
        cogs=ibis.coalesce(rows_t.cogs, _zero()).sum(),
        cost_to_serve=ibis.coalesce(rows_t.cts, _zero()).sum(),
        no_cts=rows_t.no_cts.sum(),
        problems=(rows_t.mismatch + rows_t.neg_cogs).sum(),
        # The account–product sums of the grid, one column per product (few
        # products): no second grouping of the rows per pair.
        **_pivot(rows_t, product, products or []),
    )
    a = per_account
    # One query ranks the accounts with net revenue > 0 apart from the others;
    # ratios are floats, computed by the backend. One select layer over the sums
    # (each further layer costs compile time).
    profit = a.net_revenue - a.cogs - a.cost_to_serve
    scale = _scale(profit)
    a = a.mutate(
        profit=profit,
        kept=a.net_revenue > 0,
        apart=a.net_revenue <= 0,
        npi=_ratio(a.net_revenue, a.list_revenue),
        cts_share=_ratio(a.cost_to_serve, a.net_revenue),
        margin=_ratio(profit, a.net_revenue),
        units=_units(profit, scale),
    )
    # Ranks, classes and the whale curve are running sums over the profit in
    # exact integers of the money's smallest unit, in the order profit descending,
    # account_id ascending (by code point, as DuckDB, Spark and PostgreSQL's "C"
    # collation order text; blanks last). The fetched table sorts itself: an
    # ORDER BY made the backend carry every column through its sort, ~3× slower.
    # Only the columns read in that order are sorted.
    fetched = a.to_pyarrow()
    ordered = fetched.drop_columns(["apart", "no_cts", "problems"]).sort_by(
        [("units", "descending"), ("account_id", "ascending")]
    )
    data = ordered.filter(ordered.column("kept"))
    # The names are looked up as the rows are read (a join cost the backend a
    # fifth of this query).
    names = account_names(accounts)
    excluded = sorted(
        fetched.filter(fetched.column("apart"))
        .select(["account_id", "net_revenue"])
        .to_pylist(),
        key=lambda r: str(r["account_id"]),
    )
    if _sum(fetched.column("problems")):
        _reject_rows(rows_t)
    missing_cts = _sum(fetched.column("no_cts"))
    if missing_cts:
        if not assume_zero_cts:
            raise InputError(
                f"Profit: {missing_cts} rows have no cost_to_serve and none of its "
                "parts; fill them or run with assume_zero_cts=true"
            )
        warnings.append(f"cost to serve assumed zero on {missing_cts} rows")
    units = data.column("units").to_numpy()
    curve, figures = whale_columns(units, scale)
    for name, values in curve.items():
        data = data.append_column(name, [values])
    npis = data.column("npi").to_numpy()
    ctss = data.column("cts_share").to_numpy()
    npi_cut = npi_cutoff if npi_cutoff is not None else _median(npis)
    cts_cut = cts_cutoff if cts_cutoff is not None else _median(ctss)
    rows = Rows(
        data.select([c for c, _ in OUTPUT_COLUMNS if c not in ("name", "quadrant")]),
        _with_quadrant(npi_cut, cts_cut, names),
    )
    # The grid: the account–product sums of the scoped rows, classed against the
    # fetched ranking: summed per class from the fetched columns when the query
    # gave them, else one flat query.
    if products is None:
        pairs = rows_t.group_by("account_id", product=product).agg(
            net=rows_t.net_revenue.sum(), p=rows_t.p.sum()
        )
        grid, product_rows = action_grid(pairs, data, policies=policies)
    else:
        cells = pivot_cells(data, products)
        grid, product_rows = action_grid(None, data, policies=policies, cells=cells)
    summary: dict[str, object] = {
        "accounts": data.num_rows,
        "excluded": len(excluded),
        "range": range_text,
        "npi_cutoff": npi_cut,
        "cts_cutoff": cts_cut,
        "quadrants": _quadrant_counts(npis, ctss, npi_cut, cts_cut),
        **whale_summary(figures),
    }
    if excluded:
        warnings.append(
            f"{len(excluded)} accounts with net revenue ≤ 0 are listed apart: "
            + ", ".join(str(r["account_id"]) for r in excluded[:5])
        )
    parameters: dict[str, object] = {
        "period_from": period_from,
        "period_to": period_to,
        "npi_cutoff": npi_cutoff,
        "cts_cutoff": cts_cutoff,
        "assume_zero_cts": assume_zero_cts,
        "fiscal_year_start": fiscal_year_start,
        "as_of": as_of.isoformat() if as_of else None,
    }
    apart: list[dict[str, object]] = [
        {
            "account_id": r["account_id"],
            "name": names(r["account_id"]),
            "net_revenue": r["net_revenue"],
        }
        for r in excluded
    ]
    return AnalysisResult(
        "profit",
        parameters,
        summary,
        rows,
        {"excluded": apart, "grid": grid, "products": product_rows},
        warnings,
    )


def _pivot(
    rows: ir.Table, product: ir.StringValue, products: list[str]
) -> dict[str, ir.Value]:
    """Per product number ``i`` (of ``products``) the aggregates of the account's
    rows of that product that :func:`~kam.analysis.whale.pivot_cells` reads:
    whether it has any (1/0), their net revenue and their profit."""
    pair, net, p = PAIR_COLUMNS
    out: dict[str, ir.Value] = {}
    for i, name in enumerate(products):
        here = product == name
        out[f"{pair}_{i}"] = ones(here).max()
        out[f"{net}_{i}"] = ibis.cases((here, rows.net_revenue)).sum()
        out[f"{p}_{i}"] = ibis.cases((here, rows.p)).sum()
    return out


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den`` as a float, null when ``den`` is null or 0."""
    return ibis.cases(
        (den.notnull() & (den != 0), num.cast("float64") / den.cast("float64")),
        else_=ibis.null("float64"),
    )


def _with_quadrant(
    npi_cut: float | None,
    cts_cut: float | None,
    names: Callable[[object], object],
) -> Callable[[dict[str, object]], dict[str, object]]:
    """The row handed out: the fetched columns, the account's name (``names``)
    and the quadrant at the cut-offs."""

    def convert(row: dict[str, object]) -> dict[str, object]:
        npi, cts = row["npi"], row["cts_share"]
        quadrant = None
        if (
            isinstance(npi, float)
            and isinstance(cts, float)
            and npi_cut is not None
            and cts_cut is not None
        ):
            quadrant = QUADRANTS[(npi >= npi_cut, cts >= cts_cut)]
        out = {c: row.get(c) for c, _ in OUTPUT_COLUMNS}
        out["name"] = names(row["account_id"])
        out["quadrant"] = quadrant
        return out

    return convert


def profit(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`profit_matrix` over the canonical tables keyed by store table name."""
    return profit_matrix(
        tables["profit"],
        accounts=tables.get("accounts"),
        **options,  # type: ignore[arg-type]
    )


ANALYSIS = Analysis(
    name="profit",
    title="Profit matrix",
    description="Net price, cost to serve and profit per account: Shapiro "
    "quadrants, whale curve and the customer × product action grid.",
    parameters=(
        Parameter(
            "period_from",
            "period",
            None,
            "first period of the range (default: the last complete fiscal year)",
        ),
        Parameter("period_to", "period", None, "last period of the range"),
        Parameter(
            "npi_cutoff",
            "float",
            None,
            "net price index splitting high from low price (default: the median)",
            minimum=0,
        ),
        Parameter(
            "cts_cutoff",
            "float",
            None,
            "cost-to-serve share splitting high from low cost (default: the median)",
            minimum=0,
        ),
        Parameter(
            "assume_zero_cts",
            "bool",
            False,
            "count a row without any cost to serve as 0 instead of refusing it",
        ),
        Parameter(
            "fiscal_year_start",
            "int",
            1,
            "first month of the fiscal year",
            minimum=1,
            maximum=12,
            setting="fiscal_year_start",
        ),
        Parameter("as_of", "date", None, "date the data describes", setting="as_of"),
    ),
    needs=("Profit",),
    output_columns=OUTPUT_COLUMNS,
    run=profit,
)
