"""The account deck, the theme, and long tables that continue over slides."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pptx.enum.shapes import MSO_SHAPE_TYPE

from kam.config import Settings
from kam.deck import Theme, account_deck, portfolio_deck, write_deck
from kam.deck.charts import pareto_series
from kam.deck.theme import parse_colours
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.errors import InputError, NotFoundError
from tests.deck.conftest import PARAMS, reopen, titles


@pytest.fixture(scope="module")
def demo_engine() -> Iterator[Engine]:
    engine = Engine(PortfolioSource(demo_portfolio(seed=7)), settings=Settings())
    yield engine
    engine.close()


def _table(slide: Any) -> list[list[str]]:
    shape = next(s for s in slide.shapes if s.has_table)
    return [[c.text for c in row.cells] for row in shape.table.rows]


def test_account_deck_shows_profile_revenue_per_year_and_class_history(
    tiny_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "a4.pptx"
    write_deck(account_deck(tiny_engine, "A4"), path)
    prs = reopen(path)
    assert titles(prs) == [
        "Account review: Account A4",
        "Agenda",
        "Account A4: profile",
        "Account A4: revenue per year",
        "Account A4: ABC class history",
    ]
    revenue = next(s.chart for s in prs.slides[3].shapes if s.has_chart)
    assert list(revenue.plots[0].categories) == ["2023", "2024"]
    assert list(revenue.plots[0].series[0].values) == [50.0, 80.0]
    # ABC over the default range (2022–2024 with as_of mid-2025, data from 2023):
    # A4 is B in 2023 (cum before .85), A in 2024 (.77), pooled B (.835).
    history = _table(prs.slides[4])
    assert [r[:2] for r in history[1:]] == [
        ["2023", "B"],
        ["2024", "A"],
        ["pooled", "B"],
    ]


def test_account_deck_of_an_unreadable_account_is_not_found(
    tiny_engine: Engine,
) -> None:
    with pytest.raises(NotFoundError, match="no account 'A4'"):
        account_deck(tiny_engine, "A4", accounts={"A1", "A2"})
    with pytest.raises(NotFoundError, match="no account 'ZZ'"):
        account_deck(tiny_engine, "ZZ")


def test_company_and_logo_appear_on_the_slides(
    tiny_engine: Engine, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (40, 20), (200, 30, 30)).save(logo)
    theme = Theme(font="Georgia", company="Orbis Ltd", logo=logo)
    prs = portfolio_deck(tiny_engine, params=PARAMS, analyses=("pareto",), theme=theme)
    assert titles(prs)[0] == "Orbis Ltd portfolio review"
    for slide in prs.slides:
        kinds = [s.shape_type for s in slide.shapes]
        if slide.shapes[0].text_frame.text != "Pareto":  # dividers carry no logo
            assert MSO_SHAPE_TYPE.PICTURE in kinds
    fonts = {
        run.font.name
        for shape in prs.slides[3].shapes
        if shape.has_text_frame
        for para in shape.text_frame.paragraphs
        for run in para.runs
    }
    assert fonts == {"Georgia"}


def test_colours_setting_overrides_the_first_colours_in_order() -> None:
    colours = parse_colours("#112233, 445566")
    assert colours[:2] == ("112233", "445566")
    assert Theme(colours=colours).rgb("accent") == Theme().rgb("primary").__class__(
        0x44, 0x55, 0x66
    )
    with pytest.raises(InputError, match="'12345G' is not a colour"):
        parse_colours("12345G")


def test_demo_pareto_groups_accounts_by_five_percent_of_rank(
    demo_engine: Engine,
) -> None:
    result = demo_engine.run("pareto")
    n = len(result.rows)
    expected: dict[int, Decimal] = {}
    for r in result.rows:
        group = math.ceil(int(str(r["rank"])) * 20 / n)
        expected[group] = expected.get(group, Decimal(0)) + Decimal(str(r["value"]))
    series = pareto_series(result.rows)
    assert series.grouped
    assert series.labels[0] == "top 5 %"
    assert series.values == [float(expected[g]) for g in sorted(expected)]
    assert series.cum_shares[-1] == pytest.approx(1.0)


def test_long_ranked_table_continues_and_sums_the_rest_in_others(
    demo_engine: Engine,
) -> None:
    prs = portfolio_deck(demo_engine, analyses=("pareto",))
    result = demo_engine.run("pareto")
    pages = [
        s
        for s in prs.slides
        if s.shapes[0].text_frame.text.startswith("Pareto: accounts by")
    ]
    assert [p.shapes[0].text_frame.text for p in pages] == [
        "Pareto: accounts by revenue (1/2)",
        "Pareto: accounts by revenue (2/2)",
    ]
    rows = _table(pages[0])[1:] + _table(pages[1])[1:]
    assert len(rows) == 28
    assert [r[0] for r in rows[:27]] == [str(i) for i in range(1, 28)]
    rest = result.rows[27:]
    total = sum(Decimal(str(r["value"])) for r in rest)
    assert rows[27][1] == f"others ({len(rest)} accounts)"
    assert rows[27][2] == f"{total:,.2f}"


def test_account_mrr_chart_sums_every_plan_per_month(demo_engine: Engine) -> None:
    mrr = demo_portfolio(seed=7).tables["MRR"].data
    expected: dict[str, Decimal] = {}
    for account, month, value in zip(
        mrr["account_id"], mrr["month"], mrr["mrr"], strict=True
    ):
        if account == "A001":
            expected[str(month)] = expected.get(str(month), Decimal(0)) + value
    prs = account_deck(demo_engine, "A001")
    slide = next(
        s for s in prs.slides if s.shapes[0].text_frame.text.endswith("MRR per month")
    )
    chart = next(s.chart for s in slide.shapes if s.has_chart)
    assert list(chart.plots[0].categories) == sorted(expected)
    assert list(chart.plots[0].series[0].values) == [
        float(expected[m]) for m in sorted(expected)
    ]
