"""Engines for the store, and the translation of database errors.

SQLite connections get, on every connect: ``journal_mode=WAL`` (readers never block
the writer), ``synchronous=FULL`` (a committed import survives a power cut),
``busy_timeout=10000`` and ``foreign_keys=ON``. The pysqlite driver's own
transaction handling is switched off (``isolation_level = None``) and SQLAlchemy's
``begin`` event emits the BEGIN itself: ``BEGIN IMMEDIATE`` on connections marked
with the ``kam_write`` execution option, because a deferred transaction that later
writes gets SQLITE_BUSY at once instead of waiting for the lock; plain ``BEGIN`` for
reads, which then see one consistent snapshot across statements.

``postgresql://`` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from kam.errors import StoreError

__all__ = [
    "WRITE",
    "create_store_engine",
    "normalise_url",
    "read_connection",
    "sqlite_path",
    "translate_errors",
    "write_connection",
]

#: Execution option marking a connection whose transactions write.
WRITE = "kam_write"

_SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=10000",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # Large imports build big indexes; a bigger page cache (negative = KiB) keeps
    # them off the disk, and temporary staging tables stay in memory.
    "PRAGMA cache_size=-262144",
    "PRAGMA temp_store=MEMORY",
)


def normalise_url(url: str) -> str:
    """``url`` with the driver kam uses: psycopg 3 for PostgreSQL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other engines or in-memory."""
    parsed = sa.make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` with kam's per-connection settings."""
    with translate_errors(f"cannot open the store at {_safe(url)}"):
        engine = sa.create_engine(normalise_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so that _sqlite_begin decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


@contextmanager
def write_connection(
    engine: Engine, *, foreign_keys: bool = True
) -> Iterator[Connection]:
    """A connection in one write transaction, committed when the block succeeds.

    ``foreign_keys=False`` lets a SQLite transaction skip the database's foreign
    key checks, for a caller that checks the same references itself, set-based
    (the import: SQLite's check is one index look-up per inserted row, a quarter of
    the CPU of a bulk insert). The setting is per connection and cannot change
    inside a transaction, so it is switched off before ``BEGIN`` and back on before
    the connection returns to the pool. PostgreSQL always checks.
    """
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        raw: Any = None
        if not foreign_keys and engine.dialect.name == "sqlite":
            raw = conn.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
        finally:
            if raw is not None:
                _checks_back_on(conn, raw)


def _checks_back_on(conn: Connection, raw: Any) -> None:
    try:
        raw.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error:
        # Never pool a connection that would skip the checks.
        conn.invalidate()


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one read transaction (a consistent view of the store)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def _safe(url: str) -> str:
    try:
        return sa.make_url(normalise_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid URL>"


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Turn database errors raised inside the block into :class:`StoreError`."""
    try:
        yield
    except sa.exc.DBAPIError as e:
        raise StoreError(f"{action}: {_first_line(e.orig)}") from e
    except (sa.exc.SQLAlchemyError, sqlite3.Error, psycopg.Error) as e:
        raise StoreError(f"{action}: {_first_line(e)}") from e


def _first_line(e: BaseException | None) -> str:
    text = str(e).strip() if e is not None else ""
    return text.splitlines()[0] if text else type(e).__name__
