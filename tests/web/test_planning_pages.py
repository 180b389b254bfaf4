"""The read-only planning pages per role: plan, charter, timeline, divisions, RACI.

Expected numbers are worked out from the demo's own rows (Tasks, Coverage,
Responsibilities), not from the analyses' output.
"""

from __future__ import annotations

import contextlib
import json
import re
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import FLAGSHIP_KAM
from kam.errors import ConflictError
from tests.web.conftest import Workspace, member_email, readable_oracle, rows, sign_in

PAGES = ("plan", "timeline", "divisions", "raci")
ROLES = ("viewer", "kam", "analyst", "executive", "admin")


def _user(workspace: Workspace, role: str) -> str:
    """A user of ``role`` who may read the flagship (the workspace is shared)."""
    portfolio = workspace.portfolio
    if role == "kam":
        email = member_email(portfolio, FLAGSHIP_KAM)
    elif role == "viewer":
        # Another member of the flagship's team, signed up as a viewer.
        team = [
            r["member_id"]
            for r in rows(portfolio, "AccountTeam")
            if r["account_id"] == FLAGSHIP_ID and r["member_id"] != FLAGSHIP_KAM
        ]
        email = member_email(portfolio, str(team[0]))
    else:
        email = f"planning-{role}@example.org"
    with contextlib.suppress(ConflictError):
        workspace.add_user(email, role)
    if role in ("kam", "viewer"):
        assert FLAGSHIP_ID in readable_oracle(portfolio, email)
    return email


def _client(workspace: Workspace, role: str) -> TestClient:
    client = workspace.client()
    sign_in(client, _user(workspace, role))
    return client


