"""The set-based upsert of a portfolio into the store, inside the caller's transaction.

Per sheet present in the portfolio (in :data:`kam.model.SHEET_ORDER`): the rows are
streamed into a temporary staging table (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), then SQL counts the created, updated and unchanged rows against the
stored table and applies ``INSERT ... SELECT ... ON CONFLICT (row_key) DO UPDATE``
only where a value differs (NULL-safe). With ``replace`` the stored rows whose key the
staging table lacks are deleted. References to accounts that would break the
``account_id`` foreign key are found first and reported by sheet and id (ids of the
imported Accounts sheet need no look-up), and with ``replace`` an account still
referenced is refused: these checks are what keeps the references whole on SQLite,
where the import transaction skips the database's per-row foreign key check.

A sheet whose table is still empty skips the staging: its rows are inserted
directly. On SQLite the ``row_key`` is then joined by SQLite from the bound key
columns whenever every key value encodes as itself, and the primary key refuses
duplicate keys (Python then names the clashing rows).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kam.errors import StoreError
from kam.model import EXTRA, SHEET_ORDER, SHEETS, Portfolio, Sheet, Table, store_columns
from kam.store.tables import (
    KEY_SEPARATOR,
    NULL_PART,
    ROW_KEY,
    column_kinds,
    data_table,
    encode_part,
    row_keys,
)
from kam.store.types import bulk_converter

__all__ = ["ImportSummary", "SheetCounts", "apply_portfolio"]

STAGE = "kam_stage"
REFS = "kam_stage_refs"
#: Rows per multi-row INSERT on SQLite (fewer when the row has many columns).
ROWS_PER_INSERT = 100
_PARAM = re.compile(r"\?(\d+)")


@dataclass(frozen=True)
class SheetCounts:
    """What an import did to one sheet."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        """True when the sheet's stored rows differ from before the import."""
        return bool(self.created or self.updated or self.removed)


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of :meth:`kam.store.Store.import_portfolio`."""

    sheets: dict[str, SheetCounts] = field(default_factory=dict)
    data_version: int = 0
    snapshot: Path | None = None
    changed: bool = False


def apply_portfolio(
    conn: Connection, portfolio: Portfolio, *, replace: bool
) -> dict[str, SheetCounts]:
    """Upsert every sheet of ``portfolio`` through ``conn``; return the counts.

    ``conn`` is in a write transaction that the caller commits or rolls back.
    """
    counts: dict[str, SheetCounts] = {}
    # Accounts comes before every account-scoped sheet in SHEET_ORDER, so once it is
    # applied its ids are stored: references to them need no database look-up.
    accounts = portfolio.tables.get("Accounts")
    imported = set(accounts.data["account_id"]) if accounts is not None else set()
    for name in SHEET_ORDER:
        table = portfolio.tables.get(name)
        if table is None:
            continue
        counts[name] = _apply_sheet(
            conn, SHEETS[name], table, replace=replace, imported=imported
        )
    if counts.get("Accounts", SheetCounts()).removed:
        _check_removed_accounts(conn)
    return counts


def _apply_sheet(
    conn: Connection, s: Sheet, table: Table, *, replace: bool, imported: set[object]
) -> SheetCounts:
    expected = store_columns(s)
    if table.columns != expected:
        raise StoreError(
            f"{s.name}: the table has columns {list(table.columns)}, "
            f"expected {list(expected)}"
        )
    target = data_table(s.name)
    q = conn.dialect.identifier_preparer.quote
    if s.account_scoped:
        _check_account_refs(conn, s, table, imported)
    if conn.execute(sa.select(target.c[ROW_KEY]).limit(1)).first() is None:
        # Nothing stored yet: every row is new, so the rows go straight in. This is
        # the first import of a big ledger, where staging would double the work.
        _load_new(conn, s, table, into=q(target.name))
        return SheetCounts(created=len(table))
    keys = list(row_keys(s, table))
    _refuse_duplicates(s, table, keys)
    # Temporary tables are created inside the import transaction, so a failure
    # rolls them back with everything else; they are dropped only on success.
    stage = _create_stage(conn, target)
    _load(conn, s, table, keys, into=STAGE)
    del keys
    created, updated, total = _diff(conn, s, target)
    if created or updated:
        _upsert(conn, s, target)
    removed = 0
    if replace:
        stored = conn.execute(
            sa.select(sa.func.count()).select_from(target)
        ).scalar_one()
        removed = int(stored) - total
        if removed:
            conn.exec_driver_sql(f"CREATE INDEX kam_stage_key ON {STAGE} ({ROW_KEY})")
            conn.exec_driver_sql(
                f"DELETE FROM {q(target.name)} WHERE NOT EXISTS (SELECT 1 FROM "
                f"{STAGE} s WHERE s.{ROW_KEY} = {q(target.name)}.{ROW_KEY})"
            )
    stage.drop(conn)
    return SheetCounts(created, updated, total - created - updated, removed)


def _create_stage(conn: Connection, target: sa.Table) -> sa.Table:
    stage = sa.Table(
        STAGE,
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in target.columns),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    return stage


def _refuse_duplicates(s: Sheet, table: Table, keys: list[str]) -> None:
    if len(set(keys)) == len(keys):
        return
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            assert s.key is not None  # keyless row keys are unique by construction
            first = seen[k]
            values = ", ".join(f"{c}={table.data[c][i]!r}" for c in s.key)
            raise StoreError(
                f"{s.name}: rows {first + 1} and {i + 1} have the same key ({values}); "
                "each key may appear once"
            )
        seen[k] = i


def _load_new(conn: Connection, s: Sheet, table: Table, *, into: str) -> None:
    """Insert every row of ``table`` into the empty table ``into``.

    On SQLite the primary key refuses a duplicate key, so the keys are compared in
    Python only to name the rows of a refused import. When every key value encodes
    as itself (:func:`kam.store.tables.encode_part`), SQLite joins the ``row_key``
    from the bound key columns, which saves building and binding it per row.
    """
    if conn.dialect.name != "sqlite":
        keys = list(row_keys(s, table))
        _refuse_duplicates(s, table, keys)
        _load(conn, s, table, keys, into=into)
        return
    if not len(table):
        return
    # A column left out of the INSERT is NULL: leave out the columns without any
    # value (often optional ones, and extra when there are no extra columns), which
    # spares binding a NULL per row.
    names = [
        n
        for n, _ in column_kinds(s)
        if (any(table.data[n]) if n == EXTRA else _has_values(table.data[n]))
    ]
    try:
        key_sql = _sql_row_key(s, table, names)
        if key_sql is None:
            _load(conn, s, table, list(row_keys(s, table)), into=into)
        else:
            q = conn.dialect.identifier_preparer.quote
            marks = ", ".join(f"?{i}" for i in range(1, len(names) + 1))
            sql = (
                f"INSERT INTO {into} ({ROW_KEY}, {', '.join(q(n) for n in names)}) "
                f"VALUES ({key_sql}, {marks})"
            )
            _executemany(conn, sql, _columns(s, table, "sqlite", names))
    except sqlite3.IntegrityError:
        _refuse_duplicates(s, table, list(row_keys(s, table)))
        raise


def _has_values(values: list[object]) -> bool:
    return bool(values) and (values[0] is not None or values.count(None) != len(values))


def _sql_row_key(s: Sheet, table: Table, names: list[str]) -> str | None:
    """The SQL computing ``row_key`` from the bound columns ``names`` (``?N``), or None.

    None when some key value is not text that :func:`encode_part` keeps as it is
    (then Python builds the keys). Blank key values become ``NULL_PART`` in SQL; a
    key column left out of ``names`` (blank throughout) is ``NULL_PART`` itself.
    """
    if s.key is None:
        return None
    parts: list[str] = []
    for k in s.key:
        if k not in names:
            parts.append(f"'{NULL_PART}'")
            continue
        distinct = set(table.data[k])
        nullable = None in distinct
        distinct.discard(None)
        if not all(isinstance(v, str) and encode_part(v) == v for v in distinct):
            return None
        param = f"?{names.index(k) + 1}"
        parts.append(f"coalesce({param}, '{NULL_PART}')" if nullable else param)
    return f" || '{KEY_SEPARATOR}' || ".join(parts)


def _executemany(conn: Connection, sql: str, columns: list[Sequence[object]]) -> None:
    """Run ``sql`` (``INSERT ... VALUES (row)`` with ``?N`` parameters) for each row.

    ``row`` binds one value of each of the equally long ``columns`` as ``?1`` to
    ``?{len(columns)}``. The rows go in as multi-row ``VALUES`` lists of up to
    :data:`ROWS_PER_INSERT` rows: one statement step per hundred rows instead of
    one per row halves SQLite's and the driver's per-row cost. The parameters of a
    statement are laid out by slice assignment, one per column, into one reused
    list (the driver copies bound values, so reusing it is safe).
    """
    head, sep, row = sql.partition(" VALUES ")
    if not sep:
        raise ValueError(f"not an INSERT ... VALUES statement: {sql!r}")
    width = len(columns)
    n = len(columns[0]) if columns else 0
    if any(len(c) != n for c in columns):
        raise ValueError("columns of a bulk insert must have equal lengths")
    if not n:
        return
    raw: Any = conn.connection.driver_connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_INSERT, limit // width))

    def statement(rows: int) -> str:
        values = ", ".join(_shift(row, i * width) for i in range(rows))
        return f"{head} VALUES {values}"

    cursor = raw.cursor()
    try:
        start = 0
        while start < n:
            rows = min(per, n - start)
            if start == 0 or rows < per:
                sql_rows = statement(rows)
                params: list[object] = [None] * (rows * width)
            stop = start + rows
            for j, column in enumerate(columns):
                params[j::width] = column[start:stop]
            cursor.execute(sql_rows, params)
            start = stop
    finally:
        cursor.close()


def _shift(row: str, offset: int) -> str:
    """``row`` with every ``?N`` parameter renumbered to ``?{N + offset}``."""
    if not offset:
        return row
    return _PARAM.sub(lambda m: f"?{int(m[1]) + offset}", row)


def _columns(
    s: Sheet,
    table: Table,
    dialect: str,
    names: list[str],
    keys: list[str] | None = None,
) -> list[Sequence[object]]:
    """The store columns ``names`` (after ``keys`` when given) as loaded, in order."""
    columns: list[Sequence[object]] = [] if keys is None else [keys]
    for name, kind in column_kinds(s):
        if name not in names:
            continue
        convert = bulk_converter(kind, dialect)
        values = table.data[name]
        if convert is None:
            columns.append(values)
        elif kind is None:
            # Extra columns: usually none at all, then every stored value is NULL.
            columns.append(
                list(map(convert, values)) if any(values) else [None] * len(values)
            )
        else:
            # Amounts, dates and flags repeat: convert each distinct value once.
            memo = {v: convert(v) for v in set(values)}
            columns.append(list(map(memo.__getitem__, values)))
    return columns


def _load(
    conn: Connection, s: Sheet, table: Table, keys: list[str], *, into: str
) -> None:
    dialect = conn.dialect.name
    columns = _columns(s, table, dialect, [n for n, _ in column_kinds(s)], keys)
    names = [ROW_KEY, *(n for n, _ in column_kinds(s))]
    if dialect == "sqlite":
        marks = ", ".join(f"?{i}" for i in range(1, len(names) + 1))
        _executemany(conn, f"INSERT INTO {into} VALUES ({marks})", columns)
        return
    raw: Any = conn.connection.driver_connection
    q = conn.dialect.identifier_preparer.quote
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {into} ({', '.join(q(n) for n in names)}) FROM STDIN"
        ) as copy,
    ):
        for row in zip(*columns, strict=True):
            copy.write_row(row)


def _differs(dialect: str) -> Callable[[str, str], str]:
    op = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    return lambda left, right: f"{left} {op} {right}"


def _value_columns(s: Sheet) -> list[str]:
    """Columns that may change while the row_key stays (all for keyless sheets)."""
    key = set(s.key or ())
    return [n for n, _ in column_kinds(s) if n not in key]


def _diff(conn: Connection, s: Sheet, target: sa.Table) -> tuple[int, int, int]:
    q = conn.dialect.identifier_preparer.quote
    differs = _differs(conn.dialect.name)
    t = q(target.name)
    changed = " OR ".join(differs(f"s.{q(c)}", f"t.{q(c)}") for c in _value_columns(s))
    updated = (
        f"SUM(CASE WHEN t.{ROW_KEY} IS NOT NULL AND ({changed}) THEN 1 ELSE 0 END)"
    )
    if s.key is None:
        updated = "0"
    sql = (
        f"SELECT COUNT(*), SUM(CASE WHEN t.{ROW_KEY} IS NULL THEN 1 ELSE 0 END), "
        f"{updated} FROM {STAGE} s LEFT JOIN {t} t ON t.{ROW_KEY} = s.{ROW_KEY}"
    )
    total, created, updated_n = conn.exec_driver_sql(sql).one()
    return int(created or 0), int(updated_n or 0), int(total)


def _upsert(conn: Connection, s: Sheet, target: sa.Table) -> None:
    q = conn.dialect.identifier_preparer.quote
    t = q(target.name)
    names = [ROW_KEY, *(n for n, _ in column_kinds(s))]
    cols = ", ".join(q(n) for n in names)
    sql = f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {STAGE} WHERE true "
    values = _value_columns(s)
    if s.key is None:
        sql += f"ON CONFLICT ({ROW_KEY}) DO NOTHING"
    else:
        differs = _differs(conn.dialect.name)
        sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in values)
        where = " OR ".join(differs(f"{t}.{q(c)}", f"excluded.{q(c)}") for c in values)
        sql += f"ON CONFLICT ({ROW_KEY}) DO UPDATE SET {sets} WHERE {where}"
    conn.exec_driver_sql(sql)


def _check_account_refs(
    conn: Connection, s: Sheet, table: Table, imported: set[object]
) -> None:
    """Refuse rows whose account_id is neither stored nor in this import."""
    ids = set(table.data["account_id"]) - imported
    ids.discard(None)
    if not ids:
        return
    refs = sa.Table(
        REFS, sa.MetaData(), sa.Column("id", sa.Text()), prefixes=["TEMPORARY"]
    )
    refs.create(conn)
    conn.execute(refs.insert(), [{"id": i} for i in sorted(map(str, ids))])
    accounts = data_table("Accounts")
    missing = conn.execute(
        sa.select(refs.c.id)
        .where(~sa.exists().where(accounts.c.account_id == refs.c.id))
        .order_by(refs.c.id)
        .limit(1)
    ).scalar_one_or_none()
    refs.drop(conn)
    if missing is not None:
        raise StoreError(
            f"{s.name}: account_id {missing!r} is not an account of the store "
            "or of this import"
        )


def _check_removed_accounts(conn: Connection) -> None:
    """Refuse an import that removes an account still referenced by stored rows."""
    accounts = data_table("Accounts")
    for name in SHEET_ORDER:
        s = SHEETS[name]
        if not s.account_scoped:
            continue
        t = data_table(name)
        orphan = conn.execute(
            sa.select(t.c.account_id)
            .where(t.c.account_id.is_not(None))
            .where(~sa.exists().where(accounts.c.account_id == t.c.account_id))
            .limit(1)
        ).scalar_one_or_none()
        if orphan is not None:
            raise StoreError(
                f"Accounts: account {orphan!r} cannot be removed: {name} rows still "
                f"refer to it (import {name} too, or keep the account)"
            )
