"""The dashboard and retention slides, written and read back with python-pptx.

Expected numbers are computed here from the demo's MRR, Surveys and Risks rows
(exact decimals), not taken from the analyses' results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pptx.enum.chart import XL_CHART_TYPE

from kam.analysis.registry import get
from kam.config import Settings
from kam.deck import Theme
from kam.deck.build import account_deck, deck_bytes, portfolio_deck
from kam.deck.dashboard import HEAT_HIGH, HEAT_LOW, bridge_waterfall, heat_colour
from kam.deck.layout import Deck
from kam.deck.registry import builder_for
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import Portfolio
from tests.deck.conftest import reopen, titles

NAMES = ("mrr", "mrr_bridge", "satisfaction", "upsell", "at_risk")
NAMES += ("retention", "cohorts", "slipping")


def _rows(portfolio: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Portfolio, dict[str, Any], Any]]:
    portfolio = demo_portfolio(seed=7)
    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    results = {n: engine.run(n) for n in NAMES}
    deck = Deck(Theme())
    for n in NAMES:
        builder_for(n)(deck, results[n], get(n))
    prs = reopen(deck_bytes(deck.finish()))
    yield portfolio, results, prs
    engine.close()


def _slide(prs: Any, title_start: str) -> Any:
    for slide in prs.slides:
        if slide.shapes[0].text_frame.text.startswith(title_start):
            return slide
    raise AssertionError(f"no slide {title_start!r} in {titles(prs)}")


def _charts(slide: Any) -> list[Any]:
    return [s.chart for s in slide.shapes if s.has_chart]


def _texts(slide: Any) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def _mrr_by_month(portfolio: Portfolio) -> dict[str, dict[str, Decimal]]:
    """month → account → MRR over every plan."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in _rows(portfolio, "MRR"):
        out[str(r["month"])][str(r["account_id"])] += Decimal(str(r["mrr"]))
    return out


def _month_before(month: str, n: int = 1) -> str:
    y, m = map(int, month.split("-"))
    k = y * 12 + m - 1 - n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def test_mrr_by_plan_is_stacked_columns_adding_to_the_months_total(demo: Any) -> None:
    portfolio, _, prs = demo
    slide = _slide(prs, "MRR by plan:")
    (chart,) = _charts(slide)
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_STACKED
    months = list(chart.plots[0].categories)
    by_plan: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in _rows(portfolio, "MRR"):
        by_plan[(str(r["month"]), str(r["plan"]))] += Decimal(str(r["mrr"]))
    last = max(m for m, _ in by_plan)
    assert months[-1] == last
    assert months[0] == min(m for m, _ in by_plan)
    series = {s.name: list(s.values) for s in chart.plots[0].series}
    assert set(series) == {p for _, p in by_plan}
    for plan, values in series.items():
        assert values[-1] == float(by_plan[(last, plan)])
    total = sum(v for (m, _), v in by_plan.items() if m == last)
    assert sum(v[-1] for v in series.values()) == pytest.approx(float(total))
    # The MRR tile shows the same total with separators; ARR is 12 times it.
    assert f"{total:,.2f}" in _texts(slide)
    assert f"{12 * total:,.2f}" in _texts(slide)


def _no_fill(ser: Any) -> tuple[bool, bool]:
    sp = ser._element.find("{*}spPr")
    assert sp is not None
    fill = sp.find("{http://schemas.openxmlformats.org/drawingml/2006/main}noFill")
    line = sp.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ln")
    line_none = line is not None and line.find("{*}noFill") is not None
    return fill is not None, line_none


