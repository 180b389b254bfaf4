"""Canonical tables as Apache Arrow: one Arrow type per :class:`kam.model.Kind`.

Money is ``decimal128(18, 2)`` (exact, as ``NUMERIC(18,2)`` in the store and
``decimal(18, 2)`` in Ibis), dates ``date32``, ints ``int64``, numbers ``float64``,
bools ``bool`` and every text-like kind ``string``. The ``extra`` column of a
:class:`~kam.model.Table` never reaches the engine: analyses only read contract
columns, and user extra columns are free text of unknown shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam.errors import InputError
from kam.model import EXTRA, SHEETS, Kind, Portfolio, Sheet, Table, store_columns

__all__ = [
    "MONEY_TYPE",
    "arrow_schema",
    "arrow_to_table",
    "arrow_type",
    "cents_to_money",
    "column_kinds",
    "portfolio_to_arrow",
    "table_to_arrow",
]

#: Arrow type of every money column.
MONEY_TYPE = pa.decimal128(18, 2)

_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.ID: pa.string(),
    Kind.INT: pa.int64(),
    Kind.NUMBER: pa.float64(),
    Kind.MONEY: MONEY_TYPE,
    Kind.DATE: pa.date32(),
    Kind.MONTH: pa.string(),
    Kind.PERIOD: pa.string(),
    Kind.BOOL: pa.bool_(),
    Kind.ENUM: pa.string(),
}


def arrow_type(kind: Kind) -> pa.DataType:
    """The Arrow type that holds canonical values of ``kind``."""
    return _TYPES[kind]


def column_kinds(sheet: Sheet) -> dict[str, Kind]:
    """Kind of each engine column of ``sheet`` (wide sheets long, no ``extra``)."""
    kinds = {c.name: c.kind for c in sheet.columns}
    if sheet.wide and sheet.wide_value is not None:
        kinds[sheet.wide_name] = Kind.TEXT
        kinds[sheet.wide_value.name] = sheet.wide_value.kind
    return {name: kinds[name] for name in store_columns(sheet) if name != EXTRA}


def arrow_schema(sheet: Sheet) -> pa.Schema:
    """The engine's Arrow schema of ``sheet``: its store columns minus ``extra``."""
    return pa.schema(
        [pa.field(name, arrow_type(kind)) for name, kind in column_kinds(sheet).items()]
    )


def table_to_arrow(sheet_name: str, table: Table) -> pa.Table:
    """Convert a canonical :class:`~kam.model.Table` of ``sheet_name`` to Arrow.

    Raises :class:`~kam.errors.InputError` naming the sheet and column when a value
    does not fit its kind (a money amount beyond 18 digits, text in a date column).
    """
    schema = arrow_schema(SHEETS[sheet_name])
    arrays: list[pa.Array] = []
    for field in schema:
        values = table.data.get(field.name)
        if values is None:
            arrays.append(pa.nulls(len(table), field.type))
            continue
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise InputError(
                f"{sheet_name}, column {field.name}: a value does not fit "
                f"{field.type} ({exc})"
            ) from exc
    return pa.Table.from_arrays(arrays, schema=schema)


def portfolio_to_arrow(portfolio: Portfolio) -> dict[str, pa.Table]:
    """Every sheet present in ``portfolio`` as an Arrow table, keyed by sheet name."""
    return {
        name: table_to_arrow(name, table) for name, table in portfolio.tables.items()
    }


def arrow_to_table(sheet_name: str, data: pa.Table) -> Table:
    """Convert an engine Arrow table back to a canonical :class:`~kam.model.Table`.

    Columns missing from ``data`` become blanks; ``extra`` is ``{}`` on every row.
    Money comes back as :class:`~decimal.Decimal` with two places.
    """
    sheet = SHEETS[sheet_name]
    n = data.num_rows
    columns: dict[str, list[object]] = {}
    for name, kind in column_kinds(sheet).items():
        if name not in data.column_names:
            columns[name] = [None] * n
            continue
        col = data.column(name)
        if kind is Kind.MONEY and col.type != MONEY_TYPE:
            col = pc.cast(col, MONEY_TYPE)
        columns[name] = col.to_pylist()
    columns[EXTRA] = [{} for _ in range(n)]
    return Table(store_columns(sheet), columns)


def cents_to_money(cents: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Integer cents as exact ``decimal128(18, 2)`` amounts (``1999`` → ``19.99``).

    A decimal's storage is its unscaled 128-bit integer, which for two places is
    exactly the number of cents: the array is built from the buffer directly, without
    a detour through Python objects or binary floats.
    """
    if isinstance(cents, pa.ChunkedArray):
        cents = cents.combine_chunks()
    ints = pc.cast(cents, pa.int64())
    lanes = np.empty((len(ints), 2), dtype=np.int64)
    lanes[:, 0] = ints.fill_null(0).to_numpy(zero_copy_only=False)
    lanes[:, 1] = lanes[:, 0] >> 63  # sign extension into the high 64 bits
    validity = ints.buffers()[0] if ints.null_count else None
    if validity is not None and ints.offset:
        # A sliced validity bitmap does not start at bit 0: rebuild it.
        validity = pc.is_valid(ints).buffers()[1]
    return pa.Array.from_buffers(
        MONEY_TYPE,
        len(ints),
        [validity, pa.py_buffer(lanes.tobytes())],
        null_count=ints.null_count,
    )


def decimals_to_money(values: Iterable[Decimal | None]) -> pa.Array:
    """Python decimals as ``decimal128(18, 2)`` (used for drivers that return them)."""
    return pa.array(list(values), type=MONEY_TYPE)


def rename_case_insensitive(
    names: Iterable[str], wanted: Mapping[str, object]
) -> dict[str, str]:
    """Map each name of ``names`` to the key of ``wanted`` it equals ignoring case."""
    folded = {k.casefold(): k for k in wanted}
    return {n: folded[n.casefold()] for n in names if n.casefold() in folded}
