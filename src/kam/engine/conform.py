"""Bring tables found in a backend to the canonical engine shape.

A warehouse, a Parquet folder or the store names its tables and columns its own way
(``Revenue`` or ``revenue``, ``AMOUNT`` or ``amount``) and may type them loosely
(money as double, dates as timestamps). :func:`conform` selects the contract columns of
a sheet, matching names without regard to case, casts each to its canonical Ibis type
and fills optional columns the table lacks with typed nulls, so that every analysis
sees the same schema on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.datatypes as dt

from kam.engine.arrow import column_kinds
from kam.errors import MissingDataError
from kam.model import SHEETS, Kind, Sheet

__all__ = ["IBIS_MONEY", "conform", "ibis_type", "match_sheets"]

#: Ibis type of every money column.
IBIS_MONEY = dt.Decimal(18, 2)

_IBIS: dict[Kind, dt.DataType] = {
    Kind.TEXT: dt.string,
    Kind.ID: dt.string,
    Kind.INT: dt.int64,
    Kind.NUMBER: dt.float64,
    Kind.MONEY: IBIS_MONEY,
    Kind.DATE: dt.date,
    Kind.MONTH: dt.string,
    Kind.PERIOD: dt.string,
    Kind.BOOL: dt.boolean,
    Kind.ENUM: dt.string,
}


def ibis_type(kind: Kind) -> dt.DataType:
    """The Ibis type of canonical values of ``kind``."""
    return _IBIS[kind]


def match_sheets(names: Iterable[str]) -> dict[str, str]:
    """Sheet name → backend table name, for the tables named after a sheet.

    A table matches a sheet when its name equals, ignoring case, the sheet's name
    (``Revenue``) or its store table name (``health_model``). Names that match no
    sheet are ignored (a warehouse holds many other tables).
    """
    by_name: dict[str, str] = {}
    for s in SHEETS.values():
        by_name[s.name.casefold()] = s.name
        by_name[s.table.casefold()] = s.name
    found: dict[str, str] = {}
    for name in sorted(names):
        sheet_name = by_name.get(name.casefold())
        if sheet_name is not None and sheet_name not in found:
            found[sheet_name] = name
    return found


def conform(table: ibis.Table, sheet: Sheet, *, where: str) -> ibis.Table:
    """``table`` with exactly the engine columns of ``sheet``, canonically typed.

    ``where`` names the table in messages (``"parquet:/data/Revenue.parquet"``).
    Raises :class:`~kam.errors.MissingDataError` when a required column is absent.
    """
    present = {c.casefold(): c for c in table.columns}
    required = set(sheet.required_columns)
    if sheet.wide and sheet.wide_value is not None:
        required |= {sheet.wide_name}
    missing = [
        name
        for name in column_kinds(sheet)
        if name in required and name.casefold() not in present
    ]
    if missing:
        raise MissingDataError(
            f"{sheet.name} ({where}) lacks the required column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    exprs = []
    for name, kind in column_kinds(sheet).items():
        wanted = ibis_type(kind)
        actual = present.get(name.casefold())
        if actual is None:
            exprs.append(ibis.null(wanted).name(name))
            continue
        col = table[actual]
        if col.type() != wanted:
            col = _cast(col, kind, wanted)
        exprs.append(col.name(name))
    return table.select(*exprs)


def _cast(col: ibis.Value, kind: Kind, wanted: dt.DataType) -> ibis.Value:
    """Cast one column; timestamps become dates, numbers become exact money."""
    if kind is Kind.DATE and col.type().is_timestamp():
        return col.date()
    if kind is Kind.MONEY and col.type().is_floating():
        # Round first: a double 0.1 + 0.2 must become 0.30, not be truncated.
        return col.round(2).cast(wanted)
    return col.cast(wanted)


def sheet_of(name: str) -> Sheet:
    """The sheet called ``name`` (exact canonical name)."""
    return SHEETS[name]
