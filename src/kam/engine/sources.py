"""Where the engine's tables come from.

A source string (``--source`` on the CLI, ``KAM_SOURCE`` otherwise) is one of:

``store`` (the default)
    The ``KAM_DATABASE_URL`` store, through a Parquet snapshot of its tables under
    ``<db>.cache/v<data_version>/`` (SQLite) or ``~/.cache/kam/pg-<hash>/`` (PostgreSQL)
    (see :mod:`kam.engine.cache`), read by an in-process DuckDB and rebuilt when an
    import changes the data version. On PostgreSQL the snapshot measured faster than
    running the analyses inside PostgreSQL (see :mod:`kam.engine.core`); pushdown is
    used when the store's URL is given as the source instead.
a workbook path (``.xlsx``, a ``.csv`` file or a folder of CSV files)
    Read and validated with :func:`kam.workbook.load_workbook`, then held in an
    in-memory DuckDB.
``parquet:FOLDER``
    A folder of ``<Sheet>.parquet`` files (names match ignoring case), e.g. a
    benchmark ledger; read in place by DuckDB. Derived tables written beside them
    (:func:`write_derived`) are read instead of being summed again when newer.
an Ibis connection URL (``duckdb://file.db``, ``postgres://...``)
    The warehouse mode: the tables named after the sheets (or their store table
    names, ignoring case) are conformed to the contract's columns and types. A live
    Ibis backend (such as ``ibis.pyspark.connect(session)`` over temporary views) is
    accepted by :func:`kam.engine.open_engine` directly.

DuckDB's own scanners (sqlite, postgres, excel) are never used: they download an
extension at run time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import sqlalchemy as sa
from ibis.backends import BaseBackend

from kam.config import get_settings
from kam.engine.arrow import portfolio_to_arrow
from kam.engine.cache import SnapshotCache
from kam.engine.conform import conform, match_sheets
from kam.engine.snapshot import (
    export_store,
    pg_connect_kwargs,
    read_data_version,
    sqlite_path,
)
from kam.errors import InputError, KamError, NotFoundError, StoreError
from kam.model import SHEETS, Portfolio

__all__ = [
    "BackendSource",
    "Loaded",
    "ParquetSource",
    "PortfolioSource",
    "PostgresStoreSource",
    "SnapshotSource",
    "Source",
    "WorkbookSource",
    "parse_source",
    "write_derived",
]

#: Builds the derived tables of a set of canonical tables.
Derive = Callable[[Mapping[str, ibis.Table]], dict[str, ibis.Table]]


@dataclass
class Loaded:
    """What a source hands the engine for one data version.

    ``tables``: canonical tables by sheet name; ``derived``: derived tables already
    materialised by the source (a snapshot keeps them on disk), by reserved name.
    """

    backend: BaseBackend
    tables: dict[str, ibis.Table]
    version: int
    derived: dict[str, ibis.Table] = field(default_factory=dict)


class Source(ABC):
    """A place the canonical tables come from (see the module doc)."""

    #: How the source is named in messages.
    label: str = ""
    #: True when the engine owns an in-memory DuckDB it may create tables in.
    scratch: bool = False
    #: True when the engine opened the backend and must close it.
    owns: bool = False

    def current_version(self) -> int:
        """The data version now (cheap; called before every use of the engine)."""
        return 0

    @abstractmethod
    def load(self, derive: Derive) -> Loaded:
        """Open the backend and the canonical tables (and derived ones, if kept)."""


def _duckdb() -> BaseBackend:
    """An in-memory DuckDB for the engine.

    It spills to a folder of the system's temp directory (an in-memory DuckDB would
    otherwise spill to ``.tmp`` in the working directory) and, when the
    ``duckdb_memory`` setting is given, keeps to that much memory.
    """
    config: dict[str, str] = {
        "temp_directory": str(Path(tempfile.gettempdir()) / "kam-duckdb")
    }
    limit = get_settings().duckdb_memory
    if limit:
        config["memory_limit"] = limit
    return ibis.duckdb.connect(**config)


def _kept_sums(
    con: BaseBackend, tables: Mapping[str, ibis.Table]
) -> dict[str, ibis.Table]:
    """Derived tables an engine's DuckDB keeps as views of the sheet rows.

    ``_revenue_by_period`` sums Revenue per account and period; when the sheet holds
    one row per account and period already (:func:`kam.engine.unique.one_row_each`),
    it is a view of those rows, read in place instead of grouped and copied (a
    ledger of 1M accounts: 28.7M rows, one group each).
    """
    from kam.analysis.preagg import REVENUE_BY_PERIOD, revenue_by_period
    from kam.engine.unique import one_row_each

    revenue = tables.get("Revenue")
    if revenue is None or not one_row_each(con, revenue, "account_id", "period"):
        return {}
    view = revenue_by_period(revenue, rows_unique=True)
    return {REVENUE_BY_PERIOD: con.create_view(REVENUE_BY_PERIOD, view, overwrite=True)}


def _register_parquet(
    con: BaseBackend, files: Mapping[str, Path], *, where: str
) -> dict[str, ibis.Table]:
    tables: dict[str, ibis.Table] = {}
    for name, path in files.items():
        raw = con.read_parquet(path, table_name=f"_raw_{SHEETS[name].table}")
        tables[name] = conform(raw, SHEETS[name], where=f"{where}/{path.name}")
    return tables


class SnapshotSource(Source):
    """A SQLite (or PostgreSQL) store through a shared Parquet snapshot and DuckDB."""

    scratch = True

    def __init__(self, url: str, cache_dir: Path | None = None) -> None:
        self.url = url
        self.label = "the store"
        path = sqlite_path(url)
        if cache_dir is None:
            if path is None:
                raise StoreError("a snapshot of a PostgreSQL store needs a cache_dir")
            cache_dir = path.with_name(path.name + ".cache")
        self.cache = SnapshotCache(cache_dir)
        #: How many snapshots this process wrote (others may have written some).
        self.written = 0

    def current_version(self) -> int:
        return read_data_version(self.url)

    def load(self, derive: Derive) -> Loaded:
        version = self.current_version()
        folder = self.cache.get(version)
        if folder is None:
            version, folder = self.cache.build(lambda tmp: self._write(tmp, derive))
            self.written += 1
        con = _duckdb()
        files = {
            name: folder / f"{name}.parquet"
            for name in SHEETS
            if (folder / f"{name}.parquet").exists()
        }
        tables = _register_parquet(con, files, where=str(folder))
        derived = {
            p.stem: con.read_parquet(p, table_name=p.stem)
            for p in sorted(folder.glob("_*.parquet"))
        }
        return Loaded(con, tables, version, derived)

    def _write(self, tmp: Path, derive: Derive) -> int:
        version, written = export_store(self.url, tmp)
        con = _duckdb()
        try:
            files = {name: tmp / f"{name}.parquet" for name in written}
            tables = _register_parquet(con, files, where=str(tmp))
            for name, expr in derive(tables).items():
                con.to_parquet(expr, tmp / f"{name}.parquet")
        finally:
            con.disconnect()
        return version


class BackendSource(Source):
    """Tables named after the sheets in any Ibis backend (the warehouse mode)."""

    def __init__(
        self,
        backend: BaseBackend,
        *,
        label: str,
        version: Callable[[], int] | None = None,
        database: Any = None,
        owns: bool = False,
    ) -> None:
        self.backend = backend
        self.owns = owns
        self.label = label
        self._version = version
        self._database = database

    def current_version(self) -> int:
        return self._version() if self._version is not None else 0

    def load(self, derive: Derive) -> Loaded:
        version = self.current_version()
        kwargs = {} if self._database is None else {"database": self._database}
        try:
            names = self.backend.list_tables(**kwargs)
        except Exception as exc:  # any driver error: the backend is unusable
            raise StoreError(f"cannot list the tables of {self.label}: {exc}") from exc
        tables = {
            sheet_name: conform(
                self.backend.table(table_name, **kwargs),
                SHEETS[sheet_name],
                where=f"{self.label} table {table_name}",
            )
            for sheet_name, table_name in match_sheets(names).items()
        }
        if not tables:
            raise NotFoundError(
                f"{self.label} has no table named after a sheet "
                "(Accounts, Revenue, MRR, ...)"
            )
        return Loaded(self.backend, tables, version)


class PostgresStoreSource(BackendSource):
    """A PostgreSQL store, queried in place through Ibis's postgres backend."""

    def __init__(self, url: str) -> None:
        try:
            con = ibis.postgres.connect(**_ibis_pg_kwargs(url))
        except Exception as exc:  # psycopg's errors: the store is unreachable
            raise StoreError(f"cannot connect to the store: {exc}") from exc
        super().__init__(
            con, label="the store", version=lambda: read_data_version(url), owns=True
        )


