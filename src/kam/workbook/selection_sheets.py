"""Extra sheets of the results workbook for the profit matrix: the quadrants and
the whale curve (with its chart).

The profit result carries the quadrant and the whale-curve point of each account in
its rows; these sheets restate them the way the slides show them: one line per
Shapiro quadrant (accounts, net revenue, profit) and the curve itself, drawn as an
XY line of cumulative profit share against account share, starting at (0, 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kam.analysis.result import AnalysisResult
from kam.workbook.dashboard_sheets import ChartWriter, place

__all__ = ["CHARTS", "QUADRANT_ORDER", "derived_tables"]

#: The quadrants in the order of the slide (high price first).
QUADRANT_ORDER = ("passive", "carriage trade", "bargain basement", "aggressive")


def _dec(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def derived_tables(result: AnalysisResult) -> dict[str, list[dict[str, object]]]:
    """The extra tables of ``result`` (``quadrants`` and ``whale`` for profit)."""
    if result.analysis != "profit":
        return {}
    rows = list(result.rows)
    quadrants = []
    for q in QUADRANT_ORDER:
        members = [r for r in rows if r.get("quadrant") == q]
        quadrants.append(
            {
                "quadrant": q,
                "accounts": len(members),
                "net_revenue": sum(
                    (_dec(r["net_revenue"]) for r in members), Decimal(0)
                ),
                "profit": sum((_dec(r["profit"]) for r in members), Decimal(0)),
            }
        )
    ranked = sorted(
        (r for r in rows if r.get("cum_profit_share") is not None),
        key=lambda r: int(str(r["rank"])),
    )
    whale: list[dict[str, object]] = [
        {"rank": 0, "account_id": "", "account_share": 0.0, "cum_profit_share": 0.0}
    ]
    whale += [
        {
            "rank": r["rank"],
            "account_id": r["account_id"],
            "account_share": r["account_share"],
            "cum_profit_share": r["cum_profit_share"],
        }
        for r in ranked
    ]
    return {"quadrants": quadrants, "whale": whale}


def whale_chart(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """Cumulative profit share against account share, as an XY line."""
    if len(rows) < 2:
        return
    x, y = list(columns).index("account_share"), list(columns).index("cum_profit_share")
    first, last = header + 1, header + len(rows)
    chart = workbook.add_chart({"type": "scatter", "subtype": "straight"})
    chart.add_series(
        {
            "name": "cumulative profit share",
            "categories": [sheet, first, x, last, x],
            "values": [sheet, first, y, last, y],
        }
    )
    chart.set_title({"name": "Whale curve"})
    chart.set_x_axis(
        {"name": "share of accounts", "min": 0, "max": 1, "num_format": "0%"}
    )
    chart.set_y_axis({"name": "share of profit", "num_format": "0%"})
    place(ws, chart, 0, len(columns) + 1, legend=False)


#: Chart writers of the extra tables, by (analysis, table).
CHARTS: dict[tuple[str, str | None], ChartWriter] = {("profit", "whale"): whale_chart}
