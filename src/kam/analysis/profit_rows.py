"""The Profit rows summed per account, for the profit matrix (analyses.md §7).

- A row's cost to serve is ``cost_to_serve`` or, when only its parts are given,
  their sum; its profit ``net_revenue − cogs − cost_to_serve`` (a blank cogs counts
  as 0); its problems: negative cogs, parts that disagree with the given total, no
  cost to serve at all.
- Per account: the sums of those columns, the problem counts and, for a few
  products, the account–product sums the action grid reads (one set of columns per
  product, :data:`~kam.analysis.whale.PAIR_COLUMNS`).
- :func:`profit_accounts`: the same sums over every row of the sheet, which the
  engine materialises once per data version (:data:`PROFIT_ACCOUNTS`) and the
  matrix reads instead of the rows when its range takes every period.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from kam.analysis.periods import parse_period, resolve_range, select_periods
from kam.analysis.scores import ones
from kam.analysis.whale import PAIR_COLUMNS
from kam.errors import InputError, MissingDataError

__all__ = [
    "FIGURE_COLUMNS",
    "PIVOT_MOST",
    "PROFIT_ACCOUNTS",
    "account_figures",
    "account_sums",
    "given_parts",
    "money_scale",
    "pivot_count",
    "product_key",
    "products_of",
    "profit_accounts",
    "ratio",
    "reject_rows",
    "row_costs",
    "scope",
    "units",
]

#: Name of the per-data-version table of :func:`profit_accounts`.
PROFIT_ACCOUNTS = "_profit_accounts"
MONEY = "decimal(18, 2)"
PARTS = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")
#: Most products whose account–product sums the per-account query also gives (three
#: columns each), so that the grid needs no second pass over the Profit rows.
PIVOT_MOST = 8
#: The columns of :func:`account_figures` besides the per-product ones.
FIGURE_COLUMNS = (
    "account_id",
    "list_revenue",
    "net_revenue",
    "cogs",
    "cost_to_serve",
    "no_cts",
    "problems",
    "profit",
    "kept",
    "apart",
    "npi",
    "cts_share",
    "margin",
    "units",
)


def zero() -> ir.Scalar:
    return ibis.literal(Decimal("0.00"), type=MONEY)


def given_parts(t: ir.Table) -> list[str]:
    """The cost-to-serve parts of ``t`` that may hold a value: a part the source
    lacks (the engine fills it with a typed blank) is left out of the row
    expressions, which adds nothing to the sums and compiles faster."""
    op = t.op()
    values = op.values if isinstance(op, ops.Project) else {}
    return [
        p
        for p in PARTS
        if p in t.columns
        and not (isinstance(values.get(p), ops.Literal) and values[p].value is None)
    ]


def row_costs(t: ir.Table, parts: list[str]) -> ir.Table:
    """Each row's cost to serve (from the ``parts`` columns when not given), its
    profit ``p`` and its problem flags."""
    any_part: ir.BooleanValue = ibis.literal(False)
    total: ir.Value = zero()
    for p in parts:
        any_part = any_part | t[p].notnull()
        total = total + ibis.coalesce(t[p], zero())
    given = t.cost_to_serve
    cts = given
    mismatch: ir.BooleanValue = ibis.literal(False)
    no_cts: ir.BooleanValue = given.isnull()
    if parts:
        parts_sum = ibis.cases((any_part, total), else_=ibis.null(MONEY))
        cts = ibis.coalesce(given, parts_sum)
        mismatch = given.notnull() & any_part & (given != parts_sum)
        no_cts = no_cts & ~any_part
    return t.mutate(
        cts=cts,
        p=t.net_revenue - ibis.coalesce(t.cogs, zero()) - ibis.coalesce(cts, zero()),
        mismatch=ones(mismatch),
        no_cts=ones(no_cts),
        neg_cogs=ones((t.cogs < 0).fill_null(False)),
    )


def product_key(rows: ir.Table) -> ir.StringValue:
    """The row's product, a blank one as ``''``."""
    return ibis.coalesce(rows["product"], ibis.literal(""))


def products_of(rows: ir.Table, most: int = PIVOT_MOST) -> list[str] | None:
    """The products of ``rows`` (a blank one as ``''``), sorted, or ``None`` when
    there are more than ``most``."""
    # At most one more than the pivot takes: a ledger of many products stops there.
    found = (
        rows.select(product=product_key(rows)).distinct().limit(most + 1).to_pyarrow()
    )
    products = sorted(str(p) for p in found.column("product").to_pylist())
    return products if len(products) <= most else None


