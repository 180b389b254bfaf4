"""The one-row edit service, on SQLite and PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from kam.access import Principal
from kam.errors import ConflictError, NotFoundError, PermissionDenied
from kam.store.auth_tables import audit
from kam.store.edits import (
    EditError,
    add_row,
    delete_row,
    list_rows,
    read_row,
    require_edit,
    row_version,
    update_row,
)
from kam.store.repository import Store
from tests.store.helpers import portfolio

ADMIN = Principal(1, "admin@x.org", "admin")
KAM1 = Principal(2, "k1@x.org", "kam")
KAM2 = Principal(3, "k2@x.org", "kam")
VIEWER = Principal(4, "k1@x.org", "viewer")
EXEC = Principal(5, "boss@x.org", "executive")


def _person(sid: str, account: str, **kw: object) -> dict[str, object]:
    return {
        "stakeholder_id": sid,
        "account_id": account,
        "name": f"Person {sid}",
        "decision_power": 3,
        "attitude": 0,
        **kw,
    }


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    s.import_portfolio(
        portfolio(
            Team=[
                {"member_id": "M1", "name": "One", "email": "k1@x.org"},
                {"member_id": "M2", "name": "Two", "email": "K2@x.org"},
            ],
            Accounts=[
                {"account_id": "A1", "name": "Alpha", "owner": "M1"},
                {"account_id": "A2", "name": "Beta", "owner": "M2"},
            ],
            Stakeholders=[
                _person("S1", "A1"),
                _person("S2", "A1", reports_to="S1"),
                _person("S3", "A2"),
            ],
            Influences=[
                {"from_id": "S2", "to_id": "S1", "strength": 2, "sentiment": "neutral"}
            ],
            Touchpoints=[{"member_id": "M1", "stakeholder_id": "S2", "strength": 3}],
        )
    )
    yield s
    s.dispose()


def _audit_rows(store: Store) -> list[sa.Row[tuple[object, ...]]]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(
                    audit.c.user_id, audit.c.action, audit.c.target, audit.c.detail
                )
                .where(audit.c.action.like("edit.%"))
                .order_by(audit.c.id)
            )
        )


def test_adding_a_stakeholder_converts_text_audits_and_bumps_the_version(
    store: Store,
) -> None:
    before = store.data_version()
    done = add_row(
        store,
        KAM1,
        "Stakeholders",
        {
            "stakeholder_id": " S4 ",
            "account_id": "A1",
            "name": "Dana",
            "reports_to": "S1",
            "decision_power": "4",
            "attitude": "-1",
            "buying_role": "Decision_Maker",
        },
    )
    row = read_row(store, KAM1, "Stakeholders", "S4")
    # The import's conversions: ids trimmed, "4" → 4, enum folded to lower case.
    assert row["stakeholder_id"] == "S4"
    assert row["decision_power"] == 4
    assert row["attitude"] == -1
    assert row["buying_role"] == "decision_maker"
    assert row["interest"] is None
    assert done.version == row_version(row)
    assert store.data_version() == before + 1 == done.data_version
    [(user_id, action, target, detail)] = _audit_rows(store)
    assert (user_id, action, target) == (2, "edit.add", "Stakeholders S4")
    assert detail["before"] is None
    assert detail["after"]["name"] == "Dana"
    assert detail["after"]["reports_to"] == "S1"


def test_bad_values_are_all_named_with_sheet_column_and_value(store: Store) -> None:
    with pytest.raises(EditError) as caught:
        add_row(
            store,
            ADMIN,
            "Stakeholders",
            {
                "stakeholder_id": "S5",
                "account_id": "A1",
                "name": "Eve",
                "decision_power": "9",
                "attitude": "",
                "buying_role": "boss",
            },
        )
    found = {(p.sheet, p.column, p.value) for p in caught.value.problems}
    assert found == {
        ("Stakeholders", "decision_power", "9"),
        ("Stakeholders", "attitude", ""),
        ("Stakeholders", "buying_role", "boss"),
    }
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "'9' is outside 1–5" in messages
    assert "a value is required here" in messages
    assert all(p.row is None for p in caught.value.problems)
    assert store.data_version() == 1  # nothing written
    assert _audit_rows(store) == []


def test_reports_to_must_be_a_stakeholder_of_the_same_account(store: Store) -> None:
    version = row_version(read_row(store, ADMIN, "Stakeholders", "S2"))
    with pytest.raises(EditError) as missing:
        update_row(
            store, ADMIN, "Stakeholders", "S2", {"reports_to": "S9"}, version=version
        )
    [p] = missing.value.problems
    assert (p.column, p.value) == ("reports_to", "S9")
    assert "'S9' is not a stakeholder of the Stakeholders sheet" in p.message
    with pytest.raises(EditError) as elsewhere:
        update_row(
            store, ADMIN, "Stakeholders", "S2", {"reports_to": "S3"}, version=version
        )
    [p] = elsewhere.value.problems
    assert p.message == "'S3' belongs to account A2, not to A1"


def test_moving_a_manager_under_their_report_is_a_cycle(store: Store) -> None:
    version = row_version(read_row(store, ADMIN, "Stakeholders", "S1"))
    with pytest.raises(EditError) as caught:
        update_row(
            store, ADMIN, "Stakeholders", "S1", {"reports_to": "S2"}, version=version
        )
    [p] = caught.value.problems
    assert p.message == "reports-to cycle: S1 → S2 → S1"


def test_moving_a_stakeholder_under_another_manager(store: Store) -> None:
    add_row(store, ADMIN, "Stakeholders", _person("S4", "A1"))
    version = row_version(read_row(store, KAM1, "Stakeholders", "S2"))
    done = update_row(
        store, KAM1, "Stakeholders", "S2", {"reports_to": "S4"}, version=version
    )
    assert read_row(store, KAM1, "Stakeholders", "S2")["reports_to"] == "S4"
    assert done.before is not None
    assert done.before["reports_to"] == "S1"
    detail = _audit_rows(store)[-1][3]
    assert (detail["before"]["reports_to"], detail["after"]["reports_to"]) == (
        "S1",
        "S4",
    )


def test_a_stale_version_is_a_conflict_carrying_the_current_values(
    store: Store,
) -> None:
    seen = row_version(read_row(store, KAM1, "Stakeholders", "S2"))
    update_row(store, ADMIN, "Stakeholders", "S2", {"title": "CTO"}, version=seen)
    with pytest.raises(ConflictError) as caught:
        update_row(store, KAM1, "Stakeholders", "S2", {"title": "CFO"}, version=seen)
    current = caught.value.current
    assert current["title"] == "CTO"
    assert current["version"] == row_version(
        read_row(store, KAM1, "Stakeholders", "S2")
    )
    assert read_row(store, KAM1, "Stakeholders", "S2")["title"] == "CTO"
    with pytest.raises(ConflictError):
        delete_row(store, KAM1, "Stakeholders", "S2", version=seen)


def test_a_key_column_cannot_change(store: Store) -> None:
    key = {"from_id": "S2", "to_id": "S1"}
    version = row_version(read_row(store, ADMIN, "Influences", key))
    with pytest.raises(EditError) as caught:
        update_row(store, ADMIN, "Influences", key, {"to_id": "S2"}, version=version)
    assert [p.column for p in caught.value.problems] == ["to_id"]


def test_deleting_a_manager_who_still_has_reports_is_refused(store: Store) -> None:
    version = row_version(read_row(store, ADMIN, "Stakeholders", "S1"))
    with pytest.raises(EditError) as caught:
        delete_row(store, ADMIN, "Stakeholders", "S1", version=version)
    [p] = caught.value.problems
    assert "column reports_to of Stakeholders (S2)" in p.message
    assert read_row(store, ADMIN, "Stakeholders", "S1")["name"] == "Person S1"


def test_deleting_a_stakeholder_takes_their_dotted_lines_and_touchpoints(
    store: Store,
) -> None:
    before = store.data_version()
    version = row_version(read_row(store, KAM1, "Stakeholders", "S2"))
    done = delete_row(store, KAM1, "Stakeholders", "S2", version=version)
    assert sorted(name for name, _ in done.cascaded) == ["Influences", "Touchpoints"]
    counts = store.row_counts()
    assert (counts["Stakeholders"], counts["Influences"], counts["Touchpoints"]) == (
        2,
        0,
        0,
    )
    assert store.data_version() == before + 1
    [(_, action, target, detail)] = _audit_rows(store)
    assert (action, target) == ("edit.delete", "Stakeholders S2")
    assert detail["after"] is None
    assert {c["sheet"] for c in detail["cascaded"]} == {"Influences", "Touchpoints"}


def test_an_influence_takes_the_account_of_its_stakeholders(store: Store) -> None:
    line = {"from_id": "S1", "to_id": "S2", "strength": "3", "sentiment": "positive"}
    done = add_row(store, KAM1, "Influences", line)
    assert done.after is not None
    assert done.after["strength"] == 3
    # The other account's KAM may not even learn that A1's stakeholders exist.
    line2 = {"from_id": "S3", "to_id": "S1", "strength": 1, "sentiment": "neutral"}
    with pytest.raises(EditError) as caught:
        add_row(store, KAM2, "Influences", line2)
    assert [p.value for p in caught.value.problems] == ["S1"]
    # An admin sees both: a dotted line stays within one account.
    with pytest.raises(EditError) as across:
        add_row(store, ADMIN, "Influences", line2)
    assert "belong to different accounts (A1, A2)" in across.value.problems[0].message


def test_access_follows_kam_access(store: Store) -> None:
    require_edit(store, KAM1, "A1")
    require_edit(store, ADMIN, "A2")
    require_edit(store, Principal(6, "a@x.org", "analyst"), "A2")
    with pytest.raises(NotFoundError):
        require_edit(store, KAM1, "A2")
    with pytest.raises(PermissionDenied):
        require_edit(store, VIEWER, "A1")
    with pytest.raises(PermissionDenied):
        require_edit(store, EXEC, "A1")
    with pytest.raises(PermissionDenied):
        require_edit(store, KAM1, None)  # portfolio data: admin and analyst only
    version = row_version(read_row(store, ADMIN, "Stakeholders", "S3"))
    with pytest.raises(NotFoundError):
        update_row(store, KAM1, "Stakeholders", "S3", {"title": "x"}, version=version)
    with pytest.raises(NotFoundError):
        read_row(store, KAM1, "Stakeholders", "S3")
    with pytest.raises(PermissionDenied):
        add_row(store, EXEC, "Stakeholders", _person("S7", "A1"))
    with pytest.raises(PermissionDenied):
        add_row(store, KAM1, "Team", {"member_id": "M9", "name": "Nine"})
    assert store.data_version() == 1


def test_an_edit_to_the_same_values_writes_nothing(store: Store) -> None:
    version = row_version(read_row(store, ADMIN, "Stakeholders", "S2"))
    done = update_row(
        store, ADMIN, "Stakeholders", "S2", {"decision_power": "3"}, version=version
    )
    assert done.version == version
    assert store.data_version() == 1
    assert _audit_rows(store) == []


def test_two_simultaneous_edits_of_one_version_let_exactly_one_through(
    store: Store,
) -> None:
    seen = row_version(read_row(store, ADMIN, "Stakeholders", "S2"))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(title: str) -> None:
        start.wait()
        try:
            update_row(
                store, ADMIN, "Stakeholders", "S2", {"title": title}, version=seen
            )
            outcomes.append("saved " + title)
        except ConflictError as e:
            outcomes.append("conflict, saw " + str(e.current["title"]))

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("X", "Y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = [o for o in outcomes if o.startswith("saved")]
    assert len(saved) == 1
    winner = saved[0].removeprefix("saved ")
    # The loser is shown the winner's value, and only one edit was written.
    assert sorted(outcomes) == sorted([f"saved {winner}", f"conflict, saw {winner}"])
    assert read_row(store, ADMIN, "Stakeholders", "S2")["title"] == winner
    assert store.data_version() == 2
    assert len(_audit_rows(store)) == 1


def test_adding_a_key_that_exists_is_refused(store: Store) -> None:
    with pytest.raises(EditError) as caught:
        add_row(store, ADMIN, "Stakeholders", _person("S1", "A1", name="Again"))
    [p] = caught.value.problems
    assert (p.column, p.message) == ("stakeholder_id", "S1 already exists")
    assert read_row(store, ADMIN, "Stakeholders", "S1")["name"] == "Person S1"


def test_list_rows_gives_an_accounts_rows_to_those_who_read_it(store: Store) -> None:
    people = list_rows(store, KAM1, "Stakeholders", account_id="A1")
    assert [r["stakeholder_id"] for r in people] == ["S1", "S2"]
    [line] = list_rows(store, KAM1, "Influences", account_id="A1")
    assert (line["from_id"], line["to_id"], line["strength"]) == ("S2", "S1", 2)
    assert list_rows(store, KAM2, "Influences", account_id="A2") == []
    with pytest.raises(NotFoundError):
        list_rows(store, KAM2, "Stakeholders", account_id="A1")
    with pytest.raises(NotFoundError):
        list_rows(store, ADMIN, "Stakeholders", account_id="A9")
