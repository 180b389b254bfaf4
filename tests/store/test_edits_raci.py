"""The edit service on the wide Responsibilities sheet: one RACI cell per edit.

On SQLite and PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from kam.access import Principal
from kam.errors import ConflictError, PermissionDenied
from kam.store.auth_tables import audit
from kam.store.edits import (
    EditError,
    add_row,
    delete_row,
    read_row,
    row_version,
    update_row,
)
from kam.store.repository import Store
from tests.store.helpers import portfolio

ADMIN = Principal(1, "admin@x.org", "admin")
KAM1 = Principal(2, "k1@x.org", "kam")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    s.import_portfolio(
        portfolio(
            Team=[{"member_id": "M1", "name": "One", "email": "k1@x.org"}],
            Accounts=[{"account_id": "A1", "name": "Alpha", "owner": "M1"}],
            Responsibilities=[
                {"activity": "Plan", "account_id": "A1", "role": "KAM", "code": "A/R"},
                {"activity": "Plan", "account_id": "A1", "role": "CS", "code": "C"},
                {"activity": "Review", "account_id": None, "role": "KAM", "code": "A"},
            ],
        )
    )
    yield s
    s.dispose()


def _cell(account: str | None, activity: str, role: str) -> dict[str, object]:
    return {"account_id": account, "activity": activity, "role": role}


def test_a_raci_cell_is_read_and_changed_by_its_key(store: Store) -> None:
    key = _cell("A1", "Plan", "CS")
    row = read_row(store, KAM1, "Responsibilities", key)
    assert row["code"] == "C"
    # "r/a" is the import's spelling of A/R too.
    result = update_row(
        store, KAM1, "Responsibilities", key, {"code": "r/a"}, version=row_version(row)
    )
    assert result.after is not None
    assert result.after["code"] == "A/R"
    with store.engine.connect() as conn:
        target, detail = conn.execute(
            sa.select(audit.c.target, audit.c.detail).order_by(audit.c.id.desc())
        ).first()  # type: ignore[misc]
    assert target == "Responsibilities (A1, Plan, CS)"
    assert (detail["before"]["code"], detail["after"]["code"]) == ("C", "A/R")


def test_a_cell_holds_one_code(store: Store) -> None:
    row = read_row(store, KAM1, "Responsibilities", _cell("A1", "Plan", "CS"))
    with pytest.raises(EditError) as err:
        update_row(
            store,
            KAM1,
            "Responsibilities",
            _cell("A1", "Plan", "CS"),
            {"code": "R, C"},
            version=row_version(row),
        )
    [problem] = err.value.problems
    assert (problem.column, problem.value) == ("code", "R, C")


def test_a_new_cell_needs_a_role_and_a_code(store: Store) -> None:
    with pytest.raises(EditError) as err:
        add_row(
            store,
            KAM1,
            "Responsibilities",
            {"activity": "Plan", "account_id": "A1", "role": "", "code": ""},
        )
    assert sorted(p.column for p in err.value.problems) == ["code", "role"]
    done = add_row(
        store,
        KAM1,
        "Responsibilities",
        {"activity": "Plan", "account_id": "A1", "role": "Sales", "code": "i"},
    )
    assert done.after is not None
    assert done.after["code"] == "I"
    assert read_row(store, ADMIN, "Responsibilities", _cell("A1", "Plan", "Sales"))


def test_the_programme_matrix_is_edited_by_admins_only(store: Store) -> None:
    key = _cell(None, "Review", "KAM")
    row = read_row(store, KAM1, "Responsibilities", key)
    with pytest.raises(PermissionDenied):
        delete_row(store, KAM1, "Responsibilities", key, version=row_version(row))
    delete_row(store, ADMIN, "Responsibilities", key, version=row_version(row))
    again = add_row(store, ADMIN, "Responsibilities", {**key, "code": "R"})
    assert again.after is not None
    assert again.after["code"] == "R"
    # The version seen before the delete no longer names the stored cell.
    with pytest.raises(ConflictError) as err:
        update_row(
            store,
            ADMIN,
            "Responsibilities",
            key,
            {"code": "C"},
            version=row_version(row),
        )
    assert err.value.current["code"] == "R"
