"""Analysis results as an Excel workbook with native charts (XlsxWriter).

One sheet per analysis: its title and headline, the parameters, the summary and the
warnings on top, then its rows as an Excel table; every further table of the result
(ABC's classes, migration, ...) gets a sheet of its own. The Pareto sheet carries a
combo chart (columns + cumulative share on a 0–100 % right axis), the ABC classes
sheet a stacked column chart of the accounts per class and period; the dashboard and
retention sheets get theirs from :mod:`kam.workbook.dashboard_sheets`; the profit
matrix adds a quadrants sheet and a whale-curve sheet with its XY chart
(:mod:`kam.workbook.selection_sheets`).

Formula-safe: the workbook is opened with kam's safe options, every text is a
string cell (``write_string``, or the same record stored a column at a time by
:class:`ResultsSheet`), and text starting with ``= + - @`` or a control character
carries a quote prefix (:mod:`kam.workbook.xlsx`).

Fast: a 10k-account Pareto + ABC (half a million cells) is written in about 1.5 s
of CPU; :class:`ResultsSheet` says how.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, Worksheet

from kam.analysis.registry import REGISTRY
from kam.analysis.result import AnalysisResult, jsonable
from kam.workbook.checks import collection_paused
from kam.workbook.dashboard_sheets import CHARTS, place, stacked_columns
from kam.workbook.selection_sheets import CHARTS as SELECTION_CHARTS
from kam.workbook.selection_sheets import derived_tables
from kam.workbook.xlsx import (
    DATE_FORMAT,
    MONEY_FORMAT,
    close_workbook,
    needs_quote,
    open_workbook,
)

__all__ = ["ResultsSheet", "results_bytes", "sheet_name", "write_results"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_PERCENT = "0.0%"


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unused sheet name from ``text`` (31 characters, no ``[]:*?/\\``)."""
    base = _BAD_SHEET_CHARS.sub(" ", text).strip("'") or "sheet"
    name = base[:31]
    n = 2
    while name.casefold() in taken:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


#: Texts longer than this go through ``write_string``, which measures them in UTF-16
#: units against Excel's cell limit (XlsxWriter's own shortcut: half the limit).
_SHORT_TEXT = 32_767 // 2


def _is_share(column: str) -> bool:
    return column.endswith(("share", "_pct", "share_before")) or column == "cv"


