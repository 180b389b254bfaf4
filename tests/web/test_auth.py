"""Sign-in, sessions and sign-out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kam.config import Settings
from kam.store.auth_tables import sessions
from kam.store.repository import Store
from kam.users import MAX_FAILURES, disable_user, utcnow
from kam.web import create_app
from kam.web.launch import setup_link
from kam.web.sessions import COOKIE
from tests.web.conftest import PASSWORD, Workspace, csrf_of, pre_token, sign_in


@pytest.mark.parametrize(
    "path", ["/", "/accounts", "/accounts/A001", "/tools/pareto", "/tools/abc", "/docs"]
)
def test_signed_out_pages_redirect_to_the_sign_in_form(
    workspace: Workspace, path: str
) -> None:
    response = workspace.client().get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")


@pytest.mark.parametrize(
    "path", ["/api/accounts", "/api/analyses/pareto", "/openapi.json"]
)
def test_signed_out_api_answers_401(workspace: Workspace, path: str) -> None:
    response = workspace.client().get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "sign in first"


def test_the_cookie_is_a_long_random_http_only_lax_token(workspace: Workspace) -> None:
    email = workspace.add_user("cookie@example.com", "executive")
    client = workspace.client()
    response = client.post(
        "/signin",
        data={"csrf_token": pre_token(client), "email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "secure" not in header  # plain http in the test
    token = client.cookies[COOKIE]
    assert len(token) >= 22  # URL-safe base64: at least 128 bits
    with workspace.store.engine.connect() as conn:
        ids = set(conn.execute(sa.select(sessions.c.id)).scalars())
    assert token not in ids  # only its hash is stored


def test_sign_in_replaces_a_session_id_the_browser_brought(
    workspace: Workspace,
) -> None:
    email = workspace.add_user("fixation@example.com", "executive")
    client = workspace.client()
    sign_in(client, email)
    first = client.cookies[COOKIE]
    sign_in(client, email)
    second = client.cookies[COOKIE]
    assert second != first
    stale = workspace.client()
    stale.cookies.set(COOKIE, first)
    assert stale.get("/", follow_redirects=False).status_code == 303
    assert client.get("/").status_code == 200


def test_a_planted_cookie_is_not_a_session(workspace: Workspace) -> None:
    client = workspace.client()
    client.cookies.set(COOKIE, "chosen-by-an-attacker")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_for_a_copied_cookie_too(
    workspace: Workspace,
) -> None:
    email = workspace.add_user("signout@example.com", "analyst")
    client = workspace.client()
    sign_in(client, email)
    copy = workspace.client()
    copy.cookies.set(COOKIE, client.cookies[COOKIE])
    assert copy.get("/").status_code == 200
    response = client.post(
        "/signout", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert copy.get("/", follow_redirects=False).status_code == 303
    assert copy.get("/api/accounts").status_code == 401


def test_disabling_a_user_ends_their_session_at_once(workspace: Workspace) -> None:
    email = workspace.add_user("disabled@example.com", "executive")
    client = workspace.client()
    sign_in(client, email)
    assert client.get("/api/accounts").status_code == 200
    disable_user(workspace.store.engine, email)
    assert client.get("/api/accounts").status_code == 401


def test_an_idle_session_ends(workspace: Workspace) -> None:
    email = workspace.add_user("idle@example.com", "executive")
    client = workspace.client()
    sign_in(client, email)
    with workspace.store.engine.begin() as conn:
        conn.execute(
            sessions.update().values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
    assert client.get("/api/accounts").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime(workspace: Workspace) -> None:
    email = workspace.add_user("absolute@example.com", "executive")
    client = workspace.client()
    sign_in(client, email)
    with workspace.store.engine.begin() as conn:
        conn.execute(sessions.update().values(expires_at=utcnow()))
    assert client.get("/api/accounts").status_code == 401


def test_a_wrong_password_shows_the_form_again(workspace: Workspace) -> None:
    email = workspace.add_user("wrong@example.com", "viewer")
    client = workspace.client()
    response = client.post(
        "/signin",
        data={"csrf_token": pre_token(client), "email": email, "password": "nope"},
    )
    assert response.status_code == 401
    assert "wrong e-mail or password" in response.text
    assert COOKIE not in client.cookies


def test_five_failures_lock_the_account(workspace: Workspace) -> None:
    email = workspace.add_user("locked@example.com", "viewer")
    client = workspace.client()
    for _ in range(MAX_FAILURES):
        client.post(
            "/signin",
            data={"csrf_token": pre_token(client), "email": email, "password": "x"},
        )
    response = client.post(
        "/signin",
        data={"csrf_token": pre_token(client), "email": email, "password": PASSWORD},
    )
    assert response.status_code == 401
    assert "too many failed sign-ins" in response.text


def test_next_never_leaves_the_site(workspace: Workspace) -> None:
    email = workspace.add_user("next@example.com", "viewer")
    client = workspace.client()
    response = client.post(
        "/signin",
        data={
            "csrf_token": pre_token(client),
            "email": email,
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_docs_and_schema_open_after_sign_in(workspace: Workspace) -> None:
    email = workspace.add_user("docs@example.com", "viewer")
    client = workspace.client()
    sign_in(client, email)
    assert "/api/analyses/{name}" in client.get("/openapi.json").json()["paths"]
    assert "/api/accounts" in client.get("/docs").text


def test_the_setup_link_creates_the_first_admin_and_signs_them_in(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    store = Store(url)
    store.upgrade()
    app = create_app(Settings(database_url=url), store=store)
    try:
        link = setup_link(store, "http://testserver")
        assert link is not None
        token = link.split("token=", 1)[1]
        client = TestClient(app, base_url="http://testserver")
        page = client.get(f"/setup?token={token}")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None
        form = {
            "csrf_token": found.group(1),
            "token": token,
            "email": "root@example.com",
            "password": PASSWORD,
        }
        assert client.post("/setup", data=form, follow_redirects=False).status_code == (
            303
        )
        assert client.get("/api/accounts").status_code == 200
        assert setup_link(store, "http://testserver") is None
        second = client.post("/setup", data={**form, "email": "two@example.com"})
        assert second.status_code == 400
    finally:
        app.state.kam.engine.close()
        store.dispose()
