"""The empty contract workbook users fill by hand.

An ``Instructions`` sheet explains every sheet and column; each data sheet has its
headers (required ones bold), a comment on every header, a frozen header row, column
formats and Excel data validation. The template holds no data: imported as it is, it
gives an empty portfolio without a single problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kam.model import INSTRUCTIONS_SHEET, SETTINGS_DEFAULTS, SHEETS, Column, Sheet
from kam.workbook.xlsx import (
    WORKBOOK_SHEET_ORDER,
    Formats,
    add_validation,
    close_workbook,
    open_workbook,
    write_header,
)

__all__ = [
    "EXAMPLE_ROLES",
    "INSTRUCTIONS",
    "SETTINGS_HELP",
    "VALIDATED_ROWS",
    "write_template",
]

#: Name of the sheet that explains the workbook (ignored on import).
INSTRUCTIONS = INSTRUCTIONS_SHEET
#: Data validation covers this many rows below the header.
VALIDATED_ROWS = 10_000
#: Role columns the template shows on the wide Responsibilities sheet.
EXAMPLE_ROLES: tuple[str, ...] = ("KAM", "Sales director", "Solution architect")

#: What each known setting means (the defaults come from the model).
SETTINGS_HELP: dict[str, str] = {
    "company": "our company's name",
    "currency": "reporting currency, ISO 4217 (rows in another currency are rejected)",
    "fiscal_year_start": "first month of the fiscal year, 1–12",
    "pareto_threshold": "share of revenue that defines the Pareto accounts",
    "abc_cutoffs": "cumulative shares that end classes A and B",
    "renewal_window_days": "days before a renewal date when it shows as due",
    "as_of": "the date the workbook describes (blank = today)",
}

_INTRO = (
    "How to fill this workbook",
    "One sheet per table; row 1 holds the headers, one record per row below it.",
    "Only Accounts is required: leave out or empty the sheets you do not keep.",
    "Bold headers are required columns; hover a header to read what it holds.",
    "A blank cell in an optional column means unknown. Extra columns are kept.",
    "Dates: an Excel date or YYYY-MM-DD. Money: an amount with at most 2 decimals.",
    "Ids are compared exactly (case-sensitive); leading and trailing spaces are "
    "removed.",
)

_TABLE_HEADERS = ("Sheet", "Column", "Required", "Type", "Expected", "Meaning")


def write_template(path: Path) -> None:
    """Write the empty contract workbook, with instructions, at ``path``.

    Raises :class:`~kam.errors.ExportError` when the file cannot be written.
    """
    workbook = open_workbook(path)
    formats = Formats.of(workbook)
    _write_instructions(workbook.add_worksheet(INSTRUCTIONS), formats)
    for name in WORKBOOK_SHEET_ORDER:
        _write_sheet(workbook.add_worksheet(name), SHEETS[name], formats)
    close_workbook(workbook, path)


def _write_sheet(ws: Any, sheet: Sheet, formats: Formats) -> None:
    columns: list[tuple[str, Column]] = [(c.name, c) for c in sheet.columns]
    if sheet.wide and sheet.wide_value is not None:
        columns += [(role, sheet.wide_value) for role in EXAMPLE_ROLES]
    for col, (name, column) in enumerate(columns):
        write_header(ws, col, name, column, formats)
        add_validation(ws, col, column, first_row=1, last_row=VALIDATED_ROWS)
    ws.freeze_panes(1, 0)


def _instruction_rows() -> list[tuple[str, ...]]:
    """The rows of the sheet-and-column table: a sheet row, then its columns."""
    rows: list[tuple[str, ...]] = []
    for name in WORKBOOK_SHEET_ORDER:
        sheet = SHEETS[name]
        rows.append((name, "", "", "", "", sheet.description))
        for column in sheet.columns:
            rows.append(_column_row(name, column.name, column))
        if sheet.wide and sheet.wide_value is not None:
            role = f"one column per {sheet.wide_name} (e.g. {EXAMPLE_ROLES[0]})"
            rows.append(_column_row(name, role, sheet.wide_value))
    return rows


def _column_row(sheet: str, name: str, column: Column) -> tuple[str, ...]:
    meaning = column.description
    if column.default is not None:
        meaning += f" (blank = {column.default})"
    if column.ref is not None:
        meaning += f"; refers to {column.ref.sheet}.{column.ref.column}"
    return (
        sheet,
        name,
        "yes" if column.required else "no",
        column.kind.value,
        column.expected,
        meaning,
    )


def _write_instructions(ws: Any, formats: Formats) -> None:
    ws.write_string(0, 0, _INTRO[0], formats.title)
    for i, line in enumerate(_INTRO[1:], start=1):
        ws.write_string(i, 0, line)
    row = len(_INTRO) + 1
    ws.write_string(row, 0, "Known settings (Settings sheet: key, value)", formats.bold)
    row += 1
    for col, title in enumerate(("key", "default", "meaning")):
        ws.write_string(row, col, title, formats.header_required)
    for key, default in SETTINGS_DEFAULTS.items():
        row += 1
        ws.write_string(row, 0, key, formats.quoted)
        ws.write_string(row, 1, default or "(blank)", formats.quoted)
        ws.write_string(row, 2, SETTINGS_HELP.get(key, ""), formats.quoted)
    row += 2
    ws.write_string(row, 0, "Sheets and columns", formats.bold)
    row += 1
    for col, title in enumerate(_TABLE_HEADERS):
        ws.write_string(row, col, title, formats.header_required)
    for values in _instruction_rows():
        row += 1
        is_sheet_row = values[1] == ""
        for col, value in enumerate(values):
            if value:
                fmt = formats.bold if is_sheet_row and col == 0 else formats.quoted
                ws.write_string(row, col, value, fmt)
    for col, width in enumerate((18, 28, 10, 8, 40, 70)):
        ws.set_column(col, col, width)