class ResultsSheet(Worksheet):  # type: ignore[misc]
    """A worksheet that takes a table a column at a time and saves its cells faster.

    A results workbook is mostly a few big tables (ABC on 10k accounts: 36k rows of
    ten columns). Per cell, XlsxWriter's ``write_number``/``write_string`` parse
    their arguments and check the bounds, and at save its generic cell writer builds
    and escapes an attribute list; together that was most of the time. Here:

    - :meth:`numbers_down` and :meth:`strings_down` check the bounds once per column
      and store the very cell records ``write_number``/``write_string`` store (same
      shared-string order, same sheet dimensions);
    - :meth:`_write_rows` writes a row's numbers and shared strings as the stock
      writer does, byte for byte, in one piece, and hands every other cell (dates,
      formulas, blanks, cells under a row or column format) to it.

    ``tests/workbook/test_results_sheet.py`` compares the saved sheets with the
    stock worksheet's.
    """

    def _bulk(self, first: int, col: int, values: Sequence[object]) -> bool:
        """Whether ``values`` from row ``first`` can be stored directly (and the
        dimensions are updated for the first and last value written)."""
        if self.constant_memory:
            return False
        lo = next((i for i, v in enumerate(values) if v is not None), None)
        if lo is None:
            return False
        hi = len(values) - next(
            i for i, v in enumerate(reversed(values)) if v is not None
        )
        return not (
            self._check_dimensions(first + lo, col)
            or self._check_dimensions(first + hi - 1, col)
        )

    def numbers_down(
        self, first: int, col: int, values: Sequence[float | None], fmt: Any
    ) -> None:
        """``values`` down column ``col`` from row ``first`` as numbers in ``fmt``
        (``None`` stays blank; NaN and infinities are refused as ``write_number``
        refuses them)."""
        if not self._bulk(first, col, values):
            for row, v in enumerate(values, first):
                if v is not None:
                    self._write_number(row, col, v, fmt)
            return
        table, isfinite = self.table, math.isfinite
        for row, v in enumerate(values, first):
            if v is not None:
                if isfinite(v):
                    table[row][col] = CellNumberTuple(v, fmt)
                else:
                    self._write_number(row, col, v, fmt)

    def strings_down(
        self, first: int, col: int, values: Sequence[str | None], quoted: Any
    ) -> None:
        """``values`` down column ``col`` from row ``first`` as text; a text Excel
        could take for a formula (:func:`needs_quote`) gets the ``quoted`` format
        (a quote prefix), any other none."""
        if not self._bulk(first, col, values):
            for row, v in enumerate(values, first):
                if v is not None:
                    self._write_string(row, col, v, quoted if needs_quote(v) else None)
            return
        table = self.table
        index = self.str_table._get_shared_string_index
        for row, v in enumerate(values, first):
            if v is None:
                continue
            fmt = quoted if needs_quote(v) else None
            if len(v) > _SHORT_TEXT:
                self._write_string(row, col, v, fmt)
            else:
                table[row][col] = CellStringTuple(index(v), fmt)

    def _write_rows(self) -> None:
        """The ``<row>`` elements of the sheet data, as the stock writer writes them.

        A row's numbers and shared strings (under a cell format or none) are
        written in one piece; any other cell, and a sheet with row formats or
        comments, is left to the stock writer."""
        if self.constant_memory or self.row_info or self.comments:
            super()._write_rows()
            return
        table, write = self.table, self.fh.write
        rows = sorted(r for r, cells in table.items() if cells)
        # Each block of 16 rows carries the span of its columns (1-based).
        bounds: dict[int, tuple[int, int]] = {}
        for row in rows:
            cells = table[row]
            lo, hi = min(cells), max(cells)
            block = bounds.get(row // 16)
            if block is not None:
                lo, hi = min(lo, block[0]), max(hi, block[1])
            bounds[row // 16] = (lo, hi)
        spans = {block: f"{lo + 1}:{hi + 1}" for block, (lo, hi) in bounds.items()}
        # A cell is its head (``<c r="B``), its row number, the tail of its kind and
        # format (`` s="3" t="s"><v>``), its value, ``</v></c>``.
        heads = [f'<c r="{xl_col_to_name(c)}' for c in range(self.dim_colmax + 1)]
        bare = ('"><v>', '" t="s"><v>')
        tails: dict[int, tuple[str, str]] = {}
        # Bare cells of a column with a format take that format: the stock writer's.
        column_formatted = {
            col for col, info in self.col_info.items() if info.column_format is not None
        }
        for row in rows:
            cells = table[row]
            self._write_row(row, spans.get(row // 16))
            ref = str(row + 1)
            parts: list[str] = []
            for col in sorted(cells):
                cell = cells[col]
                fmt = cell.format
                tail: tuple[str, str] | None
                if fmt is not None:
                    tail = tails.get(id(fmt))
                    if tail is None:
                        s = f' s="{fmt._get_xf_index()}"'
                        tail = tails[id(fmt)] = (f'"{s}><v>', f'"{s} t="s"><v>')
                else:
                    tail = None if col in column_formatted else bare
                kind = cell.__class__
                if tail is not None and kind is CellNumberTuple:
                    parts.append(
                        f"{heads[col]}{ref}{tail[0]}{cell.number:.16G}</v></c>"
                    )
                elif tail is not None and kind is CellStringTuple:
                    parts.append(f"{heads[col]}{ref}{tail[1]}{cell.string}</v></c>")
                else:
                    write("".join(parts))
                    parts.clear()
                    self._write_cell(row, col, cell)
            parts.append("</row>")
            write("".join(parts))


class _Writer:
    """Cell formats of one workbook and the typed cell writes."""

    def __init__(self, workbook: Any) -> None:
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.bold = add({"bold": True})
        self.quoted = add({"quote_prefix": True})
        self.money = add({"num_format": MONEY_FORMAT})
        self.percent = add({"num_format": _PERCENT})
        self.date = add({"num_format": DATE_FORMAT})

    def put(self, ws: Any, row: int, col: int, column: str, value: object) -> None:
        """Write one value: numbers as numbers, text never as a formula."""
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_string(row, col, "yes" if value else "no")
        elif isinstance(value, Decimal):
            as_float = float(value)
            if Decimal(repr(as_float)) == value:
                ws.write_number(row, col, as_float, self.money)
            else:
                ws.write_string(row, col, f"{value:f}", self.quoted)
        elif isinstance(value, int | float):
            fmt = (
                self.percent if isinstance(value, float) and _is_share(column) else None
            )
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, date):
            ws.write_datetime(row, col, value, self.date)
        else:
            text = value if isinstance(value, str) else _text(value)
            ws.write_string(row, col, text, self.quoted if needs_quote(text) else None)

    def column(
        self, ws: Any, first: int, col: int, column: str, values: list[object]
    ) -> None:
        """Write ``values`` down column ``col`` from row ``first``.

        A column of one kind (text, floats, whole numbers, money: the bulk of a big
        result) is written in one call; a mixed one value by value through
        :meth:`put`, which writes each value as a column of that kind would.
        """
        kinds = {v.__class__ for v in values}
        kinds.discard(type(None))
        kind = kinds.pop() if len(kinds) == 1 else None
        if kind is str:
            ws.strings_down(first, col, values, self.quoted)
        elif kind is float:
            fmt = self.percent if _is_share(column) else None
            ws.numbers_down(first, col, values, fmt)
        elif kind is int:
            ws.numbers_down(first, col, values, None)
        elif kind is Decimal:
            self._money(ws, first, col, values)
        else:
            for i, v in enumerate(values, start=first):
                self.put(ws, i, col, column, v)

    def _money(self, ws: Any, first: int, col: int, values: list[object]) -> None:
        """Money as numbers where a double holds it exactly, else as its digits."""
        numbers: list[float | None] = []
        inexact: list[tuple[int, Decimal]] = []
        for i, v in enumerate(values, start=first):
            if v is None:
                numbers.append(None)
                continue
            assert isinstance(v, Decimal)
            as_float = float(v)
            if Decimal(repr(as_float)) == v:
                numbers.append(as_float)
            else:
                numbers.append(None)
                inexact.append((i, v))
        ws.numbers_down(first, col, numbers, self.money)
        for i, v in inexact:
            ws.write_string(i, col, f"{v:f}", self.quoted)


def _text(value: object) -> str:
    plain = jsonable(value)
    if isinstance(plain, list):
        return ", ".join(str(v) for v in plain)
    if isinstance(plain, dict):
        return ", ".join(f"{k}: {v}" for k, v in plain.items())
    return str(plain)


def _block(ws: Any, w: _Writer, row: int, title: str, items: dict[str, object]) -> int:
    """A titled key/value block from ``row``; returns the next free row."""
    if not items:
        return row
    ws.write_string(row, 0, title, w.bold)
    for key, value in items.items():
        row += 1
        ws.write_string(row, 0, key, w.quoted if needs_quote(key) else None)
        w.put(ws, row, 1, key, value)
    return row + 2


def _table(
    ws: Any,
    w: _Writer,
    row: int,
    name: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, object]],
) -> tuple[int, int]:
    """``rows`` as an Excel table whose header is at ``row``; returns the first and
    last data rows."""
    last = row + max(len(rows), 1)
    ws.add_table(
        row,
        0,
        last,
        len(columns) - 1,
        {
            "name": re.sub(r"\W", "_", name),
            "style": "Table Style Light 9",
            "columns": [{"header": c} for c in columns],
        },
    )
    for c, column in enumerate(columns):
        w.column(ws, row + 1, c, column, [r.get(column) for r in rows])
    for c, column in enumerate(columns):
        ws.set_column(c, c, max(12, min(40, len(column) + 4)))
    return row + 1, last


def _pareto_chart(
    workbook: Any, ws: Any, sheet: str, first: int, last: int, columns: list[str]
) -> None:
    value, cum = columns.index("value"), columns.index("cum_share")
    chart = workbook.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "value",
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, value, last, value],
            "gap": 40,
        }
    )
    line = workbook.add_chart({"type": "line"})
    line.add_series(
        {
            "name": "cumulative share",
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, cum, last, cum],
            "y2_axis": True,
        }
    )
    chart.combine(line)
    chart.set_title({"name": "Pareto"})
    line.set_y2_axis({"min": 0, "max": 1, "num_format": "0%", "major_unit": 0.2})
    chart.set_y_axis({"num_format": "#,##0"})
    place(ws, chart, 0, 4)


