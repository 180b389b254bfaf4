"""Every state-changing route refuses a request without the right CSRF token, and a
cross-site one even with it."""

from __future__ import annotations

import pytest
from starlette.routing import BaseRoute

from kam.web import create_app
from tests.web.conftest import Workspace, csrf_of, pre_token, sign_in

SAFE = {"GET", "HEAD", "OPTIONS"}


def _state_changing(workspace: Workspace) -> list[tuple[str, str]]:
    return _routes(workspace.app.routes)


def _routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    # Routes carry ``methods`` and ``path``; FastAPI keeps included routers as
    # branches holding the original router (and any include prefix); mounts (static
    # files) have no methods.
    found: list[tuple[str, str]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            extra = str(getattr(context, "prefix", "") or "")
            found += _routes(inner.routes, prefix + extra)
            continue
        methods = set(getattr(route, "methods", None) or ()) - SAFE
        path = str(getattr(route, "path", ""))
        found += [(m, prefix + path) for m in sorted(methods)]
    return found


def test_the_app_has_state_changing_routes_to_check(workspace: Workspace) -> None:
    # Guards the enumeration below against silently checking nothing.
    assert {("POST", "/signin"), ("POST", "/signout"), ("POST", "/setup")} <= set(
        _state_changing(workspace)
    )


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_state_change_refuses_a_missing_or_wrong_token(
    workspace: Workspace, token: str | None
) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user(f"csrf-{token}@example.com", "analyst"))
    pre_token(client)  # the pre-sign-in cookie is present too
    for method, path in _state_changing(workspace):
        data = {} if token is None else {"csrf_token": token}
        response = client.request(method, path, data=data, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.text)
        headers = {} if token is None else {"X-CSRF-Token": token}
        response = client.request(method, path, headers=headers)
        assert response.status_code == 403, (method, path)
    # Still signed in: no refused request changed anything.
    assert client.get("/api/accounts").status_code == 200


def test_the_right_token_from_another_origin_is_refused(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("origin@example.com", "analyst"))
    response = client.post(
        "/signout",
        data={"csrf_token": csrf_of(client)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    response = client.post(
        "/signout",
        data={"csrf_token": csrf_of(client)},
        headers={"Referer": "https://evil.example/page"},
    )
    assert response.status_code == 403
    assert client.get("/api/accounts").status_code == 200


def test_the_right_token_in_the_header_works(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("header@example.com", "analyst"))
    response = client.post(
        "/signout",
        headers={"X-CSRF-Token": csrf_of(client), "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/api/accounts").status_code == 401


def test_sign_in_without_the_form_token_is_refused(workspace: Workspace) -> None:
    email = workspace.add_user("presignin@example.com", "analyst")
    client = workspace.client()
    pre_token(client)
    response = client.post(
        "/signin",
        data={"csrf_token": "forged", "email": email, "password": "whatever"},
    )
    assert response.status_code == 403


def test_create_app_enumeration_matches_a_fresh_app(workspace: Workspace) -> None:
    # The routes checked above are those of any app the factory builds.
    fresh = create_app(
        workspace.app.state.kam.settings,
        store=workspace.store,
        engine=workspace.app.state.kam.engine,
    )
    assert _routes(fresh.routes) == _state_changing(workspace)