def _table(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def _figure(html: str, figure_id: str) -> dict[str, object]:
    text = html.split(f'id="{figure_id}">', 1)[1].split("</script>", 1)[0]
    figure: dict[str, object] = json.loads(text)
    return figure


@pytest.mark.parametrize("role", ROLES)
def test_every_role_that_reads_the_flagship_sees_its_planning_pages(
    workspace: Workspace, role: str
) -> None:
    client = _client(workspace, role)
    for name in PAGES:
        response = client.get(f"/accounts/{FLAGSHIP_ID}/{name}")
        assert response.status_code == 200, (name, response.text[:300])
        assert 'id="missing"' not in response.text
    for name in ("charter", "timeline", "raci"):
        assert client.get(f"/programme/{name}").status_code == 200


def test_a_kam_of_another_account_gets_404_on_every_planning_page(
    workspace: Workspace,
) -> None:
    portfolio = workspace.portfolio
    other = next(
        m
        for m in ("M02", "M03", "M04")
        if FLAGSHIP_ID not in readable_oracle(portfolio, member_email(portfolio, m))
    )
    email = member_email(portfolio, other)
    with contextlib.suppress(ConflictError):
        workspace.add_user(email, "kam")
    client = workspace.client()
    sign_in(client, email)
    for name in PAGES:
        assert client.get(f"/accounts/{FLAGSHIP_ID}/{name}").status_code == 404
    # The programme's pages are everyone's.
    assert client.get("/programme/charter").status_code == 200


def test_an_unknown_account_is_404_and_an_account_without_a_plan_says_so(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "admin")
    assert client.get("/accounts/NO-SUCH/plan").status_code == 404
    planned = {str(r["account_id"]) for r in rows(workspace.portfolio, "Charter")}
    other = next(
        str(r["account_id"])
        for r in rows(workspace.portfolio, "Accounts")
        if r["account_id"] not in planned
    )
    response = client.get(f"/accounts/{other}/plan")
    assert response.status_code == 200
    assert 'id="missing"' in response.text
    assert "Charter sheet has no rows" in response.text


def test_the_timeline_marks_the_critical_path_floats_and_milestones(
    workspace: Workspace,
) -> None:
    html = _client(workspace, "kam").get(f"/accounts/{FLAGSHIP_ID}/timeline").text
    tasks = {
        str(r["task_id"]): r
        for r in rows(workspace.portfolio, "Tasks")
        if r["account_id"] == FLAGSHIP_ID
    }
    # By hand from the demo network, counted from MIG06 (day X): wave 1 starts at X,
    # wave 2 at X+10 (SS+10) and ends X+50, wave 3 at X+52 (FS+2), ends X+97.
    # The EHR branch: build X..X+60, testing ends X+65 (FF+5), hypercare ends X+80:
    # MIG14 waits for wave 3, so the EHR build may slip 97 − 80 = 17 days.
    table = _table(html, "tasks")
    row_of = {
        tid: table.split(f'data-edit="task:{tid}"', 1)[1].split("</tr>", 1)[0]
        for tid in tasks
    }
    assert 'data-edit="task:MIG09" class="critical"' in table
    assert 'data-edit="task:MIG10" class="critical"' not in table
    assert '<td class="num total-float">17</td>' in row_of["MIG10"]
    # MIG05 ends 25 days after MIG03 starts; MIG06 waits for MIG04 (FF, at 40): 15.
    assert '<td class="num total-float">15</td>' in row_of["MIG05"]
    critical = html.split('id="critical-path"', 1)[1].split("</p>", 1)[0]
    assert str(tasks["MIG09"]["name"]) in critical
    assert str(tasks["MIG10"]["name"]) not in critical
    figure = _figure(html, "gantt-figure")
    data = figure["data"]
    assert isinstance(data, list)
    by_name = {t["name"]: t for t in data}
    stones = [tid for tid, r in tasks.items() if r["duration_days"] == 0]
    assert len(stones) == 4
    assert len(by_name["milestone"]["y"]) == len(stones)
    assert by_name["milestone"]["marker"]["symbol"] == "diamond"
    assert any("MIG09" in y for y in by_name["critical path"]["y"])
    assert not any("MIG10" in y for y in by_name["critical path"]["y"])
    baselined = [
        tid for tid, r in tasks.items() if r["baseline_finish"] and r["duration_days"]
    ]
    assert len(by_name["baseline"]["y"]) == len(baselined)
    layout = figure["layout"]
    assert isinstance(layout, dict)
    assert any(
        s["type"] == "line" and s.get("line", {}).get("dash") == "dash"
        for s in layout["shapes"]
    )


def test_a_long_timeline_shows_its_first_tasks_and_links_to_every_task(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "kam")
    tasks = {
        str(r["task_id"])
        for r in rows(workspace.portfolio, "Tasks")
        if r["account_id"] == FLAGSHIP_ID
    }
    assert len(tasks) > 3

    def shown(html: str) -> list[str]:
        return re.findall(r'<tr data-edit="task:([^"]+)"', _table(html, "tasks"))

    def charted(html: str) -> list[str]:
        layout = _figure(html, "gantt-figure")["layout"]
        assert isinstance(layout, dict)
        return [str(y).split(" ", 1)[0] for y in layout["yaxis"]["categoryarray"]]

    every = client.get(f"/accounts/{FLAGSHIP_ID}/timeline?rows=all").text
    assert sorted(shown(every)) == sorted(tasks)
    assert sorted(charted(every)) == sorted(tasks)
    assert "Show all" not in every

    first = client.get(f"/accounts/{FLAGSHIP_ID}/timeline?rows=3").text
    # The first three lines of the full table, in the table and in the chart.
    assert shown(first) == shown(every)[:3]
    assert charted(first) == shown(every)[:3]
    assert f"The first 3 of {len(tasks)} lines." in first
    link = re.search(r'<a href="([^"]+)">Show all</a>', first)
    assert link is not None
    assert "rows=all" in link.group(1)
    # The headline still speaks of the whole plan.
    assert f"{len(tasks)} tasks from" in first


def test_the_division_map_colours_the_grid_and_ranks_the_biggest_gap(
    workspace: Workspace,
) -> None:
    html = _client(workspace, "viewer").get(f"/accounts/{FLAGSHIP_ID}/divisions").text
    units = {
        str(r["unit_id"])
        for r in rows(workspace.portfolio, "Units")
        if r["account_id"] == FLAGSHIP_ID
    }
    cells = [r for r in rows(workspace.portfolio, "Coverage") if r["unit_id"] in units]
    grid = _table(html, "grid")
    owned = sum(r["status"] == "owned" for r in cells)
    assert grid.count('data-status="owned"') == owned
    assert grid.count('data-status="competitor"') == sum(
        r["status"] == "competitor" for r in cells
    )
    gaps = [r for r in cells if r["status"] in ("whitespace", "competitor")]
    biggest = max(
        gaps,
        key=lambda r: (
            Decimal(str(r["potential_revenue"]))
            - Decimal(str(r["current_revenue"] or 0))
        ),
    )
    value = Decimal(str(biggest["potential_revenue"])) - Decimal(
        str(biggest["current_revenue"] or 0)
    )
    gap_table = _table(html, "gaps")
    assert gap_table.count("<tr data-edit=") == len(gaps)
    assert f"{value:,.2f}" in gap_table
    total = sum(
        (
            Decimal(str(r["potential_revenue"]))
            - Decimal(str(r["current_revenue"] or 0))
            for r in gaps
        ),
        Decimal(0),
    )
    assert f'<strong id="whitespace">{total:,.2f}</strong>' in html
    treemap = _figure(html, "treemap-figure")["data"]
    assert isinstance(treemap, list)
    assert treemap[0]["type"] == "treemap"
    assert set(treemap[0]["ids"]) == units


def test_the_raci_page_colours_codes_and_counts_workload(workspace: Workspace) -> None:
    html = _client(workspace, "analyst").get(f"/accounts/{FLAGSHIP_ID}/raci").text
    mine = [
        r
        for r in rows(workspace.portfolio, "Responsibilities")
        if r["account_id"] == FLAGSHIP_ID and r["code"]
    ]
    matrix = _table(html, "raci")
    assert re.search(
        r'data-edit="cell:Account plan/KAM" data-code="A/R" style="background: #1f6f8b',
        matrix,
    )
    assert matrix.count('data-code="A/R"') == sum(r["code"] == "A/R" for r in mine)
    # Workload: R, A and A/R count 1, C 0.5, I 0.
    weight = {"R": 1.0, "A": 1.0, "A/R": 1.0, "C": 0.5, "I": 0.0}
    load = sum(weight[str(r["code"])] for r in mine if r["role"] == "KAM")
    workload = _table(html, "workload")
    kam_row = workload.split("<td>KAM</td>", 1)[1].split("</tr>", 1)[0]
    assert f'<td class="num load">{load}</td>' in kam_row


def test_the_plan_and_charter_show_sections_objectives_and_staleness(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "executive")
    html = client.get(f"/accounts/{FLAGSHIP_ID}/plan").text
    objectives = [
        r
        for r in rows(workspace.portfolio, "Objectives")
        if r["account_id"] == FLAGSHIP_ID
    ]
    table = _table(html, "objectives")
    for o in objectives:
        assert f'data-edit="objective:{o["objective_id"]}"' in table
    summary = next(
        r
        for r in rows(workspace.portfolio, "Charter")
        if r["account_id"] == FLAGSHIP_ID and r["section"] == "summary"
    )
    assert str(summary["value"]).split("\n")[0][:40] in html
    # Revenue actual of the last complete year, from the Revenue sheet.
    revenue = sum(
        Decimal(str(r["amount"]))
        for r in rows(workspace.portfolio, "Revenue")
        if r["account_id"] == FLAGSHIP_ID and str(r["period"]).startswith("2025")
    )
    assert f"{revenue:,.2f}" in _table(html, "history")
    charter = client.get("/programme/charter").text
    # The demo reviewed "resources" on 2026-05-04, over 90 days before the as-of
    # date: its row is stale, the purpose (reviewed 2026-09-21) is not.
    assert 'id="section-resources" data-edit="section:resources" class="stale"' in (
        charter
    )
    assert 'id="section-purpose" data-edit="section:purpose">' in charter


def test_the_navigation_and_the_account_page_link_to_the_plans(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "kam")
    html = client.get(f"/accounts/{FLAGSHIP_ID}").text
    assert f'href="/accounts/{FLAGSHIP_ID}/plan"' in html
    assert 'href="/programme/charter"' in html
