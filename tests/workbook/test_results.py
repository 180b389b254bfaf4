"""The results workbook: a sheet per analysis, Excel tables, native charts, no
formula from user text."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from kam.config import Settings
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.workbook.results import sheet_name, write_results
from tests.deck.conftest import (
    HOSTILE,
    PARAMS,
    tiny_portfolio,
    xlsx_formulas_and_strings,
)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = Engine(PortfolioSource(tiny_portfolio()), settings=Settings())
    try:
        results = [engine.run(n, PARAMS[n]) for n in ("pareto", "abc")]
    finally:
        engine.close()
    path = tmp_path_factory.mktemp("results") / "results.xlsx"
    write_results(results, path)
    return path


def test_one_sheet_per_analysis_and_per_further_table(book: Path) -> None:
    wb = openpyxl.load_workbook(book, read_only=True)
    assert wb.sheetnames == [
        "pareto",
        "abc",
        "abc classes",
        "abc migration",
        "abc upgrades",
        "abc downgrades",
    ]


def test_parameters_and_summary_sit_above_the_rows_table(book: Path) -> None:
    ws = openpyxl.load_workbook(book)["pareto"]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 40)}
    assert ws["A1"].value == "Pareto"
    assert ws["A2"].value == "4 of 10 accounts (40 %) make 85.0 % of revenue"
    assert cells["threshold"] == 0.8
    assert cells["period_from"] == "2024"
    assert cells["k"] == 4
    assert cells["total"] == "1000.00"
    table = ws.tables["pareto_rows"]
    first, last = table.ref.split(":")
    header = int(first[1:])
    assert ws.cell(header, 1).value == "rank"
    assert int(last[1:]) == header + 10
    values = [ws.cell(header + i, 4).value for i in range(1, 11)]
    assert values == [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]
    assert ws.cell(header + 4, 6).value == pytest.approx(0.85)


def test_pareto_sheet_has_a_column_and_line_chart_on_two_axes(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        charts = [z.read(n).decode() for n in z.namelist() if "charts/chart" in n]
    pareto = next(c for c in charts if "cumulative share" in c)
    assert "<c:barChart>" in pareto
    assert "<c:lineChart>" in pareto
    assert pareto.count("<c:valAx>") == 2
    classes = next(c for c in charts if "Accounts per class" in c)
    assert '<c:grouping val="stacked"/>' in classes


def test_hostile_names_are_text_and_no_cell_holds_a_formula(book: Path) -> None:
    formulas, strings = xlsx_formulas_and_strings(book.read_bytes())
    assert formulas == 0
    for name in HOSTILE.values():
        assert name in strings
    ws = openpyxl.load_workbook(book)["pareto"]
    found = {
        c.value: c.quotePrefix
        for row in ws.iter_rows()
        for c in row
        if c.value in HOSTILE.values()
    }
    assert found == dict.fromkeys(HOSTILE.values(), True)


def test_sheet_names_are_cut_cleaned_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a b c"
    long = "x" * 40
    assert sheet_name(long, taken) == "x" * 31
    assert sheet_name(long, taken) == "x" * 29 + " 2"