def account_sums(rows: ir.Table, products: list[str]) -> ir.Table:
    """Per account the sums of :func:`row_costs` rows and
    the account–product sums of ``products`` (:func:`_pivot`)."""
    return rows.group_by("account_id").agg(
        list_revenue=rows.list_revenue.sum(),
        net_revenue=rows.net_revenue.sum(),
        cogs=ibis.coalesce(rows.cogs, zero()).sum(),
        cost_to_serve=ibis.coalesce(rows.cts, zero()).sum(),
        no_cts=rows.no_cts.sum(),
        problems=(rows.mismatch + rows.neg_cogs).sum(),
        # The account–product sums of the grid, one column per product (few
        # products): no second grouping of the rows per pair.
        **_pivot(rows, product_key(rows), products),
    )


def account_figures(sums: ir.Table) -> ir.Table:
    """The figures of each account of :func:`account_sums` (:data:`FIGURE_COLUMNS`):
    its profit, whether it is ranked (net revenue > 0, ``kept``) or listed apart,
    NPI, CTS % and margin (floats, computed by the backend) and the profit in
    integer units of the money's smallest unit (:func:`units`). One select layer
    over the sums (each further layer costs compile time)."""
    profit = sums.net_revenue - sums.cogs - sums.cost_to_serve
    return sums.mutate(
        profit=profit,
        kept=sums.net_revenue > 0,
        apart=sums.net_revenue <= 0,
        npi=ratio(sums.net_revenue, sums.list_revenue),
        cts_share=ratio(sums.cost_to_serve, sums.net_revenue),
        margin=ratio(profit, sums.net_revenue),
        units=units(profit, money_scale(profit)),
    )


def profit_accounts(profit_table: ir.Table) -> ir.Table:
    """:func:`account_figures` of every row of the Profit sheet, with the
    per-product columns of its products in sorted order (none when there are more
    than :data:`PIVOT_MOST`). Queries the products."""
    rows = row_costs(profit_table, given_parts(profit_table))
    return account_figures(account_sums(rows, products_of(profit_table) or []))


def pivot_count(sums: ir.Table) -> int:
    """How many products the per-product columns of ``sums`` cover."""
    pair = PAIR_COLUMNS[0]
    n = 0
    while f"{pair}_{n}" in sums.columns:
        n += 1
    return n


def scope(
    profit_table: ir.Table,
    *,
    period_from: str | None,
    period_to: str | None,
    fiscal_year_start: int,
    as_of: date | None,
    most: int = PIVOT_MOST,
) -> tuple[ir.Table, str, list[str], list[str] | None, bool]:
    """The rows in range, the range, its warnings, the products of those rows (a
    blank one as ``''``, or ``None`` when there are more than
    ``most``), and whether the range keeps every row."""
    texts = profit_table.select("period").distinct().to_pyarrow()
    found = texts.column("period").to_pylist()
    if any(text is None for text in found):
        raise InputError("the Profit sheet has rows without a period")
    periods = [parse_period(text, what="Profit period") for text in found]
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
    texts_in = {p.text for p in chosen}
    kept = profit_table.filter(profit_table.period.isin([p.text for p in chosen]))
    whole = all(text in texts_in for text in found)
    return kept, rng.text, warnings, products_of(kept, most), whole


def money_scale(money: ir.Value) -> int:
    """Decimal places of a money column (2 when the backend does not say)."""
    scale = getattr(money.type(), "scale", None)
    return 2 if scale is None else int(scale)


def units(money: ir.NumericValue, scale: int) -> ir.IntegerValue:
    """A money value as an integer count of its smallest unit (cents).

    Narrowed to ``decimal(18, scale)`` (up to 10^16) and counted as whole units
    and the fraction apart: scaling a wide decimal (a sum is ``decimal(38, s)``) and
    casting it cost DuckDB ~10× more, and scaling the narrow one would overflow
    its 18 digits from 10^14 on."""
    narrow = money.cast(f"decimal(18, {scale})")
    whole = narrow.floor()
    cents = ((narrow - whole) * 10**scale).cast("int64")
    return whole.cast("int64") * 10**scale + cents


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den`` as a float, null when ``den`` is null or 0."""
    return ibis.cases(
        (den.notnull() & (den != 0), num.cast("float64") / den.cast("float64")),
        else_=ibis.null("float64"),
    )


def reject_rows(rows: ir.Table) -> None:
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
        parts = " + ".join(str(r[p] or 0) for p in PARTS if p in r)
        problems.append(
            f"account {r['account_id']}, period {r['period']}, product "
            f"{r['product'] or '(none)'}: cost_to_serve {r['cost_to_serve']} is not "
            f"the sum of its parts ({parts})"
        )
    if problems:
        raise InputError("Profit: " + "; ".join(problems))


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
