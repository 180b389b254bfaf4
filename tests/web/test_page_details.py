"""Page details: empty states, a refused parameter shown in place, the accounts list
by ABC class and sorted on the server, the ABC class history of an account."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from kam.config import Settings
from kam.store.repository import Store
from kam.users import create_user
from kam.web import create_app
from tests.web.conftest import BASE, PASSWORD, Workspace, sign_in


def _analyst(workspace: Workspace, email: str) -> TestClient:
    client = workspace.client()
    sign_in(client, workspace.add_user(email, "analyst"))
    return client


def test_an_empty_workspace_says_what_to_import(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kam.db'}"
    store = Store(url)
    store.upgrade()
    create_user(store.engine, "first@example.com", "admin", password=PASSWORD)
    app = create_app(Settings(database_url=url), store=store)
    try:
        client = TestClient(app, base_url=BASE)
        sign_in(client, "first@example.com")
        overview = client.get("/")
        assert overview.status_code == 200
        assert 'id="empty"' in overview.text
        assert "the Accounts sheet first" in overview.text
        listing = client.get("/accounts")
        assert 'id="empty"' in listing.text
        assert 'href="/import"' in listing.text
    finally:
        app.state.kam.engine.close()
        store.dispose()


def test_a_refused_parameter_reshows_the_form_with_the_message(
    workspace: Workspace,
) -> None:
    client = _analyst(workspace, "param@example.com")
    response = client.get("/tools/pareto?threshold=1.5")
    assert response.status_code == 400
    assert 'id="param-error"' in response.text
    assert "threshold" in response.text.split('id="param-error"', 1)[1][:300]
    # The form is there, holding the value as typed.
    assert 'name="threshold" value="1.5"' in response.text
    assert 'id="pareto-chart"' not in response.text


def test_the_accounts_list_filters_by_the_latest_abc_class(
    workspace: Workspace,
) -> None:
    client = _analyst(workspace, "abcfilter@example.com")
    rows = client.get("/api/analyses/abc").json()["rows"]
    periods = sorted({r["period"] for r in rows if r["period"] != "pooled"})
    wanted = {
        r["account_id"]
        for r in rows
        if r["period"] == periods[-1] and r["class"] == "A"
    }
    assert wanted
    html = client.get("/accounts?abc_class=A").text
    table = html.split('id="accounts"', 1)[1]
    assert set(re.findall(r'<a href="/accounts/([^"]+)">', table)) == wanted


def test_the_accounts_list_sorts_on_the_server(workspace: Workspace) -> None:
    client = _analyst(workspace, "sorter@example.com")
    names = [r["name"] for r in client.get("/api/accounts").json()]
    html = client.get("/accounts?sort=-name").text
    table = html.split('id="accounts"', 1)[1].split("<tbody>", 1)[1]
    shown = re.findall(r"</a></td><td>([^<]*)</td>", table)
    expected = sorted((n for n in names), key=str.casefold, reverse=True)
    assert shown == [n.replace("&", "&amp;").replace("'", "&#39;") for n in expected]


def test_the_account_page_shows_the_abc_class_per_period(workspace: Workspace) -> None:
    client = _analyst(workspace, "history@example.com")
    rows = client.get("/api/analyses/abc").json()["rows"]
    mine = {(r["period"], r["class"]) for r in rows if r["account_id"] == "A001"}
    html = client.get("/accounts/A001").text
    section = html.split('id="abc-history"', 1)[1].split("</section>", 1)[0]
    shown = set(re.findall(r"<tr><td>([^<]+)</td><td>([ABC])</td>", section))
    assert shown == mine
    assert mine
