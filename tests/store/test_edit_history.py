"""A row's history from the edit service's audit rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kam.access import Principal
from kam.store.edit_history import row_history
from kam.store.edits import add_row, delete_row, read_row, row_version, update_row
from kam.store.repository import Store
from kam.users import create_user
from tests.store.helpers import portfolio


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    s.import_portfolio(
        portfolio(
            Team=[{"member_id": "M1", "name": "One", "email": "k1@x.org"}],
            Accounts=[{"account_id": "A1", "name": "Alpha", "owner": "M1"}],
            Charter=[
                {
                    "account_id": None,
                    "section": "purpose",
                    "field": "why",
                    "value": "a",
                },
                {
                    "account_id": "A1",
                    "section": "purpose",
                    "field": "why",
                    "value": "b",
                },
            ],
        )
    )
    yield s
    s.dispose()


def test_the_history_of_a_field_names_who_changed_it_in_order(store: Store) -> None:
    admin = create_user(
        store.engine, "boss@x.org", "admin", password="correct horse 42", name="Boss"
    )
    analyst = create_user(
        store.engine, "ann@x.org", "analyst", password="correct horse 42"
    )
    boss = Principal(admin.id, admin.email, admin.role)
    ann = Principal(analyst.id, analyst.email, analyst.role)
    programme = {"account_id": None, "section": "purpose", "field": "why"}
    row = read_row(store, boss, "Charter", programme)
    update_row(
        store, boss, "Charter", programme, {"value": "a\nc"}, version=row_version(row)
    )
    row = read_row(store, ann, "Charter", programme)
    delete_row(store, ann, "Charter", programme, version=row_version(row))
    add_row(store, ann, "Charter", {**programme, "value": "d"})
    # The account's field of the same section and name is another row.
    account = {**programme, "account_id": "A1"}
    row = read_row(store, boss, "Charter", account)
    update_row(
        store, boss, "Charter", account, {"value": "e"}, version=row_version(row)
    )
    history = row_history(store, "Charter", programme)
    assert [(c.who, c.action) for c in history] == [
        ("Boss", "update"),
        ("ann@x.org", "delete"),
        ("ann@x.org", "add"),
    ]
    assert history[0].before is not None
    assert history[0].before["value"] == "a"
    assert [None if c.after is None else c.after["value"] for c in history] == [
        "a\nc",
        None,
        "d",
    ]
    assert [c.after for c in row_history(store, "Charter", account)] == [
        {**account, "value": "e", "owner": None, "reviewed_on": None, "extra": {}}
    ]
