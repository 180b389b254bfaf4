"""Admin pages: users and account teams, admins only, audited, and the access they
grant or take away shows at once. Each test runs on its own store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.store.auth_tables import audit
from kam.store.repository import Store
from kam.web import create_app
from tests.web.conftest import (
    PASSWORD,
    Workspace,
    csrf_of,
    member_email,
    readable_oracle,
    sign_in,
)


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


def _actions(ws: Workspace) -> list[str]:
    with ws.store.engine.connect() as conn:
        return list(conn.execute(sa.select(audit.c.action)).scalars())


def _listed(client: object, path: str = "/api/accounts") -> set[str]:
    response = client.get(path)  # type: ignore[attr-defined]
    return {r["account_id"] for r in response.json()}


def test_only_admins_reach_the_admin_pages(fresh: Workspace) -> None:
    for role in ("analyst", "executive", "kam", "viewer"):
        client = fresh.client()
        sign_in(client, fresh.add_user(f"{role}@example.com", role))
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/accounts").status_code == 403
        data = {
            "csrf_token": csrf_of(client),
            "email": "x@example.com",
            "role": "admin",
        }
        assert client.post("/admin/users", data=data).status_code == 403
    signed_out = fresh.client().get("/admin/users", follow_redirects=False)
    assert signed_out.status_code == 303


def test_an_admin_adds_a_user_who_signs_in_with_the_password_shown_once(
    fresh: Workspace,
) -> None:
    admin = fresh.client()
    sign_in(admin, fresh.add_user("root@example.com", "admin"))
    data = {"csrf_token": csrf_of(admin), "email": "New@Example.com", "role": "viewer"}
    page = admin.post("/admin/users", data=data)
    found = re.search(r'<code id="new-password">([^<]+)</code>', page.text)
    assert found is not None
    newcomer = fresh.client()
    sign_in(newcomer, "new@example.com", found.group(1))
    assert "user.create" in _actions(fresh)
    # The listing no longer shows the password.
    assert found.group(1) not in admin.get("/admin/users").text


def test_setting_a_role_and_disabling_take_effect_at_once(fresh: Workspace) -> None:
    admin = fresh.client()
    sign_in(admin, fresh.add_user("root@example.com", "admin"))
    viewer = fresh.client()
    sign_in(viewer, fresh.add_user("v@example.com", "viewer"))
    assert _listed(viewer) == set()  # a viewer on no team reads nothing
    token = csrf_of(admin)
    admin.post(
        "/admin/users/role",
        data={"csrf_token": token, "email": "v@example.com", "role": "executive"},
    )
    assert len(_listed(viewer)) == 120
    admin.post(
        "/admin/users/disable", data={"csrf_token": token, "email": "v@example.com"}
    )
    assert viewer.get("/api/accounts").status_code == 401
    with pytest.raises(AssertionError):
        sign_in(fresh.client(), "v@example.com", PASSWORD)
    assert {"admin.set_role", "admin.disable"} <= set(_actions(fresh))


def test_owner_and_team_changes_change_what_a_kam_reads(fresh: Workspace) -> None:
    p = fresh.portfolio
    email = member_email(p, "M01")
    mine = readable_oracle(p, email)
    theirs = sorted(readable_oracle(p, member_email(p, "M02")) - mine)
    kam = fresh.client()
    sign_in(kam, fresh.add_user(email, "kam"))
    admin = fresh.client()
    sign_in(admin, fresh.add_user("root@example.com", "admin"))
    assert _listed(kam) == mine
    token = csrf_of(admin)
    gained = theirs[0]
    admin.post(
        "/admin/accounts/team",
        data={
            "csrf_token": token,
            "account_id": gained,
            "member_id": "M01",
            "access": "read",
        },
    )
    assert _listed(kam) == mine | {gained}
    admin.post(
        "/admin/accounts/team/remove",
        data={"csrf_token": token, "account_id": gained, "member_id": "M01"},
    )
    assert _listed(kam) == mine
    owned = theirs[1]
    admin.post(
        "/admin/accounts/owner",
        data={"csrf_token": token, "account_id": owned, "owner": "M01"},
    )
    assert _listed(kam) == mine | {owned}
    assert {"admin.team_add", "admin.team_remove", "admin.set_owner"} <= set(
        _actions(fresh)
    )


def test_an_unknown_member_is_refused_by_name(fresh: Workspace) -> None:
    admin = fresh.client()
    sign_in(admin, fresh.add_user("root@example.com", "admin"))
    before = fresh.store.checksum()
    response = admin.post(
        "/admin/accounts/owner",
        data={"csrf_token": csrf_of(admin), "account_id": "A001", "owner": "M404"},
    )
    assert response.status_code == 400
    assert "&#39;M404&#39; is not a member_id of the Team sheet" in response.text
    assert fresh.store.checksum() == before
