"""The results worksheet's column writers and cell writer save what XlsxWriter's own
per-cell ``write_number``/``write_string`` and stock worksheet save, byte for byte."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kam.workbook.results import ResultsSheet
from kam.workbook.xlsx import WORKBOOK_OPTIONS
from tests.deck.conftest import xlsx_formulas_and_strings

HOSTILE = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\x01bell", '=HYPERLINK("x")']
TEXTS: list[str | None] = [
    "plain",
    None,
    *HOSTILE,
    "",
    " padded ",
    "a & b <c>",
    "plain",
    "x" * 20_000,
    "y" * 40_000,
    None,
]
SHARES: list[float | None] = [0.5, None, 1.0, 0.123456789012345678, -0.0, 1e-300]
WHOLE: list[float | None] = [1, 2**40, None, -7, 0, *range(30), None, 12.5]
LAST_ROW = 1_048_575


def _book(
    path: Path,
    sheet_class: type[Any],
    fill: Callable[[Any, dict[str, Any]], None],
    *,
    row_format: bool = False,
) -> None:
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    workbook.worksheet_class = sheet_class
    formats = {
        "quoted": workbook.add_format({"quote_prefix": True}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "column": workbook.add_format({"num_format": "0.000"}),
        "row": workbook.add_format({"bold": True}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    ws = workbook.add_worksheet("data")
    ws.set_column(0, 2, 20)  # widths only: cells keep their own (or no) format
    ws.set_column(3, 3, 12, formats["column"])  # a column format under bare cells
    if row_format:
        ws.set_row(4, None, formats["row"])  # a row format under bare cells
    ws.write_string(0, 0, "title")
    ws.write_datetime(0, 5, date(2024, 3, 1), formats["date"])
    ws.write_datetime(40, 1, date(2024, 3, 2), formats["date"])  # amid bulk cells
    ws.write_string(40, 8, "far right")
    fill(ws, formats)
    workbook.close()


def _stock(ws: Any, formats: dict[str, Any]) -> None:
    """The same cells through XlsxWriter's public per-cell writes."""
    for row, text in enumerate(TEXTS, start=2):
        if text is not None:
            hostile = text[:1] in ("=", "+", "-", "@") or text[:1] < " "
            ws.write_string(
                row, 0, text, formats["quoted"] if hostile and text else None
            )
    for row, share in enumerate(SHARES, start=2):
        if share is not None:
            ws.write_number(row, 1, share, formats["percent"])
    for row, whole in enumerate(WHOLE, start=2):
        if whole is not None:
            ws.write_number(row, 2, whole)
            ws.write_number(row, 3, whole)
    for row, text in enumerate(["near", None, "the", "end"], start=LAST_ROW - 1):
        if text is not None:
            ws.write_string(row, 6, text)


def _bulk(ws: Any, formats: dict[str, Any]) -> None:
    ws.strings_down(2, 0, TEXTS, formats["quoted"])
    ws.numbers_down(2, 1, SHARES, formats["percent"])
    ws.numbers_down(2, 2, WHOLE, None)
    ws.numbers_down(2, 3, WHOLE, None)
    ws.numbers_down(2, 4, [None, None], None)  # nothing to write: no cell, no extent
    ws.strings_down(LAST_ROW - 1, 6, ["near", None, "the", "end"], None)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {
            n: z.read(n)
            for n in z.namelist()
            if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml"
        }


@pytest.mark.parametrize("row_format", [False, True])
def test_column_writers_save_what_the_stock_per_cell_writes_save(
    tmp_path: Path, row_format: bool
) -> None:
    stock, fast = tmp_path / "stock.xlsx", tmp_path / "fast.xlsx"
    _book(stock, Worksheet, _stock, row_format=row_format)
    _book(fast, ResultsSheet, _bulk, row_format=row_format)
    expected, got = _parts(stock), _parts(fast)
    assert set(got) == set(expected)
    for name, data in expected.items():
        assert got[name] == data, name


def test_hostile_text_is_quoted_text_and_no_cell_is_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "fast.xlsx"
    _book(path, ResultsSheet, _bulk)
    formulas, strings = xlsx_formulas_and_strings(path.read_bytes())
    assert formulas == 0
    assert all(t in strings for t in HOSTILE if t[:1] != "\x01")
    ws = openpyxl.load_workbook(path)["data"]
    quoted = {
        ws.cell(row, 1).value: ws.cell(row, 1).quotePrefix
        for row in range(3, 3 + len(TEXTS))
        if ws.cell(row, 1).value is not None
    }
    # openpyxl reads the control character back as Excel's escape.
    assert quoted.pop("_x0001_bell") is True
    assert {t: quoted[t] for t in HOSTILE if t[:1] != "\x01"} == dict.fromkeys(
        [t for t in HOSTILE if t[:1] != "\x01"], True
    )
    assert quoted["plain"] is False
    assert quoted["a & b <c>"] is False
    assert "y" * 32_767 in quoted  # cut at Excel's limit, as write_string cuts
    # Rows 3-8 (1-based); 16 significant digits, as XlsxWriter writes numbers.
    shares = [ws.cell(r, 2).value for r in range(3, 9)]
    assert [s is None for s in shares] == [s is None for s in SHARES]
    assert [s for s in shares if s is not None] == pytest.approx(
        [s for s in SHARES if s is not None], rel=1e-15
    )
    assert ws.cell(5, 2).number_format == "0.0%"
    assert ws.cell(4, 3).value == 2**40


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_share_that_is_not_a_number_is_refused_as_write_number_refuses_it(
    tmp_path: Path, bad: float
) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "bad.xlsx"), WORKBOOK_OPTIONS)
    workbook.worksheet_class = ResultsSheet
    ws = workbook.add_worksheet()
    with pytest.raises(TypeError, match="NAN/INF"):
        ws.numbers_down(0, 0, [0.5, bad], None)
    workbook.close()
