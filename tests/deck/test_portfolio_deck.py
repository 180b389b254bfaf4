"""The portfolio deck of the ten-account portfolio, reopened with python-pptx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn

from kam.deck import portfolio_deck, write_deck
from kam.engine import Engine
from tests.deck.conftest import (
    HOSTILE,
    NAMES,
    PARAMS,
    VALUES_2024,
    all_text,
    charts,
    embedded_workbooks,
    reopen,
    titles,
    xlsx_formulas_and_strings,
)

PARETO_TITLE = "Pareto: 4 of 10 accounts (40 %) make 85.0 % of revenue"
ABC_TITLE = "ABC: 4 A accounts of 10 make 83.5 % of revenue over 2023 – 2024"


@pytest.fixture(scope="module")
def deck_path(tiny_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deck") / "portfolio.pptx"
    prs = portfolio_deck(tiny_engine, params=PARAMS, analyses=("pareto", "abc"))
    write_deck(prs, path)
    return path


@pytest.fixture(scope="module")
def deck(deck_path: Path) -> Any:
    return reopen(deck_path)


def _slide(prs: Any, title: str) -> Any:
    return next(s for s in prs.slides if s.shapes[0].text_frame.text == title)


def _table(slide: Any) -> list[list[str]]:
    shape = next(s for s in slide.shapes if s.has_table)
    return [[c.text for c in row.cells] for row in shape.table.rows]


def test_deck_has_title_agenda_sections_and_the_slides_of_each_analysis(
    deck: Any,
) -> None:
    assert titles(deck) == [
        "Acme Cloud portfolio review",
        "Agenda",
        "Pareto",
        PARETO_TITLE,
        "Pareto: accounts by revenue",
        "ABC (multi-year)",
        ABC_TITLE,
        "ABC: classes per period",
        "ABC: migration 2023 → 2024",
        "ABC: downgrades",
    ]


def test_deck_is_sixteen_by_nine(deck: Any) -> None:
    assert deck.slide_width * 9 == deck.slide_height * 16


def test_agenda_lists_the_sections(deck: Any) -> None:
    texts = [s.text_frame.text for s in _slide(deck, "Agenda").shapes
             if s.has_text_frame]  # fmt: skip
    assert "1. Pareto\n2. ABC (multi-year)" in texts


def test_every_slide_after_the_first_is_numbered_out_of_ten(deck: Any) -> None:
    for n, slide in enumerate(deck.slides, start=1):
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        assert (f"{n} / 10" in texts) == (n > 1)


def test_footer_names_the_as_of_date_and_the_parameters(deck: Any) -> None:
    texts = [s.text_frame.text for s in _slide(deck, PARETO_TITLE).shapes
             if s.has_text_frame]  # fmt: skip
    footer = next(t for t in texts if "data as of" in t)
    for part in ("Acme Cloud", "data as of 2025-06-30", "threshold=0.8", "2024"):
        assert part in footer


def test_pareto_chart_has_a_bar_and_a_line_plot_on_two_value_axes(deck: Any) -> None:
    chart = next(s.chart for s in _slide(deck, PARETO_TITLE).shapes if s.has_chart)
    assert [type(p).__name__ for p in chart.plots] == ["BarPlot", "LinePlot"]
    plot_area = chart._chartSpace.chart.plotArea
    assert len(plot_area.findall(qn("c:valAx"))) == 2
    bars, (cumulative, threshold) = chart.plots[0].series, chart.plots[1].series
    assert list(bars[0].values) == [float(v) for v in VALUES_2024]
    expected_cum = [0.40, 0.65, 0.77, 0.85, 0.90, 0.94, 0.965, 0.985, 0.995, 1.0]
    assert list(cumulative.values) == pytest.approx(expected_cum)
    assert list(threshold.values) == [0.8] * 10
    labels = list(chart.plots[0].categories)
    assert labels[:7] == [f"Account A{i}" for i in range(1, 8)]
    assert labels[7:] == ["'" + HOSTILE[a] for a in ("A8", "A9", "A10")]


def test_abc_chart_is_two_sided_bars_of_account_against_value_share(
    deck: Any,
) -> None:
    chart = next(s.chart for s in _slide(deck, ABC_TITLE).shapes if s.has_chart)
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    accounts, value = chart.plots[0].series
    assert list(chart.plots[0].categories) == ["A", "B", "C"]
    # pooled 2023–2024: 4/3/3 accounts; value 1670, 260, 70 of 2000
    assert list(accounts.values) == pytest.approx([-0.4, -0.3, -0.3])
    assert list(value.values) == pytest.approx([0.835, 0.13, 0.035])


def test_classes_per_year_are_stacked_columns(deck: Any) -> None:
    chart = next(
        s.chart for s in _slide(deck, "ABC: classes per period").shapes if s.has_chart
    )
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_STACKED
    assert list(chart.plots[0].categories) == ["2023", "2024"]
    assert {s.name: list(s.values) for s in chart.plots[0].series} == {
        "class A": [4.0, 4.0],
        "class B": [3.0, 3.0],
        "class C": [3.0, 3.0],
    }


def test_migration_matrix_counts_the_two_moves_and_colours_them(deck: Any) -> None:
    slide = _slide(deck, "ABC: migration 2023 → 2024")
    assert _table(slide) == [
        ["2023 \\ 2024", "A", "B", "C", "lost"],
        ["A", "3", "1", "0", "0"],
        ["B", "1", "2", "0", "0"],
        ["C", "0", "0", "3", "0"],
        ["new", "0", "0", "0", "0"],
    ]
    table = next(s for s in slide.shapes if s.has_table).table
    assert str(table.cell(1, 2).fill.fore_color.rgb) == "F8D7DA"  # A → B: down
    assert str(table.cell(2, 1).fill.fore_color.rgb) == "D8EFD9"  # B → A: up
    notes = slide.notes_slide.notes_text_frame.text
    assert "1 account moved from A to B; 1 account moved from B to A" in notes


def test_every_slide_has_speaker_notes_and_the_pareto_notes_say_the_headline(
    deck: Any,
) -> None:
    for slide in deck.slides:
        assert slide.has_notes_slide
        assert slide.notes_slide.notes_text_frame.text
    notes = _slide(deck, PARETO_TITLE).notes_slide.notes_text_frame.text
    assert "4 of 10 accounts (40 %) make 85.0 % of revenue" in notes
    assert "holds 40.0 %" in notes  # the largest account: 400 of 1000


def test_ranked_table_lists_every_account_with_share_and_vital_few(deck: Any) -> None:
    rows = _table(_slide(deck, "Pareto: accounts by revenue"))
    assert rows[0] == ["rank", "account", "revenue", "share", "cumulative", "vital few"]
    assert rows[4] == ["4", "Account A4", "80.00", "8.0 %", "85.0 %", "yes"]
    assert rows[5][5] == ""
    assert rows[8][1] == "'" + HOSTILE["A8"]


def test_hostile_names_are_text_in_slides(deck: Any) -> None:
    text = all_text(deck)
    for name in HOSTILE.values():
        assert "'" + name in text
    assert not any(line.startswith(("=", "+", "@")) for line in text.splitlines())


def test_embedded_workbooks_hold_no_formula_and_the_names_as_text(
    deck_path: Path,
) -> None:
    books = embedded_workbooks(deck_path)
    assert len(books) == len(charts(reopen(deck_path))) == 3
    seen: list[str] = []
    for data in books.values():
        formulas, strings = xlsx_formulas_and_strings(data)
        assert formulas == 0
        seen.extend(strings)
    for name in HOSTILE.values():
        assert "'" + name in seen
    assert NAMES["A1"] in seen
