"""The profit matrix: price, cost to serve and profit per account (analyses.md §7).

Per account over the range (default: the last complete fiscal year):

- ``NPI = net_revenue / list_revenue`` (net price index), ``CTS% = cost_to_serve /
  net_revenue``, profit ``π = net_revenue − cogs − cost_to_serve`` (exact decimal; a
  blank cogs counts as 0). A row's cost to serve is ``cost_to_serve`` or, when only
  its parts are given, their sum (the rows and their sums per account:
  :mod:`kam.analysis.profit_rows`; the engine keeps the sums of every row once per
  data version, read when the range takes every period).
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
from typing import Any

import ibis.expr.types as ir

from kam.analysis.lookups import account_names
from kam.analysis.profit_rows import (
    FIGURE_COLUMNS,
    PIVOT_MOST,
    PROFIT_ACCOUNTS,
    account_figures,
    account_sums,
    given_parts,
    money_scale,
    pivot_count,
    product_key,
    reject_rows,
    row_costs,
    scope,
)
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.whale import (
    PAIR_COLUMNS,
    action_grid,
    pivot_cells,
    whale_columns,
    whale_summary,
)
from kam.errors import InputError, ParameterError

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

#: Most products whose account–product sums the per-account query also gives.
_PIVOT_MOST = PIVOT_MOST


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
    prepared: ir.Table | None = None,
) -> AnalysisResult:
    """NPI, CTS %, profit, quadrant, customer class and whale curve per account.

    ``profit_table``: the Profit table; ``accounts``: names. ``npi_cutoff`` and
    ``cts_cutoff`` default to the medians over the accounts with net revenue > 0.
    ``assume_zero_cts``: rows without any cost to serve count it as 0 (said in a
    warning) instead of being an error. ``policies``: labels of the action grid by
    cell (``"A1"`` … ``"D4"``) replacing the defaults. ``prepared``: the sheet's
    per-account sums (:func:`~kam.analysis.profit_rows.profit_accounts`), read
    instead of the rows when the range keeps every row.

    Rows: :data:`OUTPUT_COLUMNS`, by profit (rank). Tables: ``excluded`` (accounts
    with net revenue ≤ 0), ``grid`` (the 16 cells: customer_class, product_class,
    pairs, net_revenue, profit, policy), ``products`` (product, net_revenue,
    profit, margin, product_class). Raises InputError for negative cogs, parts that
    disagree with the given total, or a missing cost to serve.
    """
    for name, cut in (("npi_cutoff", npi_cutoff), ("cts_cutoff", cts_cutoff)):
        if cut is not None and not cut >= 0:
            raise ParameterError(name, f"{cut!r} is not a number ≥ 0")
    kept, range_text, warnings, products, whole = scope(
        profit_table,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        most=_PIVOT_MOST,
    )
    rows_t = row_costs(kept, given_parts(profit_table))
    a = _stored_figures(prepared, products) if whole else None
    if a is None:
        a = account_figures(account_sums(rows_t, products or []))
    scale = money_scale(a.profit)
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
        reject_rows(rows_t)
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
        product = product_key(rows_t)
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


def _stored_figures(
    prepared: ir.Table | None, products: list[str] | None
) -> ir.Table | None:
    """The columns of ``prepared`` (the figures of every row) that the query reads
    for ``products`` (``None``: more than the pivot takes), or ``None`` when it
    lacks one or covers other products than ``products``."""
    if prepared is None or not set(FIGURE_COLUMNS) <= set(prepared.columns):
        return None
    columns = list(FIGURE_COLUMNS)
    if products is not None:
        if pivot_count(prepared) != len(products):
            return None
        columns += [f"{c}_{i}" for i in range(len(products)) for c in PAIR_COLUMNS]
    return prepared.select(columns)


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
        prepared=tables.get(PROFIT_ACCOUNTS),
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
