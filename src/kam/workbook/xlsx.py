"""Shared XlsxWriter helpers for the template and the export.

Every workbook is opened with the automatic conversions off (a string that starts
with ``=`` would become a formula, a URL-like string a link, a numeric string a
number), every string goes through ``write_string``, and text that Excel could run
or mangle (a leading ``= + - @`` or control character) carries a ``quote_prefix``
format so that Excel shows it as text and reads it back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException
from xlsxwriter.worksheet import Worksheet

from kam.errors import ExportError
from kam.model import SHEET_ORDER, Column, Kind

__all__ = [
    "DATE_FORMAT",
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "EXCEL_MAX_TEXT",
    "MONEY_FORMAT",
    "WORKBOOK_OPTIONS",
    "WORKBOOK_SHEET_ORDER",
    "CellWriter",
    "ExactWorksheet",
    "Formats",
    "add_validation",
    "cell_writer",
    "close_workbook",
    "column_width",
    "header_comment",
    "needs_quote",
    "open_workbook",
    "utf16_len",
    "write_header",
]

#: Options every kam workbook is created with: no automatic formulas, links or numbers.
WORKBOOK_OPTIONS: dict[str, bool] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

#: Sheets in the order the template and the export show them: the one required
#: sheet first, the settings next, then referenced sheets before referring ones.
WORKBOOK_SHEET_ORDER: tuple[str, ...] = (
    "Accounts",
    "Settings",
    *(name for name in SHEET_ORDER if name not in ("Accounts", "Settings")),
)

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: Excel counts a cell's text in UTF-16 code units, so an astral character counts 2.
EXCEL_MAX_TEXT = 32_767
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
# Whole numbers beyond 2**53 are not exact as doubles; they are written as text.
_EXACT_INT = 2**53
_HOSTILE_FIRST = frozenset("=+-@")
_TEXT_FORMAT = "@"

#: Writes one canonical value at (row, column) of a worksheet.
CellWriter = Callable[[Any, int, int, object], None]


class ExactWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet that writes numbers with ``repr`` precision.

    XlsxWriter writes ``<v>`` with 16 significant digits, which changes floats such
    as ``0.1 + 0.2``; ``repr`` is the shortest text that reads back as the same
    double, so every float survives a round trip.
    """

    def _xml_number_element(
        self, number: float, attributes: list[tuple[str, str]] | None = None
    ) -> None:
        attr = "".join(
            f' {key}="{self._escape_attributes(value)}"'
            for key, value in attributes or ()
        )
        text = repr(number) if isinstance(number, int) else repr(float(number))
        self.fh.write(f"<c{attr}><v>{text}</v></c>")


def open_workbook(path: Path, *, constant_memory: bool = False) -> Any:
    """A new XlsxWriter workbook at ``path`` with kam's safe options.

    ``constant_memory`` flushes each row once a later row is written: memory stays
    flat for a million rows, but rows must be written top to bottom.
    """
    options: dict[str, object] = {
        **WORKBOOK_OPTIONS,
        "constant_memory": constant_memory,
    }
    workbook = xlsxwriter.Workbook(str(path), options)
    workbook.worksheet_class = ExactWorksheet
    return workbook


def close_workbook(workbook: Any, path: Path) -> None:
    """Close (write) the workbook, translating XlsxWriter and OS errors."""
    try:
        workbook.close()
    except (XlsxWriterException, OSError) as exc:
        raise ExportError(f"could not write {path}: {exc}") from exc


@dataclass(frozen=True)
class Formats:
    """The cell formats of one workbook (XlsxWriter formats belong to a workbook)."""

    header: Any
    header_required: Any
    quoted: Any
    money: Any
    money_text: Any
    date: Any
    text: Any
    title: Any
    bold: Any
    wrap: Any

    @classmethod
    def of(cls, workbook: Any) -> Formats:
        """Create the formats in ``workbook``."""
        add = workbook.add_format
        header = {"bg_color": "#DDEBF7", "bottom": 1, "text_wrap": False}
        return cls(
            header=add({**header, "quote_prefix": True}),
            header_required=add({**header, "bold": True, "quote_prefix": True}),
            quoted=add({"quote_prefix": True}),
            money=add({"num_format": MONEY_FORMAT}),
            # Text money keeps its exact digits; right-aligned like a number.
            money_text=add({"quote_prefix": True, "align": "right"}),
            date=add({"num_format": DATE_FORMAT}),
            text=add({"num_format": _TEXT_FORMAT}),
            title=add({"bold": True, "font_size": 14}),
            bold=add({"bold": True}),
            wrap=add({"text_wrap": True, "valign": "top"}),
        )


