"""What the pages keep between requests: table rows per result and row limit,
static files with a cache header."""

from __future__ import annotations

import re

from tests.web.conftest import Workspace, sign_in


def _ranked_ids(html: str) -> list[str]:
    body = html.split('<table id="ranked"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="num">\d+</td><td><a href="/accounts/([^"]+)"', body)


def test_pareto_rows_follow_the_row_limit_and_the_ranking(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("page-cache@example.com", "analyst"))
    ranked = [
        r["account_id"] for r in client.get("/api/analyses/pareto").json()["rows"]
    ]
    assert len(ranked) > 5
    five = client.get("/tools/pareto", params={"rows": "5"}).text
    every = client.get("/tools/pareto", params={"rows": "all"}).text
    again = client.get("/tools/pareto", params={"rows": "5"}).text
    # The same result at two limits: two different tables, each the ranking's head.
    assert _ranked_ids(five) == ranked[:5]
    assert _ranked_ids(every) == ranked
    assert _ranked_ids(again) == ranked[:5]


def test_static_files_carry_a_cache_header(workspace: Workspace) -> None:
    response = workspace.client().get("/static/kam.js")
    assert response.status_code == 200
    assert "max-age=3600" in response.headers["cache-control"]
