"""The store contract, run on SQLite and on PostgreSQL (``store_url``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.config import Settings
from kam.errors import StoreError
from kam.model import Portfolio, Row, Table
from kam.store.db import write_connection
from kam.store.importer import SheetCounts
from kam.store.repository import Store

from .helpers import LONG_TEXT, accounts, every_sheet, portfolio


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    yield s
    s.dispose()


def in_any_order(t: Table) -> list[Row]:
    """The rows of ``t`` in an order that does not depend on how it was built."""
    return sorted(t.rows(), key=lambda r: json.dumps(r, sort_keys=True, default=repr))


def mrr_row(account: str, month: str, amount: str) -> dict[str, object]:
    return {
        "account_id": account,
        "month": month,
        "plan": "pro",
        "mrr": Decimal(amount),
    }


def base() -> Portfolio:
    return portfolio(
        Accounts=accounts("A1", "A2", "A3"),
        MRR=[
            mrr_row("A1", "2024-01", "10.00"),
            mrr_row("A1", "2024-02", "11.00"),
            mrr_row("A2", "2024-01", "20.00"),
        ],
    )


def test_first_import_creates_every_row_and_bumps_data_version(store: Store) -> None:
    assert store.is_empty()
    summary = store.import_portfolio(base(), source="book.xlsx")
    assert summary.sheets == {
        "Accounts": SheetCounts(created=3),
        "MRR": SheetCounts(created=3),
    }
    assert summary.changed
    assert summary.data_version == 1
    assert store.data_version() == 1
    assert not store.is_empty()


def test_reimporting_the_same_portfolio_changes_nothing(store: Store) -> None:
    store.import_portfolio(base())
    before = store.checksum()
    summary = store.import_portfolio(base())
    assert summary.sheets == {
        "Accounts": SheetCounts(unchanged=3),
        "MRR": SheetCounts(unchanged=3),
    }
    assert not summary.changed
    assert summary.data_version == 1
    assert store.data_version() == 1
    assert store.checksum() == before


def test_one_changed_cell_counts_as_one_update(store: Store) -> None:
    store.import_portfolio(base())
    changed = base()
    changed.tables["MRR"].data["mrr"][1] = Decimal("11.01")
    summary = store.import_portfolio(changed)
    assert summary.sheets["MRR"] == SheetCounts(updated=1, unchanged=2)
    assert summary.sheets["Accounts"] == SheetCounts(unchanged=3)
    assert summary.data_version == 2
    assert store.load_portfolio().tables["MRR"].data["mrr"] == [
        Decimal("10.00"),
        Decimal("11.01"),
        Decimal("20.00"),
    ]


def test_a_cell_becoming_blank_is_an_update(store: Store) -> None:
    store.import_portfolio(
        portfolio(Accounts=[{"account_id": "A1", "name": "x", "region": "EU"}])
    )
    summary = store.import_portfolio(
        portfolio(Accounts=[{"account_id": "A1", "name": "x"}])
    )
    assert summary.sheets["Accounts"] == SheetCounts(updated=1)
    assert store.load_portfolio().tables["Accounts"].data["region"] == [None]


def test_replace_removes_rows_the_file_no_longer_has(store: Store) -> None:
    store.import_portfolio(base())
    smaller = portfolio(
        Accounts=accounts("A1", "A2", "A3"),
        MRR=[mrr_row("A1", "2024-01", "10.00"), mrr_row("A2", "2024-02", "5.00")],
    )
    summary = store.import_portfolio(smaller, replace=True)
    assert summary.sheets["MRR"] == SheetCounts(created=1, unchanged=1, removed=2)
    assert summary.sheets["Accounts"] == SheetCounts(unchanged=3)
    loaded = store.load_portfolio().tables["MRR"]
    assert list(zip(loaded.data["account_id"], loaded.data["month"], strict=True)) == [
        ("A1", "2024-01"),
        ("A2", "2024-02"),
    ]


def test_without_replace_stored_rows_missing_from_the_file_stay(store: Store) -> None:
    store.import_portfolio(base())
    summary = store.import_portfolio(portfolio(MRR=[mrr_row("A3", "2024-01", "1.00")]))
    assert summary.sheets == {"MRR": SheetCounts(created=1)}
    assert len(store.load_portfolio().tables["MRR"]) == 4
    assert len(store.load_portfolio().tables["Accounts"]) == 3


def test_replace_leaves_sheets_absent_from_the_file_alone(store: Store) -> None:
    store.import_portfolio(base())
    summary = store.import_portfolio(
        portfolio(Accounts=accounts("A1", "A2", "A3")), replace=True
    )
    assert summary.sheets == {"Accounts": SheetCounts(unchanged=3)}
    assert len(store.load_portfolio().tables["MRR"]) == 3


def test_money_is_exact_to_the_cent(store: Store) -> None:
    p = portfolio(
        Accounts=accounts("A1"),
        Revenue=[
            {
                "account_id": "A1",
                "period": "2024",
                "product": "a",
                "amount": Decimal("12345678901234.56"),
            },
            {
                "account_id": "A1",
                "period": "2024",
                "product": "b",
                "amount": Decimal("0.10"),
            },
            {
                "account_id": "A1",
                "period": "2024",
                "product": "c",
                "amount": Decimal("0.20"),
            },
        ],
    )
    store.import_portfolio(p)
    stored = store.load_portfolio().tables["Revenue"].data["amount"]
    amounts = [a for a in stored if isinstance(a, Decimal)]
    assert amounts == [Decimal("12345678901234.56"), Decimal("0.10"), Decimal("0.20")]
    assert len(amounts) == len(stored)
    assert amounts[1] + amounts[2] == Decimal("0.30")
    assert str(amounts[1] + amounts[2]) == "0.30"
    assert sum(amounts, Decimal(0)) == Decimal("12345678901234.86")


def test_dates_unicode_long_text_and_extra_columns_come_back(store: Store) -> None:
    p = portfolio(
        Accounts=[
            {
                "account_id": "Ä-1 病院",
                "name": "Clínica «Sant» — 🏥",
                "customer_since": date(1999, 12, 31),
                "industry": LONG_TEXT,
                "extra": {"Notes": "line1\nline2", "Zone": "ß"},
            }
        ]
    )
    store.import_portfolio(p)
    loaded = store.load_portfolio().tables["Accounts"]
    assert loaded.data["account_id"] == ["Ä-1 病院"]
    assert loaded.data["name"] == ["Clínica «Sant» — 🏥"]
    assert loaded.data["customer_since"] == [date(1999, 12, 31)]
    assert loaded.data["industry"] == [LONG_TEXT]
    assert len(LONG_TEXT) == 30_000
    assert loaded.data["extra"] == [{"Notes": "line1\nline2", "Zone": "ß"}]


def test_a_change_in_extra_columns_is_an_update(store: Store) -> None:
    store.import_portfolio(
        portfolio(Accounts=[{"account_id": "A1", "name": "x", "extra": {"a": "1"}}])
    )
    summary = store.import_portfolio(
        portfolio(Accounts=[{"account_id": "A1", "name": "x", "extra": {"a": "2"}}])
    )
    assert summary.sheets["Accounts"] == SheetCounts(updated=1)


def test_identical_keyless_survey_rows_stay_two_rows(store: Store) -> None:
    answer = {
        "account_id": "A1",
        "answered_on": date(2024, 1, 5),
        "instrument": "NPS",
        "score": 9,
    }
    p = portfolio(Accounts=accounts("A1"), Surveys=[answer, dict(answer)])
    first = store.import_portfolio(p)
    again = store.import_portfolio(p)
    assert first.sheets["Surveys"] == SheetCounts(created=2)
    assert again.sheets["Surveys"] == SheetCounts(unchanged=2)
    assert len(store.load_portfolio().tables["Surveys"]) == 2


def test_a_third_identical_survey_row_is_created_and_replace_takes_it_back(
    store: Store,
) -> None:
    answer = {
        "account_id": "A1",
        "answered_on": date(2024, 1, 5),
        "instrument": "NPS",
        "score": 9,
    }
    store.import_portfolio(portfolio(Accounts=accounts("A1"), Surveys=[answer, answer]))
    three = store.import_portfolio(portfolio(Surveys=[answer, answer, answer]))
    assert three.sheets["Surveys"] == SheetCounts(created=1, unchanged=2)
    one = store.import_portfolio(portfolio(Surveys=[answer]), replace=True)
    assert one.sheets["Surveys"] == SheetCounts(unchanged=1, removed=2)


def test_blank_account_in_a_key_is_its_own_key(store: Store) -> None:
    rows: list[dict[str, object]] = [
        {
            "account_id": None,
            "section": "vision",
            "field": "statement",
            "value": "programme",
        },
        {
            "account_id": "A1",
            "section": "vision",
            "field": "statement",
            "value": "account",
        },
    ]
    p = portfolio(Accounts=accounts("A1"), Charter=rows)
    assert store.import_portfolio(p).sheets["Charter"] == SheetCounts(created=2)
    changed = portfolio(Charter=[{**rows[0], "value": "programme v2"}, rows[1]])
    summary = store.import_portfolio(changed)
    assert summary.sheets["Charter"] == SheetCounts(updated=1, unchanged=1)
    charter = store.load_portfolio().tables["Charter"]
    by_account = dict(
        zip(charter.data["account_id"], charter.data["value"], strict=True)
    )
    assert by_account == {None: "programme v2", "A1": "account"}


def test_every_sheet_round_trips_unchanged(store: Store) -> None:
    p = every_sheet()
    summary = store.import_portfolio(p)
    assert sum(c.created for c in summary.sheets.values()) == sum(
        len(t) for t in p.tables.values()
    )
    loaded = store.load_portfolio()
    assert set(loaded.tables) == set(p.tables)
    for name, t in p.tables.items():
        assert loaded.tables[name].columns == t.columns
        assert in_any_order(loaded.tables[name]) == in_any_order(t), name


def test_load_orders_rows_by_key_so_a_sorted_portfolio_comes_back_equal(
    store: Store,
) -> None:
    p = portfolio(
        Accounts=accounts("A1", "A2", "B1"),
        MRR=[
            mrr_row("A1", "2024-01", "1.00"),
            mrr_row("A1", "2024-02", "2.00"),
            mrr_row("B1", "2023-12", "3.00"),
        ],
    )
    store.import_portfolio(p)
    assert store.load_portfolio() == p
    assert store.load_portfolio(sheets=["MRR"]).tables.keys() == {"MRR"}


def test_known_ids_lists_stored_ids_of_single_key_sheets(store: Store) -> None:
    store.import_portfolio(every_sheet())
    known = store.known_ids()
    assert known[("Accounts", "account_id")] == {"A1", "A2"}
    assert known[("Stakeholders", "stakeholder_id")] == {"S1", "S2"}
    assert known[("Tasks", "task_id")] == {"T1", "T2"}
    assert ("MRR", "account_id") not in known
    assert ("Surveys", "account_id") not in known


def test_checksum_depends_on_data_and_not_on_the_run(
    store: Store, store_url: str
) -> None:
    empty = store.checksum()
    store.import_portfolio(base())
    filled = store.checksum()
    again = Store(store_url)
    try:
        assert again.checksum() == filled
    finally:
        again.dispose()
    assert filled != empty


def test_an_unknown_account_is_refused_by_sheet_and_id(store: Store) -> None:
    store.import_portfolio(base())
    before = store.checksum()
    with pytest.raises(StoreError, match=r"MRR: account_id 'ZZ' is not an account"):
        store.import_portfolio(portfolio(MRR=[mrr_row("ZZ", "2024-01", "1.00")]))
    assert store.checksum() == before
    # Nothing of the failed attempt lingers on the pooled connection.
    again = store.import_portfolio(portfolio(MRR=[mrr_row("A3", "2024-01", "1.00")]))
    assert again.sheets == {"MRR": SheetCounts(created=1)}


def test_replace_cannot_remove_an_account_other_sheets_still_use(store: Store) -> None:
    store.import_portfolio(base())
    before = store.checksum()
    with pytest.raises(StoreError, match=r"account 'A2' cannot be removed: MRR rows"):
        store.import_portfolio(portfolio(Accounts=accounts("A1", "A3")), replace=True)
    assert store.checksum() == before
    assert store.data_version() == 1


def test_replace_may_remove_an_account_together_with_its_rows(store: Store) -> None:
    store.import_portfolio(base())
    p = portfolio(
        Accounts=accounts("A1", "A3"), MRR=[mrr_row("A1", "2024-01", "10.00")]
    )
    summary = store.import_portfolio(p, replace=True)
    assert summary.sheets["Accounts"] == SheetCounts(unchanged=2, removed=1)
    assert summary.sheets["MRR"] == SheetCounts(unchanged=1, removed=2)


def test_duplicate_keys_in_one_import_are_refused(store: Store) -> None:
    p = portfolio(Accounts=accounts("A1", "A1"))
    with pytest.raises(StoreError, match=r"Accounts: rows 1 and 2 have the same key"):
        store.import_portfolio(p)
    assert store.is_empty()
    assert store.data_version() == 0


def test_imports_are_recorded(store: Store) -> None:
    from kam.store.tables import imports

    store.import_portfolio(base(), source="a.xlsx")
    store.import_portfolio(base(), source="a.xlsx", replace=True)
    with store.engine.connect() as conn:
        rows = conn.execute(imports.select().order_by(imports.c.id)).all()
    assert [(r.source, r.replace, r.data_version) for r in rows] == [
        ("a.xlsx", False, 1),
        ("a.xlsx", True, 1),
    ]
    assert (
        '"MRR": {"created": 0, "removed": 0, "unchanged": 3, "updated": 0}'
        in rows[1].summary
    )


def test_a_store_never_upgraded_fails_with_a_store_error(store_url: str) -> None:
    bare = Store(store_url)
    try:
        with pytest.raises(StoreError, match="cannot read the data version"):
            bare.data_version()
        with pytest.raises(StoreError):
            bare.import_portfolio(base())
    finally:
        bare.dispose()


def test_from_settings_uses_the_configured_url_and_snapshot_policy(
    tmp_path: Path,
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        snapshot_dir=tmp_path / "snaps",
        snapshots_keep=3,
    )
    store = Store.from_settings(settings)
    assert store.db_path == tmp_path / "x.db"
    assert store.snapshot_dir == tmp_path / "snaps"
    assert store.snapshots_keep == 3
    store.dispose()


def test_concurrent_imports_each_bump_the_data_version(
    store: Store, store_url: str
) -> None:
    other = Store(store_url)
    errors: list[BaseException] = []

    def run(s: Store, ids: tuple[str, ...]) -> None:
        try:
            for i in ids:
                s.import_portfolio(portfolio(Accounts=accounts(i)))
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    threads = [
        threading.Thread(target=run, args=(store, ("A1", "A2", "A3"))),
        threading.Thread(target=run, args=(other, ("B1", "B2", "B3"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.dispose()
    assert errors == []
    assert store.data_version() == 6
    assert len(store.load_portfolio().tables["Accounts"]) == 6


def test_row_counts_follow_what_was_imported(store_url: str) -> None:
    from kam.model import SHEET_ORDER, Portfolio, Table

    store = Store(store_url)
    try:
        store.upgrade()
        accounts = Table.for_sheet("Accounts")
        for i in range(3):
            accounts.append({"account_id": f"A{i}", "name": f"Account {i}"})
        store.import_portfolio(Portfolio(tables={"Accounts": accounts}))
        counts = store.row_counts()
    finally:
        store.dispose()
    assert counts["Accounts"] == 3
    assert counts["Revenue"] == 0
    assert tuple(counts) == SHEET_ORDER


def test_a_dry_run_counts_the_changes_and_leaves_the_store_as_it_was(
    store: Store,
) -> None:
    store.import_portfolio(base())
    before, version = store.checksum(), store.data_version()
    change = portfolio(
        Accounts=accounts("A1", "A2", "A4"),
        MRR=[mrr_row("A1", "2024-01", "10.00"), mrr_row("A1", "2024-02", "12.50")],
    )
    summary = store.import_portfolio(change, dry_run=True)
    # A4 is new; A1 and A2 as before; MRR: A1-01 same, A1-02 from 11.00 to 12.50.
    assert summary.sheets["Accounts"] == SheetCounts(created=1, unchanged=2)
    assert summary.sheets["MRR"] == SheetCounts(updated=1, unchanged=1)
    assert summary.changed
    assert summary.data_version == version + 1
    assert store.checksum() == before
    assert store.data_version() == version
    assert store.import_portfolio(change).sheets == summary.sheets


def stored_row_keys(store: Store, table: str) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql(f"SELECT row_key FROM {table}")}


def test_a_first_import_stores_the_row_keys_of_tables_module(store: Store) -> None:
    # Keys written by hand from the rules of kam.store.tables: printable parts kept,
    # joined with \x1f; a part starting with '"' is JSON-quoted; blank is \x1e.
    p = portfolio(
        Accounts=accounts("A1", '"Q'),
        MRR=[mrr_row("A1", "2024-01", "1.00"), mrr_row("A1", "2024-02", "2.00")],
        Revenue=[
            {"account_id": '"Q', "period": "2024-01", "amount": Decimal("3.00")},
        ],
        Charter=[
            {"account_id": None, "section": "vision", "field": "f", "value": "x"},
            {"account_id": "A1", "section": "vision", "field": "f", "value": "y"},
        ],
    )
    first = store.import_portfolio(p)
    assert first.sheets["MRR"] == SheetCounts(created=2)
    assert stored_row_keys(store, "mrr") == {
        "A1\x1f2024-01\x1fpro",
        "A1\x1f2024-02\x1fpro",
    }
    assert stored_row_keys(store, "accounts") == {"A1", '"\\"Q"'}
    assert stored_row_keys(store, "revenue") == {'"\\"Q"\x1f2024-01\x1f\x1e'}
    assert stored_row_keys(store, "charter") == {
        "\x1e\x1fvision\x1ff",
        "A1\x1fvision\x1ff",
    }
    # The second import builds its keys the other way (staged, in Python): the same
    # keys, so every row is unchanged.
    again = store.import_portfolio(p)
    assert not again.changed
    assert again.sheets["MRR"] == SheetCounts(unchanged=2)
    assert again.sheets["Charter"] == SheetCounts(unchanged=2)


def test_duplicate_keys_in_a_first_import_name_both_rows(store: Store) -> None:
    p = portfolio(
        Accounts=accounts("A1", "A2"),
        MRR=[
            mrr_row("A1", "2024-01", "1.00"),
            mrr_row("A2", "2024-01", "2.00"),
            mrr_row("A1", "2024-01", "3.00"),
        ],
    )
    with pytest.raises(
        StoreError,
        match=r"MRR: rows 1 and 3 have the same key "
        r"\(account_id='A1', month='2024-01', plan='pro'\)",
    ):
        store.import_portfolio(p)
    assert store.is_empty()
    assert store.data_version() == 0


def test_an_account_missing_from_the_imported_accounts_is_refused(
    store: Store,
) -> None:
    p = portfolio(
        Accounts=accounts("A1"),
        MRR=[mrr_row("A1", "2024-01", "1.00"), mrr_row("ZZ", "2024-01", "1.00")],
    )
    with pytest.raises(StoreError, match=r"MRR: account_id 'ZZ' is not an account"):
        store.import_portfolio(p)
    assert store.is_empty()


def test_imports_larger_than_one_multi_row_insert_store_every_row(
    store: Store,
) -> None:
    # 257 accounts and 3 * 257 MRR rows: several full multi-row INSERTs (fewer rows
    # per statement for the wide Accounts sheet) plus a shorter last one.
    ids = [f"A{i:04d}" for i in range(257)]
    months = ("2024-01", "2024-02", "2024-03")
    mrr = [
        mrr_row(a, m, f"{i}.{j:02d}")
        for i, a in enumerate(ids)
        for j, m in enumerate(months)
    ]
    first = store.import_portfolio(portfolio(Accounts=accounts(*ids), MRR=mrr))
    assert first.sheets["MRR"] == SheetCounts(created=771)
    loaded = store.load_portfolio()
    assert [r["account_id"] for r in loaded.tables["Accounts"].rows()] == ids
    got = {(r["account_id"], r["month"]): r["mrr"] for r in loaded.tables["MRR"].rows()}
    assert got == {(r["account_id"], r["month"]): r["mrr"] for r in mrr}
    # Sum of every amount by hand: sum(i) * 3 + 257 * (0.00 + 0.01 + 0.02).
    assert sum(got.values()) == Decimal(sum(range(257)) * 3) + Decimal("7.71")
    # A re-import with one changed amount goes through the staging table.
    changed = [dict(r) for r in mrr]
    changed[400]["mrr"] = Decimal("999.99")
    again = store.import_portfolio(portfolio(Accounts=accounts(*ids), MRR=changed))
    assert again.sheets["MRR"] == SheetCounts(updated=1, unchanged=770)
    row = next(
        r
        for r in store.load_portfolio(sheets=["MRR"]).tables["MRR"].rows()
        if (r["account_id"], r["month"]) == ("A0133", "2024-02")
    )
    assert row["mrr"] == Decimal("999.99")


def test_a_duplicate_key_in_a_later_multi_row_insert_is_named(store: Store) -> None:
    ids = [f"A{i:04d}" for i in range(300)]
    mrr = [mrr_row(a, "2024-01", "1.00") for a in ids]
    mrr.append(mrr_row("A0005", "2024-01", "2.00"))
    with pytest.raises(
        StoreError,
        match=r"MRR: rows 6 and 301 have the same key "
        r"\(account_id='A0005', month='2024-01', plan='pro'\)",
    ):
        store.import_portfolio(portfolio(Accounts=accounts(*ids), MRR=mrr))
    assert store.is_empty()


def foreign_keys_enforced(store: Store) -> bool:
    with store.engine.connect() as conn:
        return bool(conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one())


def test_sqlite_connections_check_foreign_keys_again_after_an_import(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kam.db'}")
    try:
        store.upgrade()
        store.import_portfolio(base())
        assert foreign_keys_enforced(store)
        bad = portfolio(Accounts=accounts("A1"), MRR=[mrr_row("ZZ", "2024-01", "1")])
        with pytest.raises(StoreError, match="account_id 'ZZ'"):
            store.import_portfolio(bad)
        assert foreign_keys_enforced(store)
        # Writes other than the import still meet the database's check.
        with (
            pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"),
            write_connection(store.engine) as conn,
        ):
            conn.exec_driver_sql(
                "INSERT INTO mrr (row_key, account_id, month, plan, mrr) "
                "VALUES ('k', 'nobody', '2024-01', 'pro', 1)"
            )
        assert store.row_counts()["MRR"] == 3
    finally:
        store.dispose()


def test_a_first_import_with_columns_blank_throughout(store: Store) -> None:
    # Product (part of the Revenue key) and currency are blank in every row.
    revenue = [
        {"account_id": "A1", "period": "2024-01", "amount": Decimal("3.00")},
        {"account_id": "A2", "period": "2024-Q1", "amount": Decimal("4.50")},
    ]
    p = portfolio(Accounts=accounts("A1", "A2"), Revenue=revenue)
    assert store.import_portfolio(p).sheets["Revenue"] == SheetCounts(created=2)
    # Keys by hand: a blank part is \x1e.
    assert stored_row_keys(store, "revenue") == {
        "A1\x1f2024-01\x1f\x1e",
        "A2\x1f2024-Q1\x1f\x1e",
    }
    stored = store.load_portfolio(sheets=["Revenue"]).tables["Revenue"]
    assert [(r["product"], r["currency"], r["amount"]) for r in stored.rows()] == [
        (None, None, Decimal("3.00")),
        (None, None, Decimal("4.50")),
    ]
    again = store.import_portfolio(p)
    assert not again.changed
    assert again.sheets["Revenue"] == SheetCounts(unchanged=2)
