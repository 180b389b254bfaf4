"""Whale curve, customer classes and the customer × product action grid
(analyses.md §7).

- Accounts sorted by profit (descending, ties by account_id); the whale curve plots
  the cumulative profit share (y) against the share of accounts (x). It ends at
  100 %; its peak is the most profit the best accounts make before the
  loss-makers give some of it back.
- Customer class A–D: quartiles of that order (``NTILE(4)``), A the most profitable.
- Product class 1–4: quartiles of the products ordered by margin % (profit / net
  revenue over the portfolio), 1 the highest margin.
- Grid cell (customer class, product class): account–product pairs, net revenue
  and profit, and a policy label (:data:`DEFAULT_POLICIES`, replaceable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.errors import ParameterError

__all__ = [
    "CUSTOMER_CLASSES",
    "DEFAULT_POLICIES",
    "PAIR_COLUMNS",
    "PRODUCT_CLASSES",
    "action_grid",
    "class_sizes",
    "pivot_cells",
    "whale_columns",
    "whale_summary",
]

#: Prefixes of the per-product columns :func:`pivot_cells` reads (``<prefix>_<i>``
#: for product number ``i``): the account has rows of the product (1/0), their net
#: revenue, their profit.
PAIR_COLUMNS = ("pair", "pair_net", "pair_p")

CUSTOMER_CLASSES = "ABCD"
PRODUCT_CLASSES = (1, 2, 3, 4)

#: Service policy per cell (customer class + product class), after the template.
DEFAULT_POLICIES: dict[str, str] = {
    "A1": "perfection / never miss",
    "A2": "high service",
    "A3": "high service, watch the cost",
    "A4": "keep it working / cut the cost",
    "B1": "high service",
    "B2": "standard service",
    "B3": "standard service",
    "B4": "standard service, review the cost",
    "C1": "standard service, grow the account",
    "C2": "standard service",
    "C3": "basic service",
    "C4": "basic service",
    "D1": "grow the account / upsell",
    "D2": "basic service",
    "D3": "basic service / reprice",
    "D4": "tough it out / outsource",
}


def class_sizes(n: int) -> list[int]:
    """Accounts in classes A–D for ``n`` accounts in profit order: quartiles as
    ``NTILE(4)`` cuts them (the first ``n mod 4`` classes one account larger)."""
    return [n // 4 + (1 if k < n % 4 else 0) for k in range(len(CUSTOMER_CLASSES))]


def whale_columns(
    units: Any, scale: int
) -> tuple[dict[str, Any], dict[str, object] | None]:
    """The whale-curve columns of accounts in profit order, and the figures
    :func:`whale_summary` reads.

    ``units``: each account's profit in units of ``10^-scale`` (an int64 array,
    highest profit first; the fetched result's own array, this layer imports no
    array library), so running sums are exact. Columns: ``rank`` (1…n),
    ``customer_class``, ``account_share`` (rank / n) and ``cum_profit_share``
    (running profit / total, null when the total is not positive).
    """
    n = len(units)
    rank = (units == units).cumsum()
    cum = units.cumsum()
    total = int(cum[-1]) if n else 0
    letters: list[str] = []
    for letter, size in zip(CUSTOMER_CLASSES, class_sizes(n), strict=True):
        letters += [letter] * size
    losses = units[units < 0]
    columns: dict[str, Any] = {
        "rank": rank,
        "customer_class": letters,
        "account_share": rank / max(n, 1),
        "cum_profit_share": cum / total if total > 0 else [None] * n,
    }
    if n == 0:
        return columns, None

    def money(value: int) -> Decimal:
        return Decimal(int(value)).scaleb(-scale)

    figures: dict[str, object] = {
        "total": money(total),
        "peak": money(cum.max()),
        "eroded": money(-int(losses.sum())),
        "n": n,
        "loss_makers": len(losses),
        "peak_accounts": int(cum.argmax()) + 1,
    }
    return columns, figures


def whale_summary(first: Mapping[str, object] | None) -> dict[str, object]:
    """Headline figures of the whale curve, from the figures of
    :func:`whale_columns` (``first``; ``None`` when there is no account).

    ``total_profit``, ``peak_profit`` (decimal strings), ``peak_share`` (height of
    the curve's peak, e.g. 1.5 = 150 %), ``peak_accounts`` (accounts up to the
    peak), ``peak_account_share``, ``loss_makers`` (profit < 0), ``profit_eroded``
    (−Σ negative profit, a decimal string), ``eroded_share`` (of the peak profit)
    and ``curve_end`` (1.0 when total profit is positive).
    """
    zero = Decimal("0.00")
    if first is None:
        total, peak, eroded, n, losers, at = zero, zero, zero, 0, 0, 0
    else:
        total = _dec(first["total"])
        peak = max(_dec(first["peak"]), zero)
        eroded = _dec(first["eroded"])
        n, losers = int(str(first["n"])), int(str(first["loss_makers"]))
        at = int(str(first["peak_accounts"])) if peak > 0 else 0
    positive = total > 0
    return {
        "total_profit": str(total),
        "peak_profit": str(peak),
        "peak_share": float(peak / total) if positive else None,
        "peak_accounts": at,
        "peak_account_share": at / n if n else None,
        "loss_makers": losers,
        "profit_eroded": str(eroded),
        "eroded_share": float(eroded / peak) if peak > 0 else None,
        "curve_end": 1.0 if positive else None,
    }


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _policies(given: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(DEFAULT_POLICIES)
    for cell, label in (given or {}).items():
        key = str(cell).strip().upper().replace("×", "").replace("X", "")
        if key not in out:
            raise ParameterError(
                "policies", f"{cell!r} is not a cell of the grid (A1 … D4)"
            )
        out[key] = str(label)
    return out


def _cells(pairs: ir.Table, classes: Any) -> list[dict[str, Any]]:
    """The pairs of ``pairs`` joined to their account's class and summed per
    customer class and product: ``customer_class``, ``product``, ``pairs``,
    ``net``, ``p``."""
    ranked = classes.select(["account_id", "customer_class"])
    if pairs.get_backend().name == "duckdb":
        # DuckDB reads the fetched classes in place, so the join runs there.
        cls = ibis.memtable(ranked).rename(acc_c="account_id")
        j = pairs.inner_join(cls, pairs.account_id == cls.acc_c)
        summed = j.group_by("customer_class", "product").agg(
            pairs=j.count(), net=j.net.sum(), p=j.p.sum()
        )
        out: list[dict[str, Any]] = summed.to_pyarrow().to_pylist()
        return out
    # Elsewhere the classes would be uploaded row by row: join the fetched pairs.
    joined = pairs.to_pyarrow().join(
        ranked, "account_id", join_type="inner", use_threads=False
    )
    summed = joined.group_by(["customer_class", "product"]).aggregate(
        [("account_id", "count"), ("net", "sum"), ("p", "sum")]
    )
    names = {"account_id_count": "pairs", "net_sum": "net", "p_sum": "p"}
    return [{names.get(k, k): v for k, v in row.items()} for row in summed.to_pylist()]


def pivot_cells(classes: Any, products: Sequence[str]) -> list[dict[str, Any]]:
    """The cells of :func:`_cells` from the fetched ranked accounts ``classes``
    when they carry their account–product sums, one set of columns per product
    number ``i`` of ``products`` (:data:`PAIR_COLUMNS`): summed per customer class
    by the table itself (exact decimals), the cells without pairs left out."""
    if not classes.num_rows or not products:
        return []
    names = [f"{c}_{i}" for i in range(len(products)) for c in PAIR_COLUMNS]
    summed = classes.group_by("customer_class").aggregate([(n, "sum") for n in names])
    pair, net, p = PAIR_COLUMNS
    out: list[dict[str, Any]] = []
    for row in summed.to_pylist():
        for i, product in enumerate(products):
            count = int(row[f"{pair}_{i}_sum"] or 0)
            if count:
                out.append(
                    {
                        "customer_class": row["customer_class"],
                        "product": product,
                        "pairs": count,
                        "net": row[f"{net}_{i}_sum"],
                        "p": row[f"{p}_{i}_sum"],
                    }
                )
    return out


def action_grid(
    pairs: ir.Table | None,
    classes: Any,
    *,
    policies: Mapping[str, str] | None = None,
    cells: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The 16 cells of customer class × product class, and the product classes.

    ``pairs``: the account–product sums (``account_id``, ``product``, a blank
    product as ``''``; ``net``: net revenue, ``p``: profit, exact decimals);
    ``classes``: the fetched ranked accounts with their ``customer_class`` (the
    accounts with net revenue > 0, which alone enter the grid). ``cells``: those
    pairs summed per customer class and product already (:func:`pivot_cells`),
    read instead of ``pairs``. Product classes are ``NTILE(4)`` over the products
    by margin (descending, blanks last) and product, cut by :func:`class_sizes`.
    Cells without pairs have zeros.
    """
    zero = Decimal("0.00")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if cells is None and pairs is not None and classes.num_rows:
        cells = _cells(pairs, classes)
    if classes.num_rows:
        for g in cells or []:
            found[(str(g["customer_class"]), str(g["product"]))] = {
                "pairs": int(g["pairs"]),
                "net": g["net"],
                "p": g["p"],
            }
    products_by: dict[str, dict[str, Any]] = {}
    for (_, product), cell in found.items():
        row = products_by.setdefault(
            product, {"product": product, "net_revenue": zero, "profit": zero}
        )
        row["net_revenue"] += cell["net"]
        row["profit"] += cell["p"]
    for row in products_by.values():
        net, p = row["net_revenue"], row["profit"]
        row["margin"] = float(p) / float(net) if net > 0 else None
    ordered = sorted(
        products_by.values(),
        key=lambda r: (r["margin"] is None, -(r["margin"] or 0.0), r["product"]),
    )
    at = 0
    for k, size in zip(PRODUCT_CLASSES, class_sizes(len(ordered)), strict=True):
        for row in ordered[at : at + size]:
            row["product_class"] = k
        at += size
    labels = _policies(policies)
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for (c, product), cell in found.items():
        key = (c, int(products_by[product]["product_class"]))
        total = totals.setdefault(key, {"pairs": 0, "net": zero, "p": zero})
        for name in ("pairs", "net", "p"):
            total[name] += cell[name]
    out: list[dict[str, object]] = []
    for c in CUSTOMER_CLASSES:
        for k in PRODUCT_CLASSES:
            cell = totals.get((c, k), {"pairs": 0, "net": zero, "p": zero})
            out.append(
                {
                    "customer_class": c,
                    "product_class": k,
                    "pairs": cell["pairs"],
                    "net_revenue": cell["net"],
                    "profit": cell["p"],
                    "policy": labels[f"{c}{k}"],
                }
            )
    product_rows = [
        {
            "product": r["product"],
            "net_revenue": r["net_revenue"],
            "profit": r["profit"],
            "margin": r["margin"],
            "product_class": r["product_class"],
        }
        for r in sorted(
            products_by.values(), key=lambda r: (r["product_class"], r["product"])
        )
    ]
    return out, product_rows
