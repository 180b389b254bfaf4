"""Export the store's tables to Parquet files, one consistent read, in chunks.

The store is read with plain DBAPI cursors (``fetchmany`` in chunks, one Arrow record
batch per chunk, no Python object per row beyond the driver's tuple): the SQLite
store through :mod:`sqlite3` in a read transaction, so that every table and the data
version come from one state of the database; PostgreSQL through psycopg in a
``REPEATABLE READ READ ONLY`` transaction. Values arrive in the store's encoding
(:mod:`kam.store.types`) and leave in the engine's (:mod:`kam.engine.arrow`):

- money: integer cents on SQLite → ``decimal128(18, 2)`` from the cents directly;
  ``Decimal`` on PostgreSQL → the same type, exactly;
- dates: ISO text on SQLite → ``date32``; booleans: 0/1 on SQLite → ``bool``.

The ``extra`` column is not read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa

from kam.engine.arrow import (
    MONEY_TYPE,
    arrow_schema,
    arrow_type,
    cents_to_money,
    column_kinds,
)
from kam.errors import StoreError
from kam.model import SHEETS, Kind

__all__ = [
    "CHUNK_ROWS",
    "export_store",
    "pg_connect_kwargs",
    "read_data_version",
    "sqlite_path",
]

#: Rows per fetch and per Arrow record batch.
CHUNK_ROWS = 100_000


class _Cursor(Protocol):
    def execute(self, sql: str, /) -> Any: ...
    def fetchmany(self, size: int, /) -> Sequence[Sequence[Any]]: ...


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite store URL; ``None`` for any other store."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise StoreError(f"the engine needs a SQLite store in a file, not {url}")
    return Path(parsed.database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise StoreError(f"no store at {path}: import a workbook first (kam import)")
    con = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
    )
    con.execute("PRAGMA busy_timeout = 5000")
    return con


def _version_sql() -> str:
    return "SELECT value FROM kam_meta WHERE key = 'data_version'"


def _version_from(cur: _Cursor) -> int:
    cur.execute(_version_sql())
    rows = cur.fetchmany(1)
    return int(rows[0][0]) if rows else 0


def read_data_version(url: str) -> int:
    """The store's data version (0 for a store that never imported anything)."""
    path = sqlite_path(url)
    try:
        if path is not None:
            with closing(_sqlite_connect(path)) as con:
                return _version_from(con.cursor())
        with psycopg.connect(**pg_connect_kwargs(url), autocommit=True) as pg:
            return _version_from(pg.cursor())
    except (sqlite3.Error, psycopg.Error) as exc:
        raise StoreError(f"cannot read the store's data version: {exc}") from exc


def _converter(kind: Kind, sqlite: bool) -> Callable[[list[Any]], pa.Array]:
    """Build one Arrow column of ``kind`` from a list of driver values."""
    if kind is Kind.MONEY:
        if sqlite:
            return lambda v: cents_to_money(pa.array(v, pa.int64()))
        return lambda v: pa.array(v, MONEY_TYPE)
    if kind is Kind.DATE and sqlite:
        return lambda v: pc.cast(pa.array(v, pa.string()), pa.date32())
    if kind is Kind.BOOL and sqlite:
        return lambda v: pc.cast(pa.array(v, pa.int64()), pa.bool_())
    target = arrow_type(kind)
    return lambda v: pa.array(v, target)


def _batches(cur: _Cursor, sheet_name: str, sqlite: bool) -> Iterator[pa.RecordBatch]:
    sheet = SHEETS[sheet_name]
    kinds = column_kinds(sheet)
    schema = arrow_schema(sheet)
    names = list(kinds)
    convert = [_converter(kinds[n], sqlite) for n in names]
    cols = ", ".join(f'"{n}"' for n in names)
    cur.execute(f'SELECT {cols} FROM "{sheet.table}"')
    while True:
        rows = cur.fetchmany(CHUNK_ROWS)
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        arrays = [fn(list(values)) for fn, values in zip(convert, columns, strict=True)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write_sheet(cur: _Cursor, name: str, folder: Path, sqlite: bool) -> bool:
    """Write one sheet; False when the store holds no row of it (no file written)."""
    writer: pq.ParquetWriter | None = None
    try:
        for batch in _batches(cur, name, sqlite):
            if writer is None:
                writer = pq.ParquetWriter(folder / f"{name}.parquet", batch.schema)
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()
    return writer is not None


def pg_connect_kwargs(url: str) -> dict[str, Any]:
    """psycopg connection keywords of a PostgreSQL store URL (query options kept)."""
    u = sa.make_url(url)
    kwargs: dict[str, Any] = {
        "host": u.host,
        "port": u.port,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
    }
    kwargs.update(u.query)
    return {k: v for k, v in kwargs.items() if v is not None}


def _export_sqlite(path: Path, folder: Path) -> tuple[int, list[str]]:
    with closing(_sqlite_connect(path)) as con:
        cur = con.cursor()
        # One deferred read transaction: a WAL reader sees one state throughout.
        cur.execute("BEGIN")
        try:
            version = _version_from(cur)
            written = [n for n in SHEETS if _write_sheet(cur, n, folder, sqlite=True)]
        finally:
            cur.execute("COMMIT")
    return version, written


def _export_postgres(url: str, folder: Path) -> tuple[int, list[str]]:
    with psycopg.connect(**pg_connect_kwargs(url)) as con:
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        con.read_only = True
        with con.cursor() as cur:
            version = _version_from(cur)
        written: list[str] = []
        for name, sheet in SHEETS.items():
            # A named (server-side) cursor streams; a plain one would buffer it all.
            with con.cursor(name=f"kam_export_{sheet.table}") as cur:
                if _write_sheet(cur, name, folder, sqlite=False):
                    written.append(name)
        con.rollback()
    return version, written


def export_store(url: str, folder: Path) -> tuple[int, list[str]]:
    """Write every non-empty sheet of the store to ``folder/<Sheet>.parquet``.

    Returns the data version the files hold and the sheets written. Tables and
    version are read in one transaction, so they always belong together.
    """
    path = sqlite_path(url)
    try:
        if path is not None:
            return _export_sqlite(path, folder)
        return _export_postgres(url, folder)
    except (sqlite3.Error, psycopg.Error) as exc:
        raise StoreError(f"cannot read the store for the engine: {exc}") from exc