def _classes_sheet(
    workbook: Any,
    ws: Any,
    w: _Writer,
    sheet: str,
    rows: Sequence[dict[str, object]],
    start: int,
) -> None:
    """Accounts per class and period as a small pivot beside the table, charted."""
    periods = [
        p for p in dict.fromkeys(str(r["period"]) for r in rows) if p != "pooled"
    ]
    if not periods:
        return
    col0 = 8
    counts = {(str(r["period"]), str(r["class"])): r["accounts"] for r in rows}
    chart = stacked_columns(
        workbook,
        ws,
        sheet,
        (start, col0),
        ["period", *(f"class {cls}" for cls in "ABC")],
        [(p, [float(str(counts.get((p, cls), 0))) for cls in "ABC"]) for p in periods],
        header_format=w.bold,
    )
    chart.set_title({"name": "Accounts per class"})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(start + len(periods) + 2, col0, chart)


def _analysis_sheets(
    workbook: Any, w: _Writer, result: AnalysisResult, taken: set[str]
) -> None:
    analysis = REGISTRY.get(result.analysis)
    title = analysis.title if analysis else result.analysis
    columns = (
        [c for c, _ in analysis.output_columns]
        if analysis
        else list(result.rows[0])
        if result.rows
        else []
    )
    name = sheet_name(result.analysis, taken)
    ws = workbook.add_worksheet(name)
    ws.write_string(0, 0, title, w.title)
    headline = str(result.summary.get("headline", ""))
    ws.write_string(1, 0, headline, w.quoted if needs_quote(headline) else None)
    row = _block(ws, w, 3, "Parameters", dict(result.parameters))
    summary = {k: v for k, v in result.summary.items() if k != "headline"}
    row = _block(ws, w, row, "Summary", summary)
    row = _block(
        ws, w, row, "Warnings", {str(i): t for i, t in enumerate(result.warnings, 1)}
    )
    # Columns no row fills (ABC's cv and xyz without xyz=true) are left out.
    columns = [c for c in columns if any(r.get(c) is not None for r in result.rows)]
    if columns:
        first, last = _table(
            ws, w, row, f"{result.analysis}_rows", columns, result.rows
        )
        if result.analysis == "pareto" and result.rows:
            _pareto_chart(workbook, ws, name, first, last, columns)
        chart = CHARTS.get((result.analysis, None))
        if chart is not None and result.rows:
            chart(workbook, ws, name, result.rows, first - 1, columns)
    for table_name, rows in {**result.tables, **derived_tables(result)}.items():
        sub = sheet_name(f"{result.analysis} {table_name}", taken)
        ts = workbook.add_worksheet(sub)
        ts.write_string(0, 0, f"{title}: {table_name}", w.title)
        cols = list(rows[0]) if rows else ["(no rows)"]
        _table(ts, w, 2, f"{result.analysis}_{table_name}", cols, rows)
        table_chart = CHARTS.get((result.analysis, table_name)) or (
            SELECTION_CHARTS.get((result.analysis, table_name))
        )
        if table_chart is not None and rows:
            table_chart(workbook, ts, sub, rows, 2, cols)
        if result.analysis == "abc" and table_name == "classes":
            _classes_sheet(workbook, ts, w, sub, rows, 2)


def results_bytes(results: Sequence[AnalysisResult]) -> bytes:
    """The results workbook as bytes (for a download)."""
    with tempfile.TemporaryDirectory(prefix="kam-results-") as tmp:
        path = Path(tmp) / "results.xlsx"
        write_results(results, path)
        return path.read_bytes()


def write_results(results: Sequence[AnalysisResult], path: Path) -> None:
    """Write ``results`` to the workbook ``path`` (ExportError when it cannot)."""
    workbook = open_workbook(path)
    # A report is read, not re-imported: XlsxWriter's own number format (16
    # significant digits, exact for money below 10**13), not the exact-repr one of
    # the export.
    workbook.worksheet_class = ResultsSheet
    # XlsxWriter keeps a record per cell until the file is saved: half a million on a
    # 10k-account ABC, none of them garbage. The cyclic collector's full passes kept
    # walking them all (a quarter of the time); it runs again once the file is
    # written.
    with collection_paused():
        w = _Writer(workbook)
        taken: set[str] = set()
        for result in results:
            _analysis_sheets(workbook, w, result, taken)
        if not results:
            workbook.add_worksheet("results").write_string(0, 0, "No analysis was run.")
        close_workbook(workbook, path)
