"""Batch updates (the saved criterion weights), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kam.access import Principal
from kam.errors import ConflictError, PermissionDenied
from kam.store.auth_tables import audit
from kam.store.edit_batch import update_rows
from kam.store.edits import EditError, read_row, row_version, update_row
from kam.store.repository import Store
from tests.store.helpers import portfolio

ADMIN = Principal(1, "admin@x.org", "admin")
ANALYST = Principal(2, "an@x.org", "analyst")
KAM1 = Principal(3, "k1@x.org", "kam")


def _crit(cid: str, section: str, weight: str) -> dict[str, object]:
    return {
        "criterion_id": cid,
        "section": section,
        "name": f"Criterion {cid}",
        "weight": float(weight),
    }


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    s.import_portfolio(
        portfolio(
            Team=[{"member_id": "M1", "name": "One", "email": "k1@x.org"}],
            Accounts=[{"account_id": "A1", "name": "Alpha", "owner": "M1"}],
            Criteria=[
                _crit("G1", "growth", "0.5"),
                _crit("G2", "growth", "0.5"),
                _crit("H1", "harmony", "60"),
                _crit("H2", "harmony", "40"),
            ],
        )
    )
    yield s
    s.dispose()


def _v(store: Store, cid: str) -> str:
    return row_version(read_row(store, ADMIN, "Criteria", cid))


def _weight(store: Store, cid: str) -> Decimal:
    return Decimal(str(read_row(store, ADMIN, "Criteria", cid)["weight"]))


def _audit(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    with store.engine.connect() as conn:
        return [
            (str(a), str(t), dict(d))
            for a, t, d in conn.execute(
                sa.select(audit.c.action, audit.c.target, audit.c.detail).order_by(
                    audit.c.id
                )
            )
        ]


def test_a_batch_keeping_each_section_summing_to_one_is_saved(store: Store) -> None:
    before = store.data_version()
    # 0.8 + 0.2 = 1: the growth section still sums to 1.
    results = update_rows(
        store,
        ANALYST,
        "Criteria",
        [
            ("G1", {"weight": "0.8"}, _v(store, "G1")),
            ("G2", {"weight": "0.2"}, _v(store, "G2")),
        ],
    )
    assert [r.after["weight"] for r in results if r.after] == [0.8, 0.2]
    assert _weight(store, "G1") == Decimal("0.8")
    assert _weight(store, "G2") == Decimal("0.2")
    assert store.data_version() == before + 1
    rows = _audit(store)[-2:]
    assert [(a, t) for a, t, _ in rows] == [
        ("edit.update", "Criteria G1"),
        ("edit.update", "Criteria G2"),
    ]
    assert rows[0][2]["batch"] == 2
    assert rows[0][2]["before"]["weight"] == 0.5  # type: ignore[index]
    assert rows[0][2]["after"]["weight"] == 0.8  # type: ignore[index]


def test_weights_that_no_longer_sum_refuse_the_whole_batch(store: Store) -> None:
    before = store.data_version()
    # 0.8 + 0.5 = 1.3: neither 1 nor 100; G2 is not even in the batch.
    with pytest.raises(EditError) as caught:
        update_rows(
            store, ADMIN, "Criteria", [("G1", {"weight": "0.8"}, _v(store, "G1"))]
        )
    messages = [p.message for p in caught.value.problems]
    assert messages == [
        "the weights of section growth sum to 1.3; they must sum to 1 or to 100"
    ]
    assert _weight(store, "G1") == Decimal("0.5")
    assert store.data_version() == before


def test_a_section_summing_to_one_hundred_is_accepted(store: Store) -> None:
    update_rows(
        store,
        ADMIN,
        "Criteria",
        [
            ("H1", {"weight": "30"}, _v(store, "H1")),
            ("H2", {"weight": "70"}, _v(store, "H2")),
        ],
    )
    assert _weight(store, "H2") == Decimal(70)


def test_a_stale_row_refuses_the_batch_and_shows_its_stored_value(
    store: Store,
) -> None:
    seen_g1, seen_g2 = _v(store, "G1"), _v(store, "G2")
    # Someone else moves the growth weights meanwhile (still summing to 1).
    update_rows(
        store,
        ADMIN,
        "Criteria",
        [("G1", {"weight": "0.6"}, seen_g1), ("G2", {"weight": "0.4"}, seen_g2)],
    )
    with pytest.raises(ConflictError) as caught:
        update_rows(
            store,
            ANALYST,
            "Criteria",
            [("G1", {"weight": "0.9"}, seen_g1), ("G2", {"weight": "0.1"}, seen_g2)],
        )
    assert caught.value.current["weight"] == 0.6
    assert _weight(store, "G1") == Decimal("0.6")


def test_problems_of_every_row_come_together(store: Store) -> None:
    with pytest.raises(EditError) as caught:
        update_rows(
            store,
            ADMIN,
            "Criteria",
            [
                ("G1", {"weight": "-1"}, _v(store, "G1")),
                ("H1", {"weight": "lots"}, _v(store, "H1")),
                ("H1", {"weight": "2"}, _v(store, "H1")),
            ],
        )
    columns = sorted(str(p.column) for p in caught.value.problems)
    # G1 below 0, H1 not a number, H1 twice; the sums are then checked on what
    # converted (the refused G1 is blank: growth 0.5; the last H1 wins: harmony
    # 2 + 40 = 42): two more problems in column weight.
    assert columns.count("weight") == 4
    assert "None" in columns


def test_a_kam_may_not_change_the_weights(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        update_rows(
            store,
            KAM1,
            "Criteria",
            [("G1", {"weight": "0.5"}, _v(store, "G1"))],
        )


def test_an_unchanged_batch_writes_nothing(store: Store) -> None:
    before, audited = store.data_version(), len(_audit(store))
    update_rows(store, ADMIN, "Criteria", [("G1", {"weight": "0.5"}, _v(store, "G1"))])
    assert store.data_version() == before
    assert len(_audit(store)) == audited


def test_the_single_row_update_still_leaves_the_sum_to_the_import(
    store: Store,
) -> None:
    # The one-row service does not check across rows (documented); the batch does.
    update_row(
        store, ADMIN, "Criteria", "G1", {"weight": "0.7"}, version=_v(store, "G1")
    )
    assert _weight(store, "G1") == Decimal("0.7")