def _ibis_pg_kwargs(url: str) -> dict[str, Any]:
    kwargs = pg_connect_kwargs(url)
    if "dbname" in kwargs:
        kwargs["database"] = kwargs.pop("dbname")
    return kwargs


def _portfolio_tables(con: BaseBackend, portfolio: Portfolio) -> dict[str, ibis.Table]:
    return {
        name: con.create_table(f"_raw_{SHEETS[name].table}", data)
        for name, data in portfolio_to_arrow(portfolio).items()
    }


class PortfolioSource(Source):
    """A validated :class:`~kam.model.Portfolio` already in memory (version 0)."""

    scratch = True

    def __init__(self, portfolio: Portfolio, *, label: str = "the portfolio") -> None:
        self.portfolio = portfolio
        self.label = label

    def load(self, derive: Derive) -> Loaded:
        con = _duckdb()
        tables = _portfolio_tables(con, self.portfolio)
        return Loaded(con, tables, 0, _kept_sums(con, tables))


class WorkbookSource(Source):
    """A workbook file or CSV folder, validated and held in an in-memory DuckDB."""

    scratch = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def current_version(self) -> int:
        # The file's modification time: an edited workbook is read again.
        try:
            return self.path.stat().st_mtime_ns
        except OSError as exc:
            raise NotFoundError(f"cannot read {self.path}: {exc}") from exc

    def load(self, derive: Derive) -> Loaded:
        from kam.workbook import load_workbook

        version = self.current_version()
        portfolio = load_workbook(self.path)
        con = _duckdb()
        tables = _portfolio_tables(con, portfolio)
        return Loaded(con, tables, version, _kept_sums(con, tables))