def test_bridge_waterfall_has_an_invisible_base_and_reaches_start_and_end(
    demo: Any,
) -> None:
    portfolio, _, prs = demo
    mrr = _mrr_by_month(portfolio)
    last = max(mrr)
    # Twelve months shown: the start is the total of the month before the first.
    start = sum(mrr[_month_before(last, 12)].values(), Decimal(0))
    end = sum(mrr[last].values(), Decimal(0))
    slide = _slide(prs, "MRR bridge ")
    (chart,) = _charts(slide)
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_STACKED
    plot = chart.plots[0]
    assert list(plot.categories) == [
        "start",
        "new",
        "expansion",
        "reactivation",
        "contraction",
        "churn",
        "end",
    ]
    base, total, up, down = (list(s.values) for s in plot.series)
    assert plot.series[0].name == "base"
    assert _no_fill(plot.series[0]) == (True, True)
    assert _no_fill(plot.series[2]) == (False, False)
    assert total[0] == pytest.approx(float(start))
    assert base[0] == 0
    assert total[-1] == pytest.approx(float(end))
    assert base[-1] == 0
    # Walk the steps: a rise sits on the running total, a fall hangs from it.
    running = float(start)
    for i in range(1, 6):
        if up[i]:
            assert base[i] == pytest.approx(running)
            running = base[i] + up[i]
        else:
            assert base[i] + down[i] == pytest.approx(running)
            running = base[i]
    assert running == pytest.approx(float(end))
    # Every movement is no smaller than zero and a step holds exactly one of them.
    assert all(
        u >= 0 and d >= 0 and not (u and d) for u, d in zip(up, down, strict=True)
    )


def test_bridge_waterfall_by_hand() -> None:
    # start 100; new 5, expansion 10, reactivation 0, contraction 10, churn 10 → 95.
    rows = [
        {"start": 100, "new": 5, "expansion": 4, "reactivation": 0,
         "contraction": 10, "churn": 0, "end": 99},
        {"start": 99, "new": 0, "expansion": 6, "reactivation": 0,
         "contraction": 0, "churn": 10, "end": 95},
    ]  # fmt: skip
    w = bridge_waterfall(rows)
    assert w.total == [100, 0, 0, 0, 0, 0, 95]
    assert w.up == [0, 5, 10, 0, 0, 0, 0]
    assert w.down == [0, 0, 0, 0, 10, 10, 0]
    # Bases: 100 under new, 105 under expansion, 115 at reactivation, contraction
    # hangs from 115 to 105, churn from 105 to 95.
    assert w.base == [0, 100, 105, 115, 105, 95, 0]


def test_satisfaction_tiles_and_trend_lines_carry_n(demo: Any) -> None:
    portfolio, results, prs = demo
    as_of = date.fromisoformat(str(results["satisfaction"].parameters["as_of"]))
    # Twelve months up to as_of: from the first day of the 11th month before.
    since = date.fromisoformat(_month_before(f"{as_of:%Y-%m}", 11) + "-01")
    nps = [
        int(str(r["score"]))
        for r in _rows(portfolio, "Surveys")
        if r["instrument"] == "NPS" and since <= r["answered_on"] <= as_of  # type: ignore[operator]
    ]
    promoters = sum(s >= 9 for s in nps)
    detractors = sum(s <= 6 for s in nps)
    expected = 100 * (promoters - detractors) / len(nps)
    slide = _slide(prs, "Satisfaction:")
    text = _texts(slide)
    assert f"{expected:+.0f}" in text
    assert f"\n{len(nps)}" in text
    nps_chart, csat_chart = _charts(slide)
    assert nps_chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert csat_chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert all("(n=" in c for c in nps_chart.plots[0].categories)


