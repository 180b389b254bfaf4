"""The Store: kam's system of record on SQLite (default) or PostgreSQL.

>>> store = Store("sqlite:///kam.db")            # doctest: +SKIP
>>> store.upgrade()                              # doctest: +SKIP
>>> summary = store.import_portfolio(portfolio)  # doctest: +SKIP
>>> store.load_portfolio() == portfolio          # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from kam.config import Settings, get_settings
from kam.errors import StoreError
from kam.model import EXTRA, SHEET_ORDER, SHEETS, Portfolio, Table
from kam.store import snapshots
from kam.store.db import (
    create_store_engine,
    read_connection,
    sqlite_path,
    translate_errors,
    write_connection,
)
from kam.store.importer import ImportSummary, SheetCounts, apply_portfolio
from kam.store.snapshots import SnapshotInfo
from kam.store.tables import ROW_KEY, column_kinds, data_table, imports, meta
from kam.store.types import load_extra

__all__ = ["ImportSummary", "SheetCounts", "SnapshotInfo", "Store"]

MIGRATIONS = Path(__file__).parent / "migrations"
DATA_VERSION = "data_version"


class Store:
    """The store at ``url``: imports, loads, checksums and snapshots.

    ``snapshot_dir`` (SQLite only; default ``<db>.snapshots/``) receives a snapshot
    before each import into a store that holds data; the newest ``snapshots_keep``
    are kept.
    """

    def __init__(
        self, url: str, *, snapshot_dir: Path | None = None, snapshots_keep: int = 20
    ) -> None:
        self.url = url
        self.engine = create_store_engine(url)
        self.db_path = sqlite_path(url)
        self.snapshot_dir = snapshot_dir
        if snapshot_dir is None and self.db_path is not None:
            self.snapshot_dir = snapshots.default_snapshot_dir(self.db_path)
        self.snapshots_keep = snapshots_keep

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """The store configured by ``settings`` (default: the process settings)."""
        s = settings or get_settings()
        return cls(
            s.database_url, snapshot_dir=s.snapshot_dir, snapshots_keep=s.snapshots_keep
        )

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- schema ------------------------------------------------------------------

    def upgrade(self) -> None:
        """Create or migrate the database schema to the newest revision."""
        if self.db_path is not None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with (
            translate_errors("cannot upgrade the store schema"),
            write_connection(self.engine) as conn,
        ):
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    # -- reading -----------------------------------------------------------------

    def data_version(self) -> int:
        """How many imports have changed the data so far."""
        with (
            translate_errors("cannot read the data version"),
            read_connection(self.engine) as conn,
        ):
            return _data_version(conn)

    def is_empty(self) -> bool:
        """True when the store holds no account."""
        accounts = data_table("Accounts")
        with (
            translate_errors("cannot read the store"),
            read_connection(self.engine) as conn,
        ):
            return conn.execute(sa.select(accounts.c.row_key).limit(1)).first() is None

    def row_counts(self) -> dict[str, int]:
        """Stored rows per sheet, in :data:`~kam.model.SHEET_ORDER`."""
        with (
            translate_errors("cannot count the stored rows"),
            read_connection(self.engine) as conn,
        ):
            return {
                name: int(
                    conn.execute(
                        sa.select(sa.func.count()).select_from(data_table(name))
                    ).scalar_one()
                )
                for name in SHEET_ORDER
            }

    def load_portfolio(self, *, sheets: Iterable[str] | None = None) -> Portfolio:
        """The stored data: a Table per non-empty stored sheet, rows by row_key."""
        wanted = list(SHEET_ORDER) if sheets is None else list(sheets)
        unknown = [n for n in wanted if n not in SHEETS]
        if unknown:
            raise StoreError(f"unknown sheets: {', '.join(unknown)}")
        portfolio = Portfolio()
        with (
            translate_errors("cannot load the portfolio"),
            read_connection(self.engine) as conn,
        ):
            for name in SHEET_ORDER:
                if name in wanted:
                    table = _load_table(conn, name)
                    if len(table):
                        portfolio.tables[name] = table
        return portfolio

    def known_ids(self) -> dict[tuple[str, str], set[str]]:
        """Stored ids per (sheet, id column), for sheets keyed by one column."""
        found: dict[tuple[str, str], set[str]] = {}
        with (
            translate_errors("cannot read stored ids"),
            read_connection(self.engine) as conn,
        ):
            for name in SHEET_ORDER:
                key = SHEETS[name].key
                if key is None or len(key) != 1:
                    continue
                column = data_table(name).c[key[0]]
                ids = conn.execute(sa.select(column)).scalars()
                found[(name, key[0])] = {str(i) for i in ids if i is not None}
        return found

    def checksum(self) -> str:
        """SHA-256 (hex) of every data table in row_key order plus the data version.

        Computed over canonical values, so equal data gives equal checksums on every
        run and on either engine.
        """
        digest = hashlib.sha256()
        with (
            translate_errors("cannot compute the checksum"),
            read_connection(self.engine) as conn,
        ):
            for name in SHEET_ORDER:
                digest.update(f"\x00table {name}\n".encode())
                for row in _ordered_rows(conn, name):
                    line = json.dumps(
                        row, ensure_ascii=False, sort_keys=True, default=_canonical
                    )
                    digest.update(line.encode())
                    digest.update(b"\n")
            digest.update(f"\x00{DATA_VERSION} {_data_version(conn)}\n".encode())
        return digest.hexdigest()

    # -- writing -----------------------------------------------------------------

    def import_portfolio(
        self,
        portfolio: Portfolio,
        *,
        replace: bool = False,
        source: str | None = None,
        dry_run: bool = False,
    ) -> ImportSummary:
        """Upsert ``portfolio`` in one transaction (see :mod:`kam.store.importer`).

        ``replace`` also removes the stored rows of every sheet present in
        ``portfolio`` that it no longer has. A SQLite store holding data is
        snapshotted first. ``data_version`` goes up by one when anything changed.
        ``dry_run`` does all of it, then rolls the transaction back: the summary
        says what the import would change, and the store is left as it was.
        """
        if dry_run:
            try:
                with (
                    translate_errors("the dry run failed"),
                    write_connection(self.engine, foreign_keys=False) as conn,
                ):
                    current = _data_version(conn, lock=True)
                    counts = apply_portfolio(conn, portfolio, replace=replace)
                    changed = any(c.changed for c in counts.values())
                    # Leaving the block by an exception rolls everything back.
                    raise _RolledBack(
                        ImportSummary(counts, current + int(changed), None, changed)
                    )
            except _RolledBack as done:
                return done.summary
        snapshot: Path | None = None
        if self.db_path is not None and self.snapshot_dir is not None:
            version = self.data_version()
            if version > 0:
                snapshot = snapshots.take_snapshot(
                    self.db_path,
                    self.snapshot_dir,
                    data_version=version,
                    keep=self.snapshots_keep,
                )
        with (
            translate_errors("the import was rolled back"),
            # apply_portfolio checks every account reference itself, set-based.
            write_connection(self.engine, foreign_keys=False) as conn,
        ):
            # Locking the version row first makes concurrent imports on PostgreSQL
            # take turns (SQLite's BEGIN IMMEDIATE already does), so none is lost.
            current = _data_version(conn, lock=True)
            counts = apply_portfolio(conn, portfolio, replace=replace)
            changed = any(c.changed for c in counts.values())
            version = current + (1 if changed else 0)
            if changed:
                conn.execute(
                    meta.update()
                    .where(meta.c.key == DATA_VERSION)
                    .values(value=str(version))
                )
            conn.execute(
                imports.insert().values(
                    at=datetime.now(UTC),
                    source=source,
                    replace=replace,
                    summary=json.dumps(
                        {n: vars(c) for n, c in counts.items()}, sort_keys=True
                    ),
                    data_version=version,
                )
            )
        return ImportSummary(counts, version, snapshot, changed)

    # -- snapshots -----------------------------------------------------------------

    def list_snapshots(self) -> list[SnapshotInfo]:
        """The snapshots of this store, newest first (always empty on PostgreSQL)."""
        if self.db_path is None or self.snapshot_dir is None:
            return []
        return snapshots.list_snapshots(self.snapshot_dir)

    def restore(self, name: str) -> None:
        """Bring back snapshot ``name``; stop other processes using the store first."""
        if self.db_path is None or self.snapshot_dir is None:
            raise StoreError(
                "this store is not a SQLite file, so kam keeps no snapshots of it: "
                "restore a PostgreSQL database with pg_restore from a pg_dump backup"
            )
        self.engine.dispose()
        snapshots.restore_snapshot(self.db_path, self.snapshot_dir, name)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class _RolledBack(Exception):
    """Ends a dry run's transaction with a rollback, carrying its summary."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


