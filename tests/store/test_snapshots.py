"""Snapshots: taken before imports into a SQLite store with data, restorable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from kam.errors import NotFoundError, StoreError
from kam.model import Portfolio
from kam.store.repository import Store

from .helpers import accounts, portfolio


def one_account(name: str) -> Portfolio:
    return portfolio(Accounts=[{"account_id": "A1", "name": name}])


def test_no_snapshot_is_taken_of_an_empty_store(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    summary = store.import_portfolio(one_account("first"))
    assert summary.snapshot is None
    assert store.list_snapshots() == []


def test_a_snapshot_before_an_import_holds_the_previous_data(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kam.db'}")
    store.upgrade()
    store.import_portfolio(one_account("first"))
    summary = store.import_portfolio(one_account("second"))
    assert summary.snapshot is not None
    assert summary.snapshot.parent == tmp_path / "kam.db.snapshots"
    with closing(sqlite3.connect(summary.snapshot)) as snap:
        assert snap.execute("SELECT name FROM accounts").fetchall() == [("first",)]
        assert snap.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    [info] = store.list_snapshots()
    assert info.name == summary.snapshot.name
    assert info.data_version == 1
    assert info.size == summary.snapshot.stat().st_size
    assert info.created.tzinfo is not None


def test_restore_brings_the_old_checksum_back(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kam.db'}", snapshot_dir=tmp_path / "snaps")
    store.upgrade()
    first = portfolio(
        Accounts=accounts("A1", "A2"),
        MRR=[
            {
                "account_id": "A1",
                "month": "2024-01",
                "plan": "p",
                "mrr": Decimal("1.00"),
            }
        ],
    )
    store.import_portfolio(first)
    before = store.checksum()
    summary = store.import_portfolio(portfolio(Accounts=accounts("A3")))
    assert store.checksum() != before
    assert summary.snapshot is not None
    store.restore(summary.snapshot.name)
    assert store.checksum() == before
    assert store.data_version() == 1
    # The restored store accepts imports again.
    assert store.import_portfolio(portfolio(Accounts=accounts("A4"))).data_version == 2


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kam.db'}", snapshots_keep=2)
    store.upgrade()
    for i in range(5):
        store.import_portfolio(one_account(f"v{i}"))
    kept = store.list_snapshots()
    # Snapshots were taken before imports 2..5, at data versions 1..4.
    assert [s.data_version for s in kept] == [4, 3]
    assert kept[0].created >= kept[1].created
    assert len(list((tmp_path / "kam.db.snapshots").iterdir())) == 2


def test_restoring_an_unknown_snapshot_is_not_found(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    with pytest.raises(NotFoundError, match="no snapshot named"):
        store.restore("kam-20240101T000000000000Z-v1.sqlite")
    with pytest.raises(NotFoundError):
        store.restore("../kam.db")


def test_a_damaged_snapshot_is_refused_and_the_store_stays(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kam.db'}")
    store.upgrade()
    store.import_portfolio(one_account("first"))
    before = store.checksum()
    bad = tmp_path / "kam.db.snapshots" / "kam-20240101T000000000000Z-v1.sqlite"
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a readable SQLite database"):
        store.restore(bad.name)
    assert store.checksum() == before


def test_postgresql_stores_keep_no_snapshots(postgres_url: str) -> None:
    store = Store(postgres_url)
    store.upgrade()
    store.import_portfolio(one_account("first"))
    summary = store.import_portfolio(one_account("second"))
    assert summary.snapshot is None
    assert store.list_snapshots() == []
    with pytest.raises(StoreError, match="pg_dump"):
        store.restore("anything")
    store.dispose()
