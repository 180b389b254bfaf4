"""Export and erasure of one stakeholder's personal data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.errors import NotFoundError
from kam.store.auth_tables import audit
from kam.store.db import write_connection
from kam.store.erasure import (
    ERASED_EMAIL,
    ERASED_PHONE,
    erase_person,
    export_person,
)
from kam.store.repository import Store
from kam.store.tables import data_table
from tests.store.helpers import accounts, portfolio

NAME = "Jane Q. Ødegård"
EMAIL = "jane.odegard@hospital.example"
PHONE = "+1 555 0100"


def _people(note: str = "met Jane Q. Ødegård at the fair") -> dict[str, list]:  # type: ignore[type-arg]
    return {
        "Accounts": accounts("A1"),
        "Team": [{"member_id": "M1", "name": "Kim Kam"}],
        "Stakeholders": [
            {
                "stakeholder_id": "S1",
                "account_id": "A1",
                "name": "Boss",
                "decision_power": 5,
                "attitude": 0,
            },
            {
                "stakeholder_id": "S2",
                "account_id": "A1",
                "name": NAME,
                "title": "Director",
                "reports_to": "S1",
                "decision_power": 3,
                "attitude": 1,
                "email": EMAIL,
                "phone": PHONE,
                "extra": {"Assistant to": "JANE Q. ØDEGÅRD's office"},
            },
            {
                "stakeholder_id": "S3",
                "account_id": "A1",
                "name": "Ann Other",
                "reports_to": "S2",
                "decision_power": 2,
                "attitude": 0,
            },
        ],
        "Influences": [
            {
                "from_id": "S2",
                "to_id": "S1",
                "strength": 3,
                "sentiment": "positive",
                "note": note,
            },
            {"from_id": "S3", "to_id": "S2", "strength": 1, "sentiment": "neutral"},
        ],
        "Touchpoints": [
            {"member_id": "M1", "stakeholder_id": "S2", "strength": 2, "key": True},
        ],
        "Surveys": [
            {
                "account_id": "A1",
                "answered_on": date(2025, 3, 1),
                "instrument": "NPS",
                "score": 9,
                "stakeholder_id": "S2",
                "comment": f"call back on {PHONE} or {EMAIL}",
            },
        ],
    }


def _loaded(url: str, tmp_path: Path) -> Store:
    store = Store(url, snapshot_dir=tmp_path / "snaps")
    store.upgrade()
    store.import_portfolio(portfolio(**_people()))
    # A second import that changes data: on SQLite it snapshots the first state,
    # which holds the name, e-mail and phone.
    store.import_portfolio(portfolio(**_people(note="met Jane Q. Ødegård again")))
    with write_connection(store.engine) as conn:
        # What the map editor writes: the row before and after, as JSON.
        conn.execute(
            audit.insert().values(
                at=datetime.now(UTC),
                user_id=None,
                action="stakeholder.edit",
                target=f"Stakeholders:S2 ({NAME})",
                detail={
                    "before": {"name": NAME, "email": EMAIL, "phone": PHONE},
                    "after": {"name": NAME, "title": "VP", "phone": PHONE},
                },
            )
        )
    return store


def _dump(engine: sa.Engine) -> list[str]:
    """Every value of every column of every table, as text."""
    meta = sa.MetaData()
    out: list[str] = []
    with engine.connect() as conn:
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, dict | list):
                        out.append(json.dumps(value, ensure_ascii=False))
                    out.append(str(value))
    return out


def _holds(values: list[str], *terms: str) -> list[str]:
    return [v for v in values if any(t.casefold() in v.casefold() for t in terms)]


def test_export_gathers_the_row_lines_touchpoints_surveys_and_audit(
    store_url: str, tmp_path: Path
) -> None:
    store = _loaded(store_url, tmp_path)
    try:
        data = export_person(store, "S2")
    finally:
        store.dispose()
    assert data["stakeholder"]["name"] == NAME  # type: ignore[index]
    assert data["stakeholder"]["extra"] == {  # type: ignore[index]
        "Assistant to": "JANE Q. ØDEGÅRD's office"
    }
    # S2 → S1 and S3 → S2: both lines touch S2.
    pairs = {(r["from_id"], r["to_id"]) for r in data["influences"]}  # type: ignore[union-attr, index]
    assert pairs == {("S2", "S1"), ("S3", "S2")}
    assert [r["member_id"] for r in data["touchpoints"]] == ["M1"]  # type: ignore[union-attr, index]
    assert [r["score"] for r in data["surveys"]] == [9]  # type: ignore[union-attr, index]
    assert [a["action"] for a in data["audit"]] == ["stakeholder.edit"]  # type: ignore[union-attr, index]


def test_erasure_leaves_the_person_nowhere_in_the_store_or_its_snapshots(
    store_url: str, tmp_path: Path
) -> None:
    store = _loaded(store_url, tmp_path)
    try:
        before = _dump(store.engine)
        assert _holds(before, NAME, EMAIL, PHONE)  # the test can fail
        version = store.data_version()
        done = erase_person(store, "S2", by=None)
        after = _dump(store.engine)
        assert _holds(after, NAME, EMAIL, PHONE) == []
        assert done.placeholder == "Erased person 1"
        assert done.data_version == version + 1 == store.data_version()
        with store.engine.connect() as conn:
            sh = data_table("Stakeholders")
            rows = {
                r.stakeholder_id: r
                for r in conn.execute(sa.select(sh).order_by(sh.c.stakeholder_id))
            }
            # The map keeps its shape: same people, same lines, same scores.
            assert sorted(rows) == ["S1", "S2", "S3"]
            assert (rows["S2"].name, rows["S2"].email, rows["S2"].phone) == (
                "Erased person 1",
                None,
                None,
            )
            assert rows["S2"].reports_to == "S1"
            assert rows["S3"].reports_to == "S2"
            assert rows["S2"].decision_power == 3
            inf = data_table("Influences")
            notes = {
                r.from_id: r.note
                for r in conn.execute(sa.select(inf.c.from_id, inf.c.note))
            }
            assert notes["S2"] == "met Erased person 1 again"
            comment = conn.execute(
                sa.select(data_table("Surveys").c.comment)
            ).scalar_one()
            assert comment == f"call back on {ERASED_PHONE} or {ERASED_EMAIL}"
            erasures = conn.execute(
                sa.select(audit.c.target, audit.c.detail).where(
                    audit.c.action == "person.erase"
                )
            ).all()
        assert len(erasures) == 1
        assert erasures[0].target == "stakeholder:S2"
        assert erasures[0].detail["placeholder"] == "Erased person 1"
        snaps = store.list_snapshots()
        if store.db_path is not None:
            assert len(snaps) == 1
            assert done.snapshots == [snaps[0].name]
            raw = (tmp_path / "snaps" / snaps[0].name).read_bytes()
            for term in (NAME, EMAIL, PHONE, NAME.upper()):
                assert term.encode() not in raw
            snap = sa.create_engine(f"sqlite:///{tmp_path / 'snaps' / snaps[0].name}")
            try:
                dumped = _dump(snap)
                assert "Erased person 1" in dumped
                assert _holds(dumped, NAME, EMAIL, PHONE) == []
            finally:
                snap.dispose()
        else:
            assert snaps == []
            assert done.snapshots == []
    finally:
        store.dispose()


def test_erasing_twice_keeps_the_placeholder_and_numbers_the_next_person(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = _loaded(sqlite_url, tmp_path)
    try:
        assert erase_person(store, "S2").placeholder == "Erased person 1"
        assert erase_person(store, "S2").placeholder == "Erased person 1"
        assert erase_person(store, "S3").placeholder == "Erased person 2"
        with pytest.raises(NotFoundError):
            erase_person(store, "S9")
    finally:
        store.dispose()


def test_erasure_replaces_whole_words_only(sqlite_url: str, tmp_path: Path) -> None:
    store = Store(sqlite_url, snapshot_dir=tmp_path / "snaps")
    store.upgrade()
    people = _people(note="Annual review with ann; Annika agrees")
    people["Stakeholders"][2]["name"] = "Ann"
    store.import_portfolio(portfolio(**people))
    try:
        erase_person(store, "S3")
        with store.engine.connect() as conn:
            inf = data_table("Influences")
            note = conn.execute(
                sa.select(inf.c.note).where(inf.c.from_id == "S2")
            ).scalar_one()
        assert note == "Annual review with Erased person 1; Annika agrees"
    finally:
        store.dispose()