def _data_version(conn: sa.Connection, *, lock: bool = False) -> int:
    query = sa.select(meta.c.value).where(meta.c.key == DATA_VERSION)
    if lock:
        query = query.with_for_update()
    value = conn.execute(query).scalar_one_or_none()
    if value is None:
        raise StoreError("the store has no data version: run the schema upgrade first")
    return int(value)


def _select_ordered(conn: sa.Connection, name: str) -> sa.Select[Any]:
    table = data_table(name)
    key = table.c[ROW_KEY]
    # PostgreSQL's default collation depends on the locale; "C" orders by code point,
    # which is SQLite's order too.
    order = key.collate("C") if conn.dialect.name == "postgresql" else key
    return sa.select(*(table.c[c] for c, _ in column_kinds(SHEETS[name]))).order_by(
        order
    )


def _load_table(conn: sa.Connection, name: str) -> Table:
    columns = [c for c, _ in column_kinds(SHEETS[name])]
    data: dict[str, list[object]] = {c: [] for c in columns}
    lists = [data[c] for c in columns]
    result = conn.execute(_select_ordered(conn, name))
    extra_at = columns.index(EXTRA)
    for row in result:
        for i, value in enumerate(row):
            lists[i].append(load_extra(value) if i == extra_at else value)
    return Table(columns, data)


def _ordered_rows(conn: sa.Connection, name: str) -> Iterable[list[object]]:
    extra_at = [c for c, _ in column_kinds(SHEETS[name])].index(EXTRA)
    for row in conn.execute(_select_ordered(conn, name)):
        values = list(row)
        values[extra_at] = load_extra(values[extra_at])
        yield values


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"unexpected stored value {value!r}")
