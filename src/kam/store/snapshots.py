"""Snapshots of a SQLite store: taken before each import, restorable by name.

A snapshot is a consistent copy made with SQLite's online backup API (readers and
the writer of other processes may go on meanwhile), written under a temporary name
and renamed into place, so a half-written snapshot never shows in the list. Names
carry the UTC time and the data version: ``kam-20250131T081500123456Z-v7.sqlite``.

Restoring swaps the snapshot in with an atomic ``os.replace`` after removing the
store's ``-wal`` and ``-shm`` files (a stale WAL next to a restored file corrupts
it), then checks the result with ``PRAGMA integrity_check``. Other processes using
the store must be stopped first: one that keeps the old file open would go on
writing to it.

PostgreSQL stores are not snapshotted here: a consistent copy of a server database is
the job of ``pg_dump`` (or the server's own backups), which the operator runs.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kam.errors import NotFoundError, StoreError

__all__ = [
    "SnapshotInfo",
    "check_integrity",
    "default_snapshot_dir",
    "list_snapshots",
    "restore_snapshot",
    "take_snapshot",
]

_NAME = re.compile(r"^kam-(\d{8}T\d{12})Z-v(\d+)\.sqlite$")
_STAMP = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot: its file name, when it was taken (UTC), data version, bytes."""

    name: str
    created: datetime
    data_version: int
    size: int


def default_snapshot_dir(db: Path) -> Path:
    """``<db>.snapshots`` next to the database file."""
    return db.with_name(db.name + ".snapshots")


def take_snapshot(db: Path, directory: Path, *, data_version: int, keep: int) -> Path:
    """Copy ``db`` consistently into ``directory``; keep the newest ``keep`` copies."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime(_STAMP)
        final = directory / f"kam-{stamp}Z-v{data_version}.sqlite"
        partial = directory / f".{final.name}.partial"
        with (
            closing(sqlite3.connect(db, timeout=10)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
            # A snapshot is one self-contained file, whatever the store's journal mode.
            dst.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, final)
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"cannot take a snapshot of {db} in {directory}: {e}") from e
    _prune(directory, keep)
    return final


def _prune(directory: Path, keep: int) -> None:
    for old in list_snapshots(directory)[max(keep, 1) :]:
        try:
            (directory / old.name).unlink()
        except OSError as e:
            raise StoreError(f"cannot remove old snapshot {old.name}: {e}") from e


def list_snapshots(directory: Path) -> list[SnapshotInfo]:
    """The snapshots in ``directory``, newest first."""
    if not directory.is_dir():
        return []
    found: list[SnapshotInfo] = []
    for path in directory.iterdir():
        m = _NAME.match(path.name)
        if m is None:
            continue
        created = datetime.strptime(m.group(1), _STAMP).replace(tzinfo=UTC)
        found.append(
            SnapshotInfo(path.name, created, int(m.group(2)), path.stat().st_size)
        )
    return sorted(found, key=lambda s: (s.created, s.name), reverse=True)


def check_integrity(db: Path) -> None:
    """Raise StoreError unless ``db`` opens and passes ``PRAGMA integrity_check``."""
    try:
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as e:
        raise StoreError(f"{db} is not a readable SQLite database: {e}") from e
    if result != ["ok"]:
        raise StoreError(f"{db} failed its integrity check: {'; '.join(result[:5])}")


def restore_snapshot(db: Path, directory: Path, name: str) -> None:
    """Replace ``db`` by snapshot ``name`` of ``directory`` (stop its users first)."""
    if _NAME.match(name) is None or not (directory / name).is_file():
        raise NotFoundError(f"no snapshot named {name!r} in {directory}")
    source = directory / name
    check_integrity(source)
    incoming = db.with_name(f".{db.name}.restoring")
    try:
        if db.exists():
            # Fold the current WAL into the file first, so that a failure below
            # leaves the store whole rather than without its latest commits.
            with closing(sqlite3.connect(db, timeout=10)) as current:
                current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with (
            closing(sqlite3.connect(source)) as src,
            closing(sqlite3.connect(incoming)) as dst,
        ):
            src.backup(dst)
        for suffix in ("-wal", "-shm"):
            stale = db.with_name(db.name + suffix)
            if stale.exists():
                stale.unlink()
        os.replace(incoming, db)
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"cannot restore snapshot {name} into {db}: {e}") from e
    check_integrity(db)
