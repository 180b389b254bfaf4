"""The store's tables follow the model, and the migration builds exactly them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from kam.model import SHEETS, store_columns
from kam.store.db import create_store_engine
from kam.store.repository import Store
from kam.store.tables import data_table, encode_part, metadata, row_keys

from .helpers import table


def test_every_sheet_has_a_table_with_row_key_then_its_store_columns() -> None:
    for s in SHEETS.values():
        t = data_table(s.name)
        assert t.name == s.table
        assert [c.name for c in t.columns] == ["row_key", *store_columns(s)]
        assert [c.name for c in t.primary_key.columns] == ["row_key"]


def test_responsibilities_are_stored_long_with_role_and_code() -> None:
    names = [c.name for c in data_table("Responsibilities").columns]
    assert names == ["row_key", "activity", "account_id", "role", "code", "extra"]


def test_money_is_integer_cents_on_sqlite_and_numeric_18_2_on_postgresql() -> None:
    mrr = data_table("MRR")
    lite = str(CreateTable(mrr).compile(dialect=sqlite.dialect()))
    pg_dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    pg = str(CreateTable(mrr).compile(dialect=pg_dialect))
    assert "mrr BIGINT NOT NULL" in lite
    assert "mrr NUMERIC(18, 2) NOT NULL" in pg


def test_money_is_stored_as_exact_cents_in_sqlite(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.upgrade()
    engine = store.engine
    revenue = data_table("Revenue")
    accounts = data_table("Accounts")
    with engine.begin() as conn:
        conn.execute(accounts.insert().values(row_key="A1", account_id="A1", name="A"))
        conn.execute(
            revenue.insert().values(
                row_key="k",
                account_id="A1",
                period="2024",
                amount=Decimal("12345678901234.56"),
            )
        )
    store.dispose()
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as raw:
        stored = raw.execute("SELECT amount, typeof(amount) FROM revenue").fetchone()
    assert stored == (1234567890123456, "integer")


def test_only_account_id_of_account_scoped_sheets_is_a_deferred_foreign_key() -> None:
    for s in SHEETS.values():
        fks = list(data_table(s.name).foreign_keys)
        if s.account_scoped:
            assert len(fks) == 1, s.name
            fk = fks[0]
            assert fk.parent.name == "account_id"
            assert fk.target_fullname == "accounts.account_id"
            assert fk.deferrable is True
            assert fk.initially == "DEFERRED"
        else:
            assert fks == [], s.name


def test_every_constraint_and_index_has_a_name() -> None:
    for t in metadata.tables.values():
        for c in t.constraints:
            assert c.name, (t.name, c)
        for ix in t.indexes:
            assert ix.name, (t.name, ix)


def test_a_one_column_key_is_the_plain_id() -> None:
    t = table("Accounts", [{"account_id": "A-17", "name": "x"}])
    assert list(row_keys(SHEETS["Accounts"], t)) == ["A-17"]


def test_none_in_a_key_differs_from_every_text_value() -> None:
    candidates = [None, "", "\x1e", '"\\u001e"', "null", "None"]
    encoded = [encode_part(v) for v in candidates]
    assert len(set(encoded)) == len(candidates)


def test_key_parts_containing_the_separator_do_not_collide() -> None:
    rows = [
        {"account_id": "a\x1fb", "section": "c", "field": "f"},
        {"account_id": "a", "section": "b\x1fc", "field": "f"},
    ]
    keys = list(row_keys(SHEETS["Charter"], table("Charter", rows)))
    assert keys[0] != keys[1]
    assert all("\x00" not in k for k in keys)


def test_identical_keyless_rows_get_distinct_stable_keys() -> None:
    row = {
        "account_id": "A1",
        "answered_on": date(2024, 1, 5),
        "instrument": "NPS",
        "score": 9,
    }
    t = table("Surveys", [row, dict(row), {**row, "score": 8}])
    first = list(row_keys(SHEETS["Surveys"], t))
    again = list(row_keys(SHEETS["Surveys"], table("Surveys", [row, dict(row)])))
    assert len(set(first)) == 3
    assert again == first[:2]
    assert first[0].endswith("#1")
    assert first[1].endswith("#2")


def test_upgrade_builds_exactly_the_metadata(store_url: str) -> None:
    store = Store(store_url)
    store.upgrade()
    engine = create_store_engine(store_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    store.dispose()
    assert diff == []
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_upgrade_twice_is_harmless_and_starts_at_data_version_zero(
    store_url: str,
) -> None:
    store = Store(store_url)
    store.upgrade()
    store.upgrade()
    assert store.data_version() == 0
    assert store.is_empty()
    store.dispose()
