"""The planning slides of the account deck, read back with python-pptx.

Expected values come from the demo's rows and from the task network worked out by
hand (tests/web/test_planning_pages.py explains the floats).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import ibis
import pytest
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.dml import MSO_FILL_TYPE

from kam.analysis.registry import REGISTRY
from kam.analysis.responsibilities import responsibility_matrix
from kam.analysis.timeline import implementation_timeline
from kam.config import Settings
from kam.deck import Theme, account_deck
from kam.deck.build import deck_bytes
from kam.deck.layout import Deck
from kam.deck.planning import excel_serial, gantt_slides, raci_slides
from kam.demo import demo_portfolio
from kam.demo.accounts import FLAGSHIP_ID
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import Portfolio
from tests.deck.conftest import reopen, titles


def _rows(portfolio: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Engine, Portfolio, Any]]:
    portfolio = demo_portfolio(seed=7)
    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    prs = reopen(deck_bytes(account_deck(engine, FLAGSHIP_ID)))
    yield engine, portfolio, prs
    engine.close()


def _slides(prs: Any, prefix: str) -> list[Any]:
    return [s for s in prs.slides if s.shapes[0].text_frame.text.startswith(prefix)]


def _table(slide: Any) -> Any:
    return next(s for s in slide.shapes if s.has_table).table


def _fill(cell: Any) -> str:
    return (
        str(cell.fill.fore_color.rgb) if cell.fill.type == MSO_FILL_TYPE.SOLID else ""
    )


def test_the_gantt_is_a_stacked_bar_with_an_invisible_base_and_red_critical_tasks(
    demo: tuple[Engine, Portfolio, Any],
) -> None:
    engine, portfolio, prs = demo
    tasks = {
        str(r["task_id"]): r
        for r in _rows(portfolio, "Tasks")
        if r["account_id"] == FLAGSHIP_ID
    }
    slides = _slides(prs, "Timeline: 2026-04-06")
    assert len(slides) == 1  # 16 tasks fit on one slide
    chart = next(s for s in slides[0].shapes if s.has_chart).chart
    assert chart.chart_type == XL_CHART_TYPE.BAR_STACKED
    base, bars = chart.plots[0].series
    assert base.format.fill.type == MSO_FILL_TYPE.BACKGROUND
    categories = list(chart.plots[0].categories)
    assert len(categories) == len(tasks)
    for tid, r in tasks.items():
        assert any(
            str(r["name"]) in c and c.startswith(("◆ " + tid, tid)) for c in categories
        )
    # The series hold the analysis' dates: start serials and calendar-day lengths.
    result = engine.run("timeline", {"account": FLAGSHIP_ID})
    assert list(base.values) == [excel_serial(r["early_start"]) for r in result.rows]
    first = result.rows[0]
    assert first["task_id"] == "MIG01"
    # MIG01 is fixed on Mon 2026-04-06 and lasts 30 working days = six weeks:
    # it ends Fri 2026-05-15, 40 calendar days.
    assert base.values[0] == excel_serial(date(2026, 4, 6))
    assert bars.values[0] == 40
    index = {c.removeprefix("◆ ").split(" ")[0]: i for i, c in enumerate(categories)}

    def colour(tid: str) -> str:
        fill = bars.points[index[tid]].format.fill
        return str(fill.fore_color.rgb) if fill.type == MSO_FILL_TYPE.SOLID else ""

    # Wave 3 is critical; the EHR build has 17 days of float (worked out by hand).
    assert colour("MIG09") == "C0392B"
    assert colour("MIG10") != "C0392B"
    assert colour("MIG05") != "C0392B"
    late = _slides(prs, "Timeline: tasks late against the baseline")
    assert late
    assert "MIG09" in [c.text for row in _table(late[0]).rows for c in row.cells]


def test_the_division_grid_is_coloured_by_status_and_lists_the_biggest_gap(
    demo: tuple[Engine, Portfolio, Any],
) -> None:
    _, portfolio, prs = demo
    units = {
        str(r["unit_id"]): r
        for r in _rows(portfolio, "Units")
        if r["account_id"] == FLAGSHIP_ID
    }
    cells = [r for r in _rows(portfolio, "Coverage") if r["unit_id"] in units]
    grids = _slides(prs, "Division map: 35 % penetration")
    # 8 owned of 23 eligible cells: 34.8 %, shown rounded.
    assert sum(r["status"] == "owned" for r in cells) == 8
    assert sum(r["status"] != "not_eligible" for r in cells) == 23
    assert grids
    expected = {"owned": "9FD3AE", "competitor": "F1948A", "whitespace": "F7DC6F"}
    seen = 0
    for slide in grids:
        table = _table(slide)
        header = [c.text for c in table.rows[0].cells]
        for row in list(table.rows)[1:]:
            name = row.cells[0].text.strip()
            uid = next(u for u, r in units.items() if r["name"] == name)
            for j, product in enumerate(header[1:], 1):
                cell = next(
                    (
                        c
                        for c in cells
                        if c["unit_id"] == uid and c["product"] == product
                    ),
                    None,
                )
                if cell is not None and cell["status"] in expected:
                    assert _fill(row.cells[j]) == expected[str(cell["status"])]
                    seen += 1
    assert seen == sum(c["status"] in expected for c in cells)
    gaps = [r for r in cells if r["status"] in ("whitespace", "competitor")]
    biggest = max(
        float(str(r["potential_revenue"])) - float(str(r["current_revenue"] or 0))
        for r in gaps
    )
    gap_slide = _slides(prs, "Division map: gaps to pursue first")[0]
    texts = [c.text for row in _table(gap_slide).rows for c in row.cells]
    assert f"{biggest:,.2f}" in texts


def test_the_raci_matrix_is_coloured_and_the_plan_shows_its_completeness(
    demo: tuple[Engine, Portfolio, Any],
) -> None:
    _, portfolio, prs = demo
    slide = _slides(prs, f"RACI of account {FLAGSHIP_ID}: valid")[0]
    table = _table(slide)
    header = [c.text for c in table.rows[0].cells]
    row = next(r for r in table.rows if r.cells[0].text == "Account plan")
    kam = row.cells[header.index("KAM")]
    assert kam.text == "A/R"
    assert _fill(kam) == "1F6F8B"
    mine = [
        r
        for r in _rows(portfolio, "Responsibilities")
        if r["account_id"] == FLAGSHIP_ID and r["code"]
    ]
    load = sum(
        {"R": 1.0, "A": 1.0, "A/R": 1.0, "C": 0.5, "I": 0.0}[str(r["code"])]
        for r in mine
        if r["role"] == "KAM"
    )
    work = _table(_slides(prs, "RACI: workload per role")[0])
    kam_row = next(r for r in work.rows if r.cells[0].text == "KAM")
    assert kam_row.cells[6].text == f"{load:g}"
    plan = _slides(prs, "Account plan: 100 % complete")
    assert plan
    cells = _table(plan[0])
    assert _fill(cells.cell(1, 2)) == "D8EFD9"
    assert "Account plan: objectives" in titles(prs)


def test_a_raci_without_an_accountable_role_shows_the_error_on_its_row() -> None:
    t = ibis.memtable(
        {
            "account_id": [None, None, None, None],
            "activity": ["QBR", "QBR", "Forecast", "Forecast"],
            "role": ["KAM", "Sales", "KAM", "Sales"],
            "code": ["R", "C", "A/R", "I"],
        }
    )
    result = responsibility_matrix({"responsibilities": t})
    deck = Deck(Theme())
    raci_slides(deck, result, REGISTRY["responsibilities"])
    prs = reopen(deck_bytes(deck.finish()))
    first = _table(prs.slides[0])
    assert (
        prs.slides[0]
        .shapes[0]
        .text_frame.text.startswith("RACI of the programme: 1 error")
    )
    qbr = next(r for r in first.rows if r.cells[0].text == "QBR")
    assert "one_a" in qbr.cells[3].text
    assert _fill(qbr.cells[3]) == "F8D7DA"
    forecast = next(r for r in first.rows if r.cells[0].text == "Forecast")
    assert forecast.cells[3].text == ""
    problems = _table(prs.slides[1])
    assert [c.text for c in problems.rows[1].cells][:3] == ["error", "one_a", "QBR"]


def test_a_plan_beyond_a_hundred_tasks_draws_only_its_critical_path() -> None:
    # 121 tasks: T000 then a chain of 60 two-day tasks (T002, T004, …, T120) and
    # 60 one-day tasks that each only follow T000. The chain is the critical path
    # (61 tasks with T000); every one-day task has float.
    ids = [f"T{i:03d}" for i in range(121)]
    predecessors: list[str | None] = [None]
    for i in range(1, 121):
        predecessors.append(ids[i - 2] if i % 2 == 0 else ids[0])
    t = ibis.memtable(
        {
            "task_id": ids,
            "account_id": ["X"] * 121,
            "name": [f"task {i}" for i in range(121)],
            "phase": ["p"] * 121,
            "owner": ["M1"] * 121,
            "start": [date(2026, 1, 5)] + [None] * 120,
            "duration_days": [2 if i % 2 == 0 else 1 for i in range(121)],
            "predecessors": predecessors,
            "percent_complete": [0.0] * 121,
            "baseline_finish": [None] * 121,
        },
        schema={
            "task_id": "string",
            "account_id": "string",
            "name": "string",
            "phase": "string",
            "owner": "string",
            "start": "date",
            "duration_days": "int64",
            "predecessors": "string",
            "percent_complete": "float64",
            "baseline_finish": "date",
        },
    )
    result = implementation_timeline({"tasks": t}, account="X", as_of=date(2026, 1, 5))
    deck = Deck(Theme())
    gantt_slides(deck, result, REGISTRY["timeline"])
    prs = reopen(deck_bytes(deck.finish()))
    charts = [sh.chart for slide in prs.slides for sh in slide.shapes if sh.has_chart]
    assert len(charts) == 4  # 61 critical tasks, 20 per slide
    drawn = [c for chart in charts for c in chart.plots[0].categories]
    assert len(drawn) == 61
    assert all(int(c.split(" ")[0][1:]) % 2 == 0 for c in drawn)
