"""The scoring and profit slides, written and read back with python-pptx.

Expected values are computed here from the demo's Criteria, Scores and Profit rows
(exact fractions), or are the analysis' own rows where the test checks that the
chart carries them unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.dml import MSO_FILL_TYPE

from kam.analysis.registry import get
from kam.config import Settings
from kam.deck import Theme
from kam.deck.build import deck_bytes
from kam.deck.layout import Deck
from kam.deck.registry import builder_for
from kam.deck.selection import GRID_COLOURS, profit_slides, scoring_slides
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import Portfolio
from tests.deck.conftest import reopen, titles


def _rows(portfolio: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Portfolio, Any, Any, Any]]:
    portfolio = demo_portfolio(seed=7)
    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    scoring = engine.run("scoring")
    profit = engine.run("profit")
    deck = Deck(Theme())
    scoring_slides(deck, scoring, get("scoring"))
    profit_slides(deck, profit, get("profit"))
    prs = reopen(deck_bytes(deck.finish()))
    yield portfolio, scoring, profit, prs
    engine.close()


def _chart(prs: Any, title_start: str) -> Any:
    for slide in prs.slides:
        if slide.shapes[0].text_frame.text.startswith(title_start):
            return next(s.chart for s in slide.shapes if s.has_chart)
    raise AssertionError(title_start)


def _points(series: Any) -> list[tuple[float, float, float]]:
    """(x, y, size) of a bubble series, read from the chart XML."""
    ser = series._element
    xs = [float(v.text) for v in ser.xpath("./c:xVal//c:v")]
    ys = [float(v.text) for v in ser.xpath("./c:yVal//c:v")]
    sizes = [float(v.text) for v in ser.xpath("./c:bubbleSize//c:v")]
    return list(zip(xs, ys, sizes, strict=True))


def _section(portfolio: Portfolio, account: str, section: str) -> Fraction:
    weights = {
        str(c["criterion_id"]): Fraction(str(c["weight"]))
        for c in _rows(portfolio, "Criteria")
        if c["section"] == section
    }
    xs: dict[str, list[Fraction]] = defaultdict(list)
    for s in _rows(portfolio, "Scores"):
        if s["account_id"] == account and s["criterion_id"] in weights:
            xs[str(s["criterion_id"])].append(Fraction(str(s["score"])))
    num = sum((weights[c] * sum(v) / len(v) for c, v in xs.items()), Fraction(0))
    return num / sum(weights[c] for c in xs)


def test_the_selection_builders_are_registered() -> None:
    assert builder_for("scoring") is scoring_slides
    assert builder_for("profit") is profit_slides


def test_the_scoring_bubble_chart_carries_harmony_growth_and_revenue(
    demo: tuple[Portfolio, Any, Any, Any],
) -> None:
    portfolio, scoring, _, prs = demo
    chart = _chart(prs, "Scoring: ")
    assert chart.chart_type == XL_CHART_TYPE.BUBBLE
    by_name = {s.name: _points(s) for s in chart.plots[0].series}
    scored = {str(s["account_id"]) for s in _rows(portfolio, "Scores")}
    assert sum(len(p) for p in by_name.values()) == len(scored)
    top = scoring.rows[0]
    x, y = (
        _section(portfolio, top["account_id"], "harmony"),
        _section(portfolio, top["account_id"], "growth"),
    )
    point = (float(x), float(y), float(top["revenue"]))
    assert point in by_name[f"class {top['abc_class']}"]
    # The axes cross at the quadrant line 5.5 (the default).
    assert chart.category_axis.crosses_at == 5.5
    assert chart.value_axis.crosses_at == 5.5


def test_the_selection_table_starts_with_the_hand_computed_best_account(
    demo: tuple[Portfolio, Any, Any, Any],
) -> None:
    portfolio, _, _, prs = demo
    scored = {str(s["account_id"]) for s in _rows(portfolio, "Scores")}
    overall = {
        a: (_section(portfolio, a, "growth") + _section(portfolio, a, "harmony")) / 2
        for a in scored
    }
    best = max(overall, key=lambda a: overall[a])
    names = {str(r["account_id"]): str(r["name"]) for r in _rows(portfolio, "Accounts")}
    slide = next(
        s for s in prs.slides if s.shapes[0].text_frame.text.startswith("Scoring: the")
    )
    table = next(s for s in slide.shapes if s.has_table).table
    assert table.cell(1, 0).text in ("1", "1=")
    assert table.cell(1, 1).text == names[best]
    assert Fraction(Decimal(table.cell(1, 2).text)) == overall[best]


def _profit_by_hand(portfolio: Portfolio) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in _rows(portfolio, "Profit"):
        cts = r["cost_to_serve"]
        if cts is None:
            cts = sum(
                Decimal(str(r[p] or 0))
                for p in (
                    "cts_presale",
                    "cts_production",
                    "cts_distribution",
                    "cts_postsale",
                )
            )
        a = out[str(r["account_id"])]
        a["net"] += Decimal(str(r["net_revenue"]))
        a["list"] += Decimal(str(r["list_revenue"]))
        a["cts"] += Decimal(str(cts))
        a["profit"] += (
            Decimal(str(r["net_revenue"])) - Decimal(str(r["cogs"] or 0)) - cts
        )
    return out


def test_the_profit_bubbles_put_cts_against_npi_and_losses_apart(
    demo: tuple[Portfolio, Any, Any, Any],
) -> None:
    portfolio, _, _, prs = demo
    by_hand = _profit_by_hand(portfolio)
    chart = _chart(prs, "Profit: price")
    assert chart.chart_type == XL_CHART_TYPE.BUBBLE
    series = {s.name: _points(s) for s in chart.plots[0].series}
    losers = [a for a, v in by_hand.items() if v["profit"] < 0]
    assert len(series["loss"]) == len(losers)
    assert len(series["profit ≥ 0"]) == len(by_hand) - len(losers)
    for a in losers:
        v = by_hand[a]
        point = (
            float(v["cts"] / v["net"]),
            float(v["net"] / v["list"]),
            float(v["net"]),
        )
        assert any(
            abs(p[0] - point[0]) < 1e-12
            and abs(p[1] - point[1]) < 1e-12
            and p[2] == point[2]
            for p in series["loss"]
        ), a


def test_the_whale_curve_is_a_line_that_peaks_and_ends_at_100_percent(
    demo: tuple[Portfolio, Any, Any, Any],
) -> None:
    portfolio, _, _, prs = demo
    profits = sorted(
        (v["profit"] for v in _profit_by_hand(portfolio).values()), reverse=True
    )
    total = sum(profits, Decimal(0))
    running, peak = Decimal(0), Decimal(0)
    for p in profits:
        running += p
        peak = max(peak, running)
    chart = _chart(prs, "Profit: the whale curve")
    assert chart.chart_type in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)
    values = list(chart.plots[0].series[0].values)
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(1.0, abs=1e-12)
    assert max(values) == pytest.approx(float(peak / total), abs=1e-12)
    assert any(t.startswith("Profit: the whale curve peaks at") for t in titles(prs))


def test_the_action_grid_shows_policies_and_colours_losses(
    demo: tuple[Portfolio, Any, Any, Any],
) -> None:
    portfolio, _, _, prs = demo
    slide = next(
        s
        for s in prs.slides
        if s.shapes[0].text_frame.text.startswith("Profit: customer")
    )
    table = next(s for s in slide.shapes if s.has_table).table
    assert [table.cell(r, 0).text for r in range(1, 5)] == ["A", "B", "C", "D"]
    assert table.cell(1, 1).text.startswith("perfection / never miss")
    assert table.cell(4, 4).text.startswith("tough it out / outsource")
    # Every (account, product) pair of an account with net revenue > 0 is in one cell.
    pairs = {
        (str(r["account_id"]), str(r["product"] or ""))
        for r in _rows(portfolio, "Profit")
    }
    shown = 0
    for r in range(1, 5):
        for c in range(1, 5):
            text = table.cell(r, c).text
            n = int(text.split("\n")[1].split(" pairs")[0])
            shown += n
            fill = table.cell(r, c).fill
            assert fill.type == MSO_FILL_TYPE.SOLID
            profit_text = text.split("profit ")[1].replace(",", "")
            expected = (
                "empty" if n == 0 else "loss" if Decimal(profit_text) < 0 else "gain"
            )
            assert str(fill.fore_color.rgb) == GRID_COLOURS[expected]
    assert shown == len(pairs)
