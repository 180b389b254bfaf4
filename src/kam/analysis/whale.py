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
    "PRODUCT_CLASSES",
    "action_grid",
    "class_sizes",
    "whale_columns",
    "whale_summary",
]

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

_MONEY = "decimal(18, 2)"


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


def action_grid(
    rows: ir.Table,
    accounts: ir.Table,
    starts: Sequence[tuple[int, str] | None],
    *,
    policies: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The 16 cells of customer class × product class, and the product classes.

    ``rows``: Profit rows with ``cts`` (each row's cost to serve); ``accounts``:
    the accounts ranked (``account_id``, ``units``: profit in the units of
    :func:`whale_columns`); ``starts``: the first account of classes B, C and D
    (its units and account_id; ``None`` for an empty class). An account's class
    follows from where it falls against these in the order profit descending,
    account_id ascending, so no ranking is recomputed. A blank product counts as
    the product ``''``. Cells without pairs have zeros.
    """
    acc = accounts.select(acc_c="account_id", u="units")
    letter: ir.Value = ibis.literal(CUSTOMER_CLASSES[0])
    branches = []
    for k in range(len(CUSTOMER_CLASSES) - 1, 0, -1):
        start = starts[k - 1]
        if start is None:
            continue
        units, account = start
        at_or_after = (acc.u < units) | ((acc.u == units) & (acc.acc_c >= account))
        branches.append((at_or_after, CUSTOMER_CLASSES[k]))
    if branches:
        letter = ibis.cases(*branches, else_=CUSTOMER_CLASSES[0])
    cls = acc.select("acc_c", customer_class=letter)
    r = rows.mutate(
        product=ibis.coalesce(rows.product, ibis.literal("")),
        p=rows.net_revenue
        - ibis.coalesce(rows.cogs, ibis.literal(Decimal("0.00"), type=_MONEY))
        - ibis.coalesce(rows.cts, ibis.literal(Decimal("0.00"), type=_MONEY)),
    )
    r = r.inner_join(cls, r.account_id == cls.acc_c)
    pairs = r.group_by("account_id", "product", "customer_class").agg(
        net=r.net_revenue.sum(), p=r.p.sum()
    )
    prod = pairs.group_by("product").agg(net=pairs.net.sum(), p=pairs.p.sum())
    prod = prod.mutate(
        margin=ibis.cases(
            (prod.net > 0, prod.p.cast("float64") / prod.net.cast("float64")),
            else_=ibis.null("float64"),
        )
    )
    order = [prod.margin.desc(), prod.product.asc()]
    prod = prod.mutate(
        product_class=ibis.ntile(4).over(ibis.window(order_by=order)) + 1
    )
    pc = prod.select(prod_p="product", product_class="product_class", margin="margin")
    cells = pairs.inner_join(pc, pairs.product == pc.prod_p)
    # One small query: per customer class and product; the grid and the product
    # table are both sums of these rows.
    by_product = cells.group_by(
        "customer_class", "product", "product_class", "margin"
    ).agg(pairs=cells.count(), net=cells.net.sum(), p=cells.p.sum())
    fetched = by_product.to_pyarrow().to_pylist()
    zero = Decimal("0.00")
    found: dict[tuple[str, int], dict[str, Any]] = {}
    products_by: dict[str, dict[str, Any]] = {}
    for g in fetched:
        key = (str(g["customer_class"]), int(g["product_class"]))
        cell = found.setdefault(key, {"pairs": 0, "net": zero, "p": zero})
        cell["pairs"] += g["pairs"]
        cell["net"] += g["net"]
        cell["p"] += g["p"]
        prod_row = products_by.setdefault(
            str(g["product"]),
            {
                "product": g["product"],
                "net_revenue": zero,
                "profit": zero,
                "margin": g["margin"],
                "product_class": g["product_class"],
            },
        )
        prod_row["net_revenue"] += g["net"]
        prod_row["profit"] += g["p"]
    labels = _policies(policies)
    out: list[dict[str, object]] = []
    for c in CUSTOMER_CLASSES:
        for k in PRODUCT_CLASSES:
            cell = found.get((c, k), {"pairs": 0, "net": zero, "p": zero})
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
    product_rows = sorted(
        products_by.values(),
        key=lambda r: (int(r["product_class"]), str(r["product"])),
    )
    return out, product_rows
