"""Render an :class:`~kam.analysis.result.AnalysisResult` for people and programs.

- :func:`print_result`: the headline and a Rich table of the first rows (with a note
  when there are more), then the warnings;
- :func:`result_json`: exactly one JSON object (``analysis``, ``parameters``,
  ``summary``, ``rows``, ``warnings``, and ``tables`` when there are any);
- :func:`write_csv`: the rows, one CSV line each, columns in the registry's order.
  Text that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or
  a line break) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TextIO

from rich.console import Console
from rich.table import Table as RichTable

from kam.analysis.result import AnalysisResult

__all__ = [
    "SHOWN_ROWS",
    "cell_text",
    "print_result",
    "result_json",
    "write_csv",
]

#: Rows shown in the terminal table.
SHOWN_ROWS = 50

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _is_share(column: str) -> bool:
    return column.endswith(("share", "share_before", "_pct", "pct")) or column in {
        "share",
        "ratio",
    }


def cell_text(column: str, value: object) -> str:
    """One value as people read it: money with separators, shares as percents."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value * 100:.1f} %" if _is_share(column) else f"{value:,.4g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _columns(result: AnalysisResult, columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    return list(result.rows[0]) if result.rows else []


#: Narrowest a folding text column gets before columns are left out instead.
_MIN_TEXT = 8
#: Text this short (codes, months, periods) is kept whole like numbers and ids.
_SHORT_TEXT = 12


def _numeric(result: AnalysisResult, name: str) -> bool:
    return bool(result.rows) and isinstance(
        result.rows[0].get(name), int | float | Decimal
    )


def _whole(result: AnalysisResult, name: str, widest: int) -> bool:
    """Numbers, ids and short codes are never cut short on a narrow terminal."""
    return _numeric(result, name) or name.endswith("_id") or widest <= _SHORT_TEXT


def _fitting(
    names: list[str], shown: list[list[str]], result: AnalysisResult, width: int
) -> tuple[list[str], list[str]]:
    """The first columns that fit ``width`` whole (text folded to at least
    :data:`_MIN_TEXT`), and the names of those left out."""
    used = 1  # the table's left border
    for i, name in enumerate(names):
        widest = max((len(cells[i]) for cells in shown), default=0)
        need = widest if _whole(result, name, widest) else min(widest, _MIN_TEXT)
        used += max(need, 1) + 3  # padding on both sides and the right border
        if used > width and i > 0:
            return names[:i], names[i:]
    return names, []


def print_result(
    result: AnalysisResult,
    console: Console,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    limit: int = SHOWN_ROWS,
) -> None:
    """Print the headline, the first ``limit`` rows as a table, and the warnings."""
    headline = result.summary.get("headline")
    if headline:
        console.print(str(headline), markup=False)
    names = _columns(result, columns)
    shown = [[cell_text(n, row.get(n)) for n in names] for row in result.rows[:limit]]
    names, left_out = _fitting(names, shown, result, console.width)
    table = RichTable(title=title, title_justify="left")
    for i, name in enumerate(names):
        numeric = _numeric(result, name)
        widest = max((len(cells[i]) for cells in shown), default=0)
        table.add_column(
            name,
            justify="right" if numeric else "left",
            min_width=widest if _whole(result, name, widest) else None,
            no_wrap=_whole(result, name, widest),
        )
    for cells in shown:
        table.add_row(*cells[: len(names)])
    console.print(table)
    if left_out:
        console.print(
            f"… {len(left_out)} more columns do not fit this terminal: "
            f"{', '.join(left_out)} (--format csv or --format json gives them all)",
            markup=False,
        )
    hidden = len(result.rows) - limit
    if hidden > 0:
        console.print(
            f"… {hidden} more rows of {len(result.rows)} "
            "(--format csv or --format json gives them all)",
            markup=False,
        )
    for warning in result.warnings:
        console.print(f"Warning: {warning}", markup=False)


def result_json(result: AnalysisResult) -> str:
    """The result as one JSON object (money as exact decimal strings)."""
    return result.to_json(indent=2)


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(
    result: AnalysisResult, fh: TextIO, *, columns: Sequence[str] | None = None
) -> None:
    """Write the rows as CSV with a header (registry column order)."""
    names = _columns(result, columns)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(names)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(n)) for n in names])
