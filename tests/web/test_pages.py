"""Pages, errors and assets of the workspace."""

from __future__ import annotations

import re
from decimal import Decimal

import plotly

from tests.web.conftest import Workspace, member_email, readable_oracle, rows, sign_in


def test_the_overview_counts_a_kams_accounts(workspace: Workspace) -> None:
    email = member_email(workspace.portfolio, "M03")
    workspace.add_user(email, "kam")
    client = workspace.client()
    sign_in(client, email)
    expected = len(readable_oracle(workspace.portfolio, email))
    html = client.get("/").text
    assert f'id="account-count">{expected}<' in html


def test_the_account_page_sums_revenue_by_year(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("account-page@example.com", "analyst"))
    revenue = rows(workspace.portfolio, "Revenue")
    account_id = str(revenue[0]["account_id"])
    year = str(revenue[0]["period"])[:4]
    total = sum(
        (
            Decimal(str(r["amount"]))
            for r in revenue
            if r["account_id"] == account_id and str(r["period"]).startswith(year)
        ),
        Decimal("0"),
    )
    html = client.get(f"/accounts/{account_id}").text
    assert f'<td>{year}</td><td class="num">{total:,.2f}</td>' in html


def test_the_threshold_changes_the_pareto_headline(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("threshold@example.com", "analyst"))
    low = client.get("/api/analyses/pareto", params={"threshold": "0.5"}).json()
    high = client.get("/api/analyses/pareto", params={"threshold": "0.9"}).json()
    assert low["summary"]["k"] < high["summary"]["k"]
    page = client.get("/tools/pareto", params={"threshold": "0.5"}).text
    assert low["summary"]["headline"] in page
    assert 'name="threshold" value="0.5"' in page


def test_the_abc_page_draws_classes_migration_and_downgrades(
    workspace: Workspace,
) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("abc-page@example.com", "analyst"))
    result = client.get("/api/analyses/abc").json()
    html = client.get("/tools/abc").text
    assert result["summary"]["headline"] in html
    assert 'id="migration-figure"' in html
    for row in result["tables"]["downgrades"][:3]:
        assert f'/accounts/{row["account_id"]}"' in html


def test_kam_errors_become_json_with_their_status(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("errors@example.com", "analyst"))
    missing = client.get("/api/analyses/nope")
    assert missing.status_code == 404
    assert "no analysis called 'nope'" in missing.json()["error"]
    bad = client.get("/api/analyses/pareto", params={"threshold": "2"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"error", "problems"}
    assert "threshold" in bad.json()["error"]
    page = client.get("/tools/pareto", params={"threshold": "2"})
    assert page.status_code == 400
    assert "threshold" in page.text


def test_plotly_comes_from_the_wheel_with_a_long_cache(workspace: Workspace) -> None:
    response = workspace.client().get(f"/static/plotly-{plotly.__version__}.min.js")
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"]
    assert len(response.content) > 1_000_000


def test_pages_load_plotly_locally_never_from_a_cdn(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("local-assets@example.com", "analyst"))
    html = client.get("/tools/pareto").text
    assert f'<script src="/static/plotly-{plotly.__version__}.min.js">' in html
    assert re.findall(r'<script src="([^"]+)"', html) == [
        f"/static/plotly-{plotly.__version__}.min.js",
        "/static/kam.js",
    ]
