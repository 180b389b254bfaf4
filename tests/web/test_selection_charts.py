"""The selection chart builders on tiny rows worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from kam.web.selection_charts import (
    MAX_BUBBLES,
    bubble_sizes,
    profit_quadrants,
    scoring_bubbles,
    whale_curve,
)


def test_bubble_area_is_proportional_to_the_value() -> None:
    # Diameters 40 · sqrt(v / 100): 100 → 40, 25 → 20; blank and negative → 4.
    assert bubble_sizes([Decimal("100"), Decimal("25"), None, -5]) == [
        40.0,
        20.0,
        4.0,
        4.0,
    ]


def test_scoring_bubbles_group_by_class_and_draw_the_quadrant_lines() -> None:
    rows = [
        {"account_id": "a", "harmony": Decimal("8"), "growth": Decimal("3"),
         "abc_class": "A", "revenue": Decimal("100")},
        {"account_id": "b", "harmony": Decimal("2"), "growth": Decimal("9"),
         "abc_class": None, "revenue": None},
        {"account_id": "c", "harmony": None, "growth": Decimal("9"),
         "abc_class": "B", "revenue": Decimal("1")},
    ]  # fmt: skip
    fig = scoring_bubbles(rows, line=6.0)
    assert [t.name for t in fig.data] == ["class A", "no class"]
    assert list(fig.data[0].x) == [8.0]
    assert list(fig.data[0].y) == [3.0]
    assert [(s.x0, s.y0) for s in fig.layout.shapes] == [(6.0, 0), (0, 6.0)]


def test_bubble_charts_keep_the_first_rows_only() -> None:
    rows = [
        {"account_id": str(i), "harmony": 5.0, "growth": 5.0, "npi": 1.0,
         "cts_share": 0.1, "net_revenue": 1, "profit": 1, "revenue": 1}
        for i in range(MAX_BUBBLES + 5)
    ]  # fmt: skip
    assert sum(len(t.x) for t in scoring_bubbles(rows).data) == MAX_BUBBLES
    quadrants = profit_quadrants(rows, npi_cutoff=1.0, cts_cutoff=0.1)
    assert sum(len(t.x) for t in quadrants.data) == MAX_BUBBLES


def test_profit_quadrants_split_losses_and_the_whale_curve_starts_at_zero() -> None:
    rows = [
        {"account_id": "w", "npi": 0.9, "cts_share": 0.1, "net_revenue": 50,
         "profit": Decimal("30"), "account_share": 0.5, "cum_profit_share": 1.5},
        {"account_id": "l", "npi": 0.7, "cts_share": 0.6, "net_revenue": 20,
         "profit": Decimal("-10"), "account_share": 1.0, "cum_profit_share": 1.0},
    ]  # fmt: skip
    fig = profit_quadrants(rows, npi_cutoff=0.8, cts_cutoff=0.35)
    assert [t.name for t in fig.data] == ["profit ≥ 0", "loss"]
    assert list(fig.data[1].text) == ["l"]
    # Total profit 20: after w 30/20 = 150 %, after l 100 %.
    whale = whale_curve(rows, {"peak_share": 1.5, "peak_account_share": 0.5})
    assert list(whale.data[0].y) == [0.0, 1.5, 1.0]
    assert (whale.data[1].x[0], whale.data[1].y[0]) == (0.5, 1.5)