def test_retention_draws_grr_beside_nrr(demo: Any) -> None:
    portfolio, _, prs = demo
    mrr = _mrr_by_month(portfolio)
    last = max(mrr)
    before, now = mrr[_month_before(last)], mrr[last]
    start = sum(before.values(), Decimal(0))
    churn = sum((v for a, v in before.items() if now.get(a, 0) == 0), Decimal(0))
    contraction = sum(
        (v - now[a] for a, v in before.items() if 0 < now.get(a, 0) < v), Decimal(0)
    )
    expansion = sum(
        (now[a] - v for a, v in before.items() if now.get(a, 0) > v > 0), Decimal(0)
    )
    (chart,) = _charts(_slide(prs, "Retention:"))
    assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    series = {s.name: list(s.values) for s in chart.plots[0].series}
    assert list(chart.plots[0].categories)[-1] == last
    grr = (start - churn - contraction) / start
    assert series["GRR"][-1] == pytest.approx(float(grr))
    # Reactivations come from accounts at zero the month before, outside `before`.
    earlier = [m for m in mrr if m < _month_before(last)]
    react = sum(
        (
            v
            for a, v in now.items()
            if v > 0
            and before.get(a, 0) == 0
            and any(mrr[m].get(a, 0) > 0 for m in earlier)
        ),
        Decimal(0),
    )
    nrr = (start + expansion + react - contraction - churn) / start
    assert series["NRR"][-1] == pytest.approx(float(nrr))
    assert all(v <= 1 for v in series["GRR"] if v is not None)


def _fill_hex(cell: Any) -> str:
    return str(cell.fill.fore_color.rgb)


def test_cohort_heat_map_fills_darken_with_value(demo: Any) -> None:
    _, _, prs = demo
    slide = _slide(prs, "Cohorts: revenue retention")
    table = next(s.table for s in slide.shapes if s.has_table)
    cells: list[tuple[float, int]] = []
    for r in range(1, len(table.rows)):
        for c in range(1, len(table.columns)):
            cell = table.cell(r, c)
            if not cell.text:
                continue
            value = float(cell.text.removesuffix(" %"))
            colour = _fill_hex(cell)
            cells.append((value, sum(int(colour[i : i + 2], 16) for i in (0, 2, 4))))
    assert table.cell(1, 1).text == "100.0 %"  # age 0 of every cohort
    assert len({v for v, _ in cells}) > 5
    for v1, b1 in cells:
        for v2, b2 in cells:
            if v1 < v2:
                assert b1 >= b2, (v1, v2)
    assert heat_colour(0.2, 0.2, 1.4) == HEAT_LOW
    assert heat_colour(1.4, 0.2, 1.4) == HEAT_HIGH


def test_at_risk_table_lists_the_open_risks(demo: Any) -> None:
    portfolio, _, prs = demo
    open_reasons = [
        str(r["reason"]) for r in _rows(portfolio, "Risks") if r["resolved_on"] is None
    ]
    slides = [
        s for s in prs.slides if s.shapes[0].text_frame.text.startswith("At-risk queue")
    ]
    listed = [
        s.table.cell(r, 5).text
        for slide in slides
        for s in slide.shapes
        if s.has_table
        for r in range(1, len(s.table.rows))
    ]
    assert sorted(listed) == sorted(open_reasons)


def test_portfolio_deck_holds_the_dashboard_sections() -> None:
    engine = Engine(PortfolioSource(demo_portfolio(seed=7)), settings=Settings())
    try:
        prs = reopen(
            deck_bytes(portfolio_deck(engine, analyses={"mrr_bridge", "cohorts"}))
        )
    finally:
        engine.close()
    names = titles(prs)
    assert any(t.startswith("MRR bridge ") for t in names)
    assert any(t.startswith("Cohorts: logo retention") for t in names)


def test_account_deck_lists_the_accounts_risks_open_first() -> None:
    portfolio = demo_portfolio(seed=7)
    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    try:
        prs = reopen(deck_bytes(account_deck(engine, "A025")))
    finally:
        engine.close()
    # A025's register holds one risk, resolved on 2025-04-22 (demo rows).
    (mine,) = [r for r in _rows(portfolio, "Risks") if r["account_id"] == "A025"]
    title = next(t for t in titles(prs) if t.endswith("risks (0 open)"))
    risk_slide = _slide(prs, title)
    table = next(s.table for s in risk_slide.shapes if s.has_table)
    assert [c.text for c in table.rows[1].cells] == [
        "2025-03-16",
        "watch",
        str(mine["reason"]),
        "M02",
        "2025-04-22",
    ]
