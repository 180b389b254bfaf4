"""The store: the system of record (SQLite or PostgreSQL)."""

from kam.store.importer import ImportSummary, SheetCounts
from kam.store.repository import Store
from kam.store.snapshots import SnapshotInfo

__all__ = ["ImportSummary", "SheetCounts", "SnapshotInfo", "Store"]
