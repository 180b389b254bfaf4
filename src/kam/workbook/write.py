"""Export a portfolio as a contract workbook (``.xlsx``) or a folder of CSV files.

Reading either back with :func:`kam.workbook.read.load_workbook` gives an equal
portfolio. The ``.xlsx`` export is the one to open in Excel: text that Excel could
run as a formula is neutralised there. The CSV folder is a data interchange and
keeps every text exactly as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import XlsxWriterException

from kam.errors import ExportError
from kam.model import EXTRA, SHEETS, Column, Kind, Portfolio, Sheet, Table
from kam.workbook.xlsx import (
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    WORKBOOK_SHEET_ORDER,
    Formats,
    cell_writer,
    close_workbook,
    open_workbook,
    write_header,
)

__all__ = [
    "CONSTANT_MEMORY_ROWS",
    "Grid",
    "sheet_grid",
    "write_csv_folder",
    "write_workbook",
]

#: A sheet with more rows than this is written in XlsxWriter's constant-memory mode.
CONSTANT_MEMORY_ROWS = 50_000


@dataclass(frozen=True)
class Grid:
    """A sheet laid out as the workbook shows it: headers, then rows of cells.

    ``columns[i]`` describes ``headers[i]`` (``None`` for a user's extra column).
    ``rows()`` yields the ``count`` rows' cell values, afresh at each call, so that a
    million-row table is laid out one row at a time.
    """

    sheet: Sheet
    headers: list[str]
    columns: list[Column | None]
    count: int
    rows: Callable[[], Iterator[list[object]]]


def sheet_grid(sheet: Sheet, table: Table) -> Grid:
    """Lay ``table`` out as the sheet's grid.

    Fixed columns come first, then the union of the rows' extra columns in
    first-seen order. A wide sheet (Responsibilities) is pivoted back to one row per
    (account_id, activity) with one column per role in first-seen order.
    """
    if sheet.wide:
        return _wide_grid(sheet, table)
    fixed = list(sheet.column_names)
    extras: dict[str, None] = {}
    for extra in table.column(EXTRA):
        if extra:
            extras.update(dict.fromkeys(extra))  # type: ignore[call-overload]
    extra_names = list(extras)
    data = [table.column(c) for c in fixed]
    extra_column = table.column(EXTRA)

    def rows() -> Iterator[list[object]]:
        for values, extra in zip(zip(*data, strict=True), extra_column, strict=True):
            row = list(values)
            if extra_names:
                found: dict[str, str] = extra or {}  # type: ignore[assignment]
                row.extend(found.get(name) for name in extra_names)
            yield row

    return Grid(
        sheet,
        fixed + extra_names,
        [*sheet.columns, *([None] * len(extra_names))],
        len(table),
        rows,
    )


def _wide_grid(sheet: Sheet, table: Table) -> Grid:
    assert sheet.wide_value is not None
    fixed = list(sheet.column_names)
    roles: dict[str, None] = {}
    cells: dict[tuple[object, ...], dict[str, object]] = {}
    parts = [table.column(c) for c in fixed]
    role_column = table.column(sheet.wide_name)
    code_column = table.column(sheet.wide_value.name)
    for i, (key, role, code, extra) in enumerate(
        zip(
            zip(*parts, strict=True),
            role_column,
            code_column,
            table.column(EXTRA),
            strict=True,
        )
    ):
        if extra:
            # Every column of a wide sheet that is not fixed is a role: an extra
            # column would come back as a role, so it cannot be exported.
            raise ExportError(
                f"{sheet.name} row {i + 1}: extra columns {sorted(extra)} "  # type: ignore[call-overload]
                "cannot be kept on a wide sheet"
            )
        by_role = cells.setdefault(key, {})
        if role in ("", None):
            continue
        name = str(role)
        if name in by_role:
            raise ExportError(
                f"{sheet.name}: role {name!r} appears twice for "
                f"{dict(zip(fixed, key, strict=True))}"
            )
        by_role[name] = code
        roles.setdefault(name)
    role_names = list(roles)

    def rows() -> Iterator[list[object]]:
        for key, by_role in cells.items():
            yield [*key, *(by_role.get(name) for name in role_names)]

    return Grid(
        sheet,
        fixed + role_names,
        [*sheet.columns, *([sheet.wide_value] * len(role_names))],
        len(cells),
        rows,
    )


def _present_grids(portfolio: Portfolio) -> list[Grid]:
    names = [n for n in WORKBOOK_SHEET_ORDER if n in portfolio or n == "Accounts"]
    return [sheet_grid(SHEETS[n], portfolio.table(n)) for n in names]


def write_workbook(
    portfolio: Portfolio, path: Path, *, constant_memory: bool | None = None
) -> None:
    """Write ``portfolio`` as a contract workbook at ``path`` (the export).

    One sheet per sheet of the portfolio (``Accounts`` always), in the template's
    order; bold headers for required columns, each with a comment; frozen header.
    ``constant_memory`` (default: only when a sheet has more than
    :data:`CONSTANT_MEMORY_ROWS` rows) keeps memory flat for big tables.

    Raises :class:`~kam.errors.ExportError` when a sheet does not fit in Excel
    (1,048,576 rows, 16,384 columns) or the file cannot be written.
    """
    grids = _present_grids(portfolio)
    for grid in grids:
        if grid.count + 1 > EXCEL_MAX_ROWS:
            raise ExportError(
                f"{grid.sheet.name} has {grid.count:,} rows; an Excel sheet holds at "
                f"most {EXCEL_MAX_ROWS - 1:,} below its header. Export to CSV instead."
            )
        if len(grid.headers) > EXCEL_MAX_COLUMNS:
            raise ExportError(
                f"{grid.sheet.name} has {len(grid.headers):,} columns; an Excel sheet "
                f"holds at most {EXCEL_MAX_COLUMNS:,}. Export to CSV instead."
            )
    if constant_memory is None:
        constant_memory = any(g.count > CONSTANT_MEMORY_ROWS for g in grids)
    workbook = open_workbook(path, constant_memory=constant_memory)
    formats = Formats.of(workbook)
    for grid in grids:
        _write_grid(workbook.add_worksheet(grid.sheet.name), grid, formats)
    close_workbook(workbook, path)


def _write_grid(ws: Any, grid: Grid, formats: Formats) -> None:
    for col, (name, column) in enumerate(zip(grid.headers, grid.columns, strict=True)):
        write_header(ws, col, name, column, formats)
    ws.freeze_panes(1, 0)
    writers = [
        cell_writer(Kind.TEXT if c is None else c.kind, formats) for c in grid.columns
    ]
    index = list(enumerate(writers))
    row_number = 0
    for row_number, values in enumerate(grid.rows(), start=1):
        for col, write in index:
            value = values[col]
            try:
                write(ws, row_number, col, value)
            except (ValueError, TypeError, XlsxWriterException) as exc:
                raise ExportError(
                    f"{grid.sheet.name} row {row_number + 1}, column "
                    f"{grid.headers[col]}: cannot write {_show(value)}: {exc}"
                ) from exc


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _csv_cell(value: object) -> str:
    """How a canonical value is spelled in a CSV cell (blank for ``None``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv_folder(portfolio: Portfolio, folder: Path) -> None:
    """Write one UTF-8 ``<Sheet>.csv`` per sheet of ``portfolio`` into ``folder``.

    Same columns as the workbook; ISO dates, money as plain decimal text, bools as
    ``yes``/``no``, floats with full precision. Text is written exactly as it is
    (a leading ``=`` is not neutralised): open the ``.xlsx`` export in Excel.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"could not create folder {folder}: {exc}") from exc
    for grid in _present_grids(portfolio):
        target = folder / f"{grid.sheet.name}.csv"
        try:
            with target.open("w", encoding="utf-8", newline="") as handle:
                out = csv.writer(handle)
                out.writerow(grid.headers)
                for values in grid.rows():
                    out.writerow([_csv_cell(v) for v in values])
        except (OSError, UnicodeError, csv.Error) as exc:
            raise ExportError(f"could not write {target}: {exc}") from exc