def utf16_len(text: str) -> int:
    """Length of ``text`` as Excel counts it (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def needs_quote(text: str) -> bool:
    """True when Excel could take ``text`` for a formula or mangle its first char."""
    return bool(text) and (text[0] in _HOSTILE_FIRST or text[0] < " ")


def _put_string(ws: Any, row: int, col: int, text: str, fmt: Any) -> None:
    if ws.write_string(row, col, text, fmt) == -2:
        # XlsxWriter would silently truncate; the caller names sheet, row, column.
        raise ValueError(
            f"a text of {utf16_len(text)} UTF-16 units exceeds Excel's cell limit "
            f"of {EXCEL_MAX_TEXT}"
        )


def cell_writer(kind: Kind, formats: Formats) -> CellWriter:
    """The function that writes a canonical value of ``kind`` into a cell.

    ``None`` leaves the cell blank. Money is a number when the float is the exact
    amount, else exact text; dates are Excel dates; bools are ``yes``/``no``;
    everything else that is not a number is text written with ``write_string``.
    """

    def text(ws: Any, row: int, col: int, value: object) -> None:
        if value is None:
            return
        s = value if isinstance(value, str) else str(value)
        _put_string(ws, row, col, s, formats.quoted if needs_quote(s) else None)

    def money(ws: Any, row: int, col: int, value: object) -> None:
        if value is None:
            return
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        as_float = float(amount)
        if Decimal(repr(as_float)) == amount:
            ws.write_number(row, col, as_float, formats.money)
        else:
            _put_string(ws, row, col, f"{amount:f}", formats.money_text)

    def integer(ws: Any, row: int, col: int, value: object) -> None:
        if value is None:
            return
        if isinstance(value, int) and abs(value) > _EXACT_INT:
            _put_string(ws, row, col, str(value), formats.money_text)
        else:
            ws.write_number(row, col, value)

    def number(ws: Any, row: int, col: int, value: object) -> None:
        if value is not None:
            ws.write_number(row, col, value)

    def date(ws: Any, row: int, col: int, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, dt.date):
            raise TypeError(f"expected a date, got {value!r}")
        ws.write_datetime(row, col, value, formats.date)

    def boolean(ws: Any, row: int, col: int, value: object) -> None:
        if value is not None:
            ws.write_string(row, col, "yes" if value else "no")

    writers: dict[Kind, CellWriter] = {
        Kind.MONEY: money,
        Kind.INT: integer,
        Kind.NUMBER: number,
        Kind.DATE: date,
        Kind.BOOL: boolean,
    }
    return writers.get(kind, text)


def column_width(name: str, column: Column | None) -> float:
    """A readable width (in characters) for a column of this name and kind."""
    by_kind = {
        Kind.TEXT: 28,
        Kind.ID: 16,
        Kind.INT: 10,
        Kind.NUMBER: 12,
        Kind.MONEY: 16,
        Kind.DATE: 12,
        Kind.MONTH: 10,
        Kind.PERIOD: 10,
        Kind.BOOL: 8,
    }
    width = 16 if column is None else by_kind.get(column.kind, 12)
    if column is not None and column.choices:
        width = max(len(c) for c in column.choices) + 4
    return float(min(max(width, len(name) + 3), 60))


def header_comment(column: Column) -> str:
    """The header's comment: required or not, what it means, what a cell holds."""
    lines = ["Required." if column.required else "Optional."]
    if column.description:
        lines.append(column.description[:1].upper() + column.description[1:] + ".")
    lines.append(f"Expected: {column.expected}.")
    if column.default is not None:
        lines.append(f"Blank means {column.default}.")
    if column.ref is not None:
        lines.append(f"Refers to {column.ref.sheet}.{column.ref.column}.")
    return "\n".join(lines)


def write_header(
    ws: Any, col: int, name: str, column: Column | None, formats: Formats
) -> None:
    """Write one header cell (bold when required) with its comment and width."""
    fmt = (
        formats.header_required
        if column is not None and column.required
        else formats.header
    )
    _put_string(ws, 0, col, name, fmt)
    comment = (
        header_comment(column) if column is not None else "Extra column, kept as text."
    )
    ws.write_comment(0, col, comment, {"x_scale": 2.2, "y_scale": 1.6})
    ws.set_column(col, col, column_width(name, column), _column_format(column, formats))


def _column_format(column: Column | None, formats: Formats) -> Any:
    # Preformatting empty cells stops Excel from turning typed ids like 00123 or
    # months like 2024-03 into numbers and dates.
    if column is None:
        return None
    if column.kind in (Kind.TEXT, Kind.ID, Kind.MONTH, Kind.PERIOD, Kind.ENUM):
        return formats.text
    if column.kind is Kind.DATE:
        return formats.date
    if column.kind is Kind.MONEY:
        return formats.money
    return None


def _fit(text: str, limit: int) -> str:
    """``text`` cut to Excel's ``limit`` of UTF-16 units (with an ellipsis)."""
    if utf16_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if utf16_len(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def add_validation(
    ws: Any, col: int, column: Column, *, first_row: int, last_row: int
) -> None:
    """Excel data validation for one column over rows ``first_row..last_row``.

    Lists for enumerations and bools, whole numbers and decimals within the
    column's bounds, dates within 1900–2199, and an input message everywhere.
    """
    options: dict[str, object] = {"validate": "any"}
    if column.choices:
        options = {"validate": "list", "source": list(column.choices)}
    elif column.kind is Kind.BOOL:
        options = {"validate": "list", "source": ["yes", "no"]}
    elif column.kind in (Kind.INT, Kind.NUMBER, Kind.MONEY):
        kind = "integer" if column.kind is Kind.INT else "decimal"
        options = {"validate": kind, **_bounds(column)}
    elif column.kind is Kind.DATE:
        options = {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(1900, 1, 1),
            "maximum": dt.date(2199, 12, 31),
        }
    options["input_title"] = _fit(column.name, 32)
    options["input_message"] = _fit(
        f"{column.description} — {column.expected}"
        + (" (required)" if column.required else ""),
        255,
    )
    if options["validate"] != "any":
        options["error_title"] = _fit(f"Invalid {column.name}", 32)
        options["error_message"] = _fit(f"Expected {column.expected}.", 255)
    ws.data_validation(first_row, col, last_row, col, options)


def _bounds(column: Column) -> dict[str, object]:
    low, high = column.minimum, column.maximum
    if column.kind is Kind.INT:
        low = -2_147_483_648 if low is None else low
        high = 2_147_483_647 if high is None else high
        return {"criteria": "between", "minimum": int(low), "maximum": int(high)}
    low = -1e300 if low is None else low
    high = 1e300 if high is None else high
    return {"criteria": "between", "minimum": low, "maximum": high}
