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

from collections.abc import Mapping
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
    "customer_classes",
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


def customer_classes(per_account: ir.Table, *, group: str | None = None) -> ir.Table:
    """Add ``rank``, ``customer_class``, ``account_share`` and ``cum_profit_share``.

    ``per_account`` needs ``account_id`` and ``profit``; with ``group`` (a column)
    each group is ranked on its own (the accounts with net revenue > 0 apart from
    the others, in one query). The cumulative share is null when the group's total
    profit is not positive.
    """
    t = per_account
    order = [t.profit.desc(), t.account_id.asc()]
    by = [group] if group else []
    running = ibis.window(group_by=by, order_by=order, rows=(None, 0))
    whole = ibis.window(group_by=by)
    t = t.mutate(
        rank=ibis.row_number().over(running) + 1,
        quartile=ibis.ntile(4).over(ibis.window(group_by=by, order_by=order)),
        cum=t.profit.sum().over(running),
        total=t.profit.sum().over(whole),
        n=t.account_id.count().over(whole),
    )
    total = t.total.cast("float64")
    letter = ibis.cases(*((t.quartile == i, c) for i, c in enumerate(CUSTOMER_CLASSES)))
    zero = ibis.literal(Decimal("0.00"), type=_MONEY)
    t = t.mutate(
        customer_class=letter,
        account_share=t.rank.cast("float64") / t.n.cast("float64"),
        cum_profit_share=ibis.cases(
            (t.total > 0, t.cum.cast("float64") / total), else_=ibis.null("float64")
        ),
        peak=t.cum.max().over(whole),
        loss_makers=ibis.cases((t.profit < 0, 1), else_=0).sum().over(whole),
        eroded=-ibis.cases((t.profit < 0, t.profit), else_=zero).sum().over(whole),
    )
    at_peak = ibis.cases((t.cum == t.peak, t.rank), else_=ibis.null("int64"))
    return t.mutate(peak_accounts=at_peak.min().over(whole)).drop("quartile", "cum")


def whale_summary(first: Mapping[str, object] | None) -> dict[str, object]:
    """Headline figures of the whale curve, from the window columns of any one row
    of :func:`customer_classes` (``first``; ``None`` when there is no account).

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
    classes: ir.Table,
    *,
    policies: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The 16 cells of customer class × product class, and the product classes.

    ``rows``: Profit rows with ``cts`` (each row's cost to serve); ``classes``:
    :func:`customer_classes` output (``account_id, customer_class``). A blank
    product counts as the product ``''``. Cells without pairs have zeros.
    """
    r = rows.mutate(
        product=ibis.coalesce(rows.product, ibis.literal("")),
        p=rows.net_revenue
        - ibis.coalesce(rows.cogs, ibis.literal(Decimal("0.00"), type=_MONEY))
        - ibis.coalesce(rows.cts, ibis.literal(Decimal("0.00"), type=_MONEY)),
    )
    cls = classes.select(acc_c="account_id", customer_class="customer_class")
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
