"""schemathesis against the app's OpenAPI schema, in-process, signed in as an
analyst: no server error, every response as the schema says."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from kam.web.sessions import COOKIE
from tests.web.conftest import Workspace, sign_in


@pytest.fixture(scope="module")
def session_token(workspace: Workspace) -> str:
    client = workspace.client()
    sign_in(client, workspace.add_user("schema@example.com", "analyst"))
    token = client.cookies.get(COOKIE)
    assert token
    return str(token)


def test_every_api_operation_answers_within_its_schema(
    workspace: Workspace, session_token: str
) -> None:
    # Operations are walked here rather than through schemathesis' pytest plugin,
    # which does not run under pytest 9.
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", workspace.app, cookies={COOKIE: session_token}
    )
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    assert {op.path for op in operations} >= {"/api/accounts", "/api/analyses/{name}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(cookies={COOKIE: session_token})

        check()


def test_the_schema_is_refused_without_a_session(workspace: Workspace) -> None:
    assert workspace.client().get("/openapi.json").status_code == 401


def test_a_nul_in_a_filter_is_refused_not_a_server_error(
    workspace: Workspace, session_token: str
) -> None:
    client = workspace.client()
    client.cookies.set(COOKIE, session_token)
    assert client.get("/api/accounts?owner=%00").status_code == 422
    for path in ("/accounts?owner=%00", "/api/analyses/pareto?metric=%00"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert "control characters" in response.json()["error"]
