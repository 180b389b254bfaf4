"""Admin pages for one stakeholder's personal data: admins only, CSRF, confirmation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.store.repository import Store
from kam.web import create_app
from tests.web.conftest import Workspace, csrf_of, rows, sign_in

# The demo flagship's EVP & CIO (kam.demo.stakeholders).
SID = "OV02"
NAME = "Odessa Lintermann"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Workspace]:
    url = f"sqlite:///{tmp_path / 'kam.db'}"
    store = Store(url)
    store.upgrade()
    portfolio = demo_portfolio(seed=7)
    store.import_portfolio(portfolio)
    app = create_app(Settings(database_url=url), store=store)
    yield Workspace(app, store, portfolio)
    app.state.kam.engine.close()
    store.dispose()


def _person(ws: Workspace) -> dict[str, object]:
    return next(
        r for r in rows(ws.portfolio, "Stakeholders") if r["stakeholder_id"] == SID
    )


@pytest.mark.parametrize("role", ["analyst", "executive", "kam", "viewer"])
def test_only_an_admin_may_export_or_erase(fresh: Workspace, role: str) -> None:
    client = fresh.client()
    sign_in(client, fresh.add_user(f"{role}@example.org", role))
    token = csrf_of(client)
    assert client.get("/admin/people").status_code == 403
    assert client.get(f"/admin/people/{SID}/export.json").status_code == 403
    assert client.get(f"/admin/people/{SID}/erase").status_code == 403
    posted = client.post(
        f"/admin/people/{SID}/erase", data={"csrf_token": token, "confirm_id": SID}
    )
    assert posted.status_code == 403
    with fresh.store.engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM stakeholders")).scalars().all()
    assert NAME in names


def test_admin_exports_then_erases_after_confirming(fresh: Workspace) -> None:
    person = _person(fresh)
    assert person["name"] == NAME
    assert person["email"]
    assert person["phone"]
    client = fresh.client()
    sign_in(client, fresh.add_user("admin@example.org", "admin"))
    token = csrf_of(client)

    found = client.get("/admin/people", params={"stakeholder_id": SID})
    assert found.status_code == 200
    assert NAME in found.text
    exported = client.get(f"/admin/people/{SID}/export.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text)
    assert data["stakeholder"]["email"] == person["email"]
    # The acceptance scenario's dotted line: consultancy lead OV25 → EVP.
    assert ("OV25", SID) in {(r["from_id"], r["to_id"]) for r in data["influences"]}

    assert 'name="confirm_id"' in client.get(f"/admin/people/{SID}/erase").text
    no_token = client.post(f"/admin/people/{SID}/erase", data={"confirm_id": SID})
    assert no_token.status_code == 403
    wrong = client.post(
        f"/admin/people/{SID}/erase", data={"csrf_token": token, "confirm_id": "OV03"}
    )
    assert wrong.status_code == 400
    with fresh.store.engine.connect() as conn:
        assert NAME in conn.execute(sa.text("SELECT name FROM stakeholders")).scalars()

    done = client.post(
        f"/admin/people/{SID}/erase", data={"csrf_token": token, "confirm_id": SID}
    )
    assert done.status_code == 200
    assert "Erased person 1" in done.text
    page = client.get("/accounts/A001/stakeholders")
    assert page.status_code == 200
    assert NAME not in page.text
    assert "Erased person 1" in page.text
    terms = [NAME, str(person["email"]), str(person["phone"])]
    meta = sa.MetaData()
    with fresh.store.engine.connect() as conn:
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = json.dumps([str(v) for v in row], ensure_ascii=False)
                assert not any(t in text for t in terms), table.name