class ParquetSource(Source):
    """A folder of ``<Sheet>.parquet`` files read in place by DuckDB."""

    scratch = True

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise NotFoundError(f"parquet source {folder} is not a folder")
        self.folder = folder
        self.label = f"parquet:{folder}"

    def _files(self) -> dict[str, Path]:
        names = {p.stem: p for p in self.folder.glob("*.parquet")}
        return {sheet: names[stem] for sheet, stem in match_sheets(names).items()}

    def current_version(self) -> int:
        return max((p.stat().st_mtime_ns for p in self._files().values()), default=0)

    def load(self, derive: Derive) -> Loaded:
        files = self._files()
        if not files:
            raise NotFoundError(f"{self.label} holds no <Sheet>.parquet file")
        con = _duckdb()
        version = self.current_version()
        tables = _register_parquet(con, files, where=str(self.folder))
        derived = self._derived(con, version)
        if "_revenue_by_period" not in derived:
            # A year file is read only beside the period file it sums.
            derived.pop("_revenue_by_year", None)
            derived.update(_kept_sums(con, tables))
        return Loaded(con, tables, version, derived)

    def _derived(self, con: BaseBackend, version: int) -> dict[str, ibis.Table]:
        """Derived tables kept next to the sheets (``_revenue_by_period.parquet``,
        ``_mrr_by_month.parquet``, as :func:`write_derived` writes them), used only
        when written after the last change of every sheet file."""
        found: dict[str, ibis.Table] = {}
        for path in sorted(self.folder.glob("_*.parquet")):
            if path.stat().st_mtime_ns >= version:
                found[path.stem] = con.read_parquet(path, table_name=path.stem)
        return found


def write_derived(folder: Path, derive: Derive) -> list[Path]:
    """Write the derived tables of the ``<Sheet>.parquet`` files of ``folder`` next
    to them (``_<name>.parquet``), so that a later ``parquet:FOLDER`` engine reads
    them instead of summing the sheets again. Returns the files written."""
    source = ParquetSource(folder)
    files = source._files()
    con = _duckdb()
    written: list[Path] = []
    try:
        tables = _register_parquet(con, files, where=str(folder))
        for name, expr in derive(tables).items():
            path = folder / f"{name}.parquet"
            con.to_parquet(expr, path)
            written.append(path)
    finally:
        con.disconnect()
    return written


def parse_source(source: str, *, database_url: str) -> Source:
    """The :class:`Source` a source string names (see the module doc)."""
    text = source.strip()
    if text in ("", "store"):
        return store_source(database_url)
    if text.startswith("parquet:"):
        return ParquetSource(Path(text.removeprefix("parquet:")).expanduser())
    if "://" in text:
        if text.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            return PostgresStoreSource(text) if _is_store(text) else _warehouse(text)
        return _warehouse(text)
    path = Path(text).expanduser()
    if path.exists():
        return WorkbookSource(path)
    raise InputError(
        f"source {source!r} is neither 'store', a workbook or CSV folder that exists, "
        "'parquet:FOLDER' nor an Ibis URL such as duckdb://file.db"
    )


def store_source(database_url: str) -> Source:
    """The store of ``database_url`` through a Parquet snapshot read by DuckDB.

    A SQLite store keeps its snapshots next to the database file; a PostgreSQL store
    in the user's cache folder (see :func:`pg_cache_dir`). Pushdown into PostgreSQL
    stays available by naming the database as the source (``--source postgres://…``);
    :mod:`kam.engine.core` has the measurements behind this choice.
    """
    if sqlite_path(database_url) is not None:
        return SnapshotSource(database_url)
    return SnapshotSource(database_url, cache_dir=pg_cache_dir(database_url))


def pg_cache_dir(database_url: str) -> Path:
    """Where snapshots of a PostgreSQL store go: ``$XDG_CACHE_HOME/kam/pg-<hash>``.

    One folder per database and schema (the URL without its password), readable by
    the user only: it holds the portfolio's data.
    """
    parsed = sa.make_url(database_url).set(password=None)
    digest = hashlib.sha256(parsed.render_as_string().encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "kam" / f"pg-{digest}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the engine cache {folder}: {exc}") from exc
    return folder


def _is_store(url: str) -> bool:
    """True when the PostgreSQL database at ``url`` is a kam store (has kam_meta)."""
    try:
        read_data_version(url)
    except KamError:
        return False
    return True


def _warehouse(url: str) -> Source:
    try:
        con = ibis.connect(url)
    except Exception as exc:  # each backend raises its own driver errors
        raise StoreError(
            f"cannot connect to {url.split('://')[0]} source: {exc}"
        ) from exc
    label = url if "@" not in url else url.split("://")[0] + "://…"
    return BackendSource(con, label=label, owns=True)


def source_from_env() -> str | None:
    """``KAM_SOURCE`` when set."""
    return os.environ.get("KAM_SOURCE") or None
