"""Editing the planning pages: charter fields with history and diff, objectives,
timeline tasks, division-map cells and RACI cells, per role, with conflicts.

The workspace is this module's own (the edits change the data). Expected results
are worked out by hand from the demo's rows (kam.demo.timeline, kam.demo.divisions,
kam.demo.charter) in the comments of each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import ADDON, FLAGSHIP_KAM
from kam.store.auth_tables import audit
from kam.web.planning_forms import line_diff, timeline_problems
from tests.web.conftest import Workspace, csrf_of, member_email, rows
from tests.web.test_stakeholder_edit import (
    _other_kam_email,
    _team_viewer_email,
    edit_workspace,
    signed_in,
)

BASE = f"/accounts/{FLAGSHIP_ID}"
EDIT = f"{BASE}/edit"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from edit_workspace(tmp_path_factory, "plan-edit")


_client = signed_in


def _owner(w: Workspace) -> TestClient:
    return _client(w, member_email(w.portfolio, FLAGSHIP_KAM))


def _admin(w: Workspace) -> TestClient:
    return _client(w, "admin@example.org")


def _version(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    found = re.search(r'name="version" value="([0-9a-f]*)"', page.text)
    assert found is not None
    return found.group(1)


def _post(client: TestClient, url: str, data: dict[str, str]) -> object:
    return client.post(
        url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False
    )


def _last_audit(w: Workspace) -> tuple[str, str, dict[str, object]]:
    with w.store.engine.connect() as conn:
        action, target, detail = conn.execute(
            sa.select(audit.c.action, audit.c.target, audit.c.detail)
            .order_by(audit.c.id.desc())
            .limit(1)
        ).one()
    return str(action), str(target), dict(detail)


# -- access --------------------------------------------------------------------

TASK_FORM = f"{EDIT}/task?task_id=MIG10"


def test_who_may_open_the_editors(ws: Workspace) -> None:
    assert _owner(ws).get(TASK_FORM).status_code == 200
    assert _admin(ws).get(TASK_FORM).status_code == 200
    assert _client(ws, "analyst@example.org").get(TASK_FORM).status_code == 200
    assert _client(ws, "exec@example.org").get(TASK_FORM).status_code == 403
    assert _client(ws, _team_viewer_email(ws)).get(TASK_FORM).status_code == 403
    assert _client(ws, _other_kam_email(ws)).get(TASK_FORM).status_code == 404
    # The programme's plan is portfolio data: admins and analysts only.
    programme = "/programme/edit/field?section=purpose&field=statement"
    assert _admin(ws).get(programme).status_code == 200
    assert _owner(ws).get(programme).status_code == 403
    # A task of the programme is not on the flagship's plan.
    assert _owner(ws).get(f"{EDIT}/task?task_id=PRG01").status_code == 404


def test_the_pages_link_to_the_editors_only_for_editors(ws: Workspace) -> None:
    owner = _owner(ws).get(f"{BASE}/timeline").text
    assert f'href="{EDIT}/task?task_id=MIG10"' in owner
    assert 'id="add-task"' in owner
    executive = _client(ws, "exec@example.org").get(f"{BASE}/timeline").text
    assert "edit-link" not in executive
    # A KAM does not edit the programme charter: no links there.
    assert "edit-link" not in _owner(ws).get("/programme/charter").text
    assert "edit-link" in _admin(ws).get("/programme/charter").text


def test_readers_who_may_not_edit_cannot_post(ws: Workspace) -> None:
    before = ws.store.data_version()
    task = {"task_id": "X1", "name": "X", "duration_days": "1"}
    executive = _client(ws, "exec@example.org")
    assert _post(executive, f"{EDIT}/task/save", task).status_code == 403  # type: ignore[attr-defined]
    other = _client(ws, _other_kam_email(ws))
    assert _post(other, f"{EDIT}/task/save", task).status_code == 404  # type: ignore[attr-defined]
    kam = _owner(ws)
    assert _post(kam, "/programme/edit/task/save", task).status_code == 403  # type: ignore[attr-defined]
    # Without the CSRF token nothing is posted either.
    assert kam.post(f"{EDIT}/task/save", data=task).status_code == 403
    assert ws.store.data_version() == before


# -- charter fields: history and diff ------------------------------------------------

HEADLINE = {"section": "summary", "field": "headline"}


def test_a_plan_field_edited_twice_has_a_history_and_a_line_diff(
    ws: Workspace,
) -> None:
    kam, admin = _owner(ws), _admin(ws)
    url = f"{EDIT}/field?{urlencode(HEADLINE)}"
    first = "Win the migration\nLine two\nKeep this"
    second = "Win the migration\nLine 2 changed\nKeep this\nLine four"
    common = {**HEADLINE, "owner": "M01", "reviewed_on": "2026-11-02"}
    done = _post(
        kam,
        f"{EDIT}/field/save",
        {**common, "value": first, "version": _version(kam, url)},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    action, target, detail = _last_audit(ws)
    assert (action, target) == (
        "edit.update",
        f"Charter ({FLAGSHIP_ID}, summary, headline)",
    )
    assert detail["after"]["value"] == first  # type: ignore[index]
    assert detail["after"]["reviewed_on"] == "2026-11-02"  # type: ignore[index]
    assert str(detail["before"]["value"]).startswith("Win the full cloud migration")  # type: ignore[index]
    done = _post(
        admin,
        f"{EDIT}/field/save",
        {**common, "value": second, "version": _version(admin, url)},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    # The plan page shows the text with its line breaks kept.
    plan = kam.get(f"{BASE}/plan").text
    assert "Line 2 changed\nKeep this\nLine four" in plan
    history = kam.get(f"{EDIT}/field/history?{urlencode(HEADLINE)}")
    assert history.status_code == 200
    html = history.text
    # Versions: 0 as imported, 1 the KAM's, 2 the admin's; who: the user's name,
    # else their e-mail (these users were created without a name).
    assert re.findall(r'<td class="who">([^<]*)</td>', html) == [
        "",
        member_email(ws.portfolio, FLAGSHIP_KAM),
        "admin@example.org",
    ]
    diff = html.split('id="diff"', 1)[1].split("</pre>", 1)[0]
    lines = re.findall(r'<span class="(\w+)">(.) ([^<]*)</span>', diff)
    # By hand: line 1 kept, "Line two" replaced by "Line 2 changed", "Keep this"
    # kept, "Line four" added.
    assert lines == [
        ("same", " ", "Win the migration"),
        ("removed", "-", "Line two"),
        ("added", "+", "Line 2 changed"),
        ("same", " ", "Keep this"),
        ("added", "+", "Line four"),
    ]
    # Version 0 against version 2: the imported headline goes, every new line comes.
    older = kam.get(
        f"{EDIT}/field/history?{urlencode({**HEADLINE, 'a': 0, 'b': 2})}"
    ).text
    marks = re.findall(r'<span class="(\w+)">', older.split('id="diff"', 1)[1])
    assert marks == ["removed", "added", "added", "added", "added"]


def test_line_diff_marks_removed_and_added_lines() -> None:
    assert line_diff("a\nb", "a\nc") == [(" ", "a"), ("-", "b"), ("+", "c")]


def test_a_stale_field_edit_shows_the_stored_value(ws: Workspace) -> None:
    kam, admin = _owner(ws), _admin(ws)
    key = {"section": "swot", "field": "threats"}
    url = f"{EDIT}/field?{urlencode(key)}"
    seen = _version(kam, url)
    assert (
        _post(
            admin,
            f"{EDIT}/field/save",
            {**key, "value": "Stored by the admin", "version": seen},
        ).status_code
        == 303
    )  # type: ignore[attr-defined]
    stale = _post(
        kam, f"{EDIT}/field/save", {**key, "value": "Typed by the KAM", "version": seen}
    )
    assert stale.status_code == 409  # type: ignore[attr-defined]
    html = stale.text  # type: ignore[attr-defined]
    assert 'data-column="value">Stored by the admin<' in html
    assert ">Typed by the KAM</textarea>" in html


def test_a_bad_review_date_comes_back_as_typed(ws: Workspace) -> None:
    kam = _owner(ws)
    key = {"section": "swot", "field": "strengths"}
    seen = _version(kam, f"{EDIT}/field?{urlencode(key)}")
    refused = _post(
        kam,
        f"{EDIT}/field/save",
        {**key, "value": "x", "reviewed_on": "31/02/2026", "version": seen},
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert 'value="31/02/2026"' in refused.text  # type: ignore[attr-defined]
    assert 'data-column="reviewed_on"' in refused.text  # type: ignore[attr-defined]


def test_objectives_are_added_changed_and_deleted(ws: Workspace) -> None:
    kam = _owner(ws)
    added = _post(
        kam,
        f"{EDIT}/objective/save",
        {
            "objective_id": "OBJ-T1",
            "objective": "Land the research institute",
            "metric": "ARR",
            "target": "250000",
            "status": "open",
            "version": "",
        },
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    action, _, detail = _last_audit(ws)
    assert action == "edit.add"
    assert detail["after"]["account_id"] == FLAGSHIP_ID  # type: ignore[index]
    assert detail["after"]["target"] == 250000  # type: ignore[index]
    plan = kam.get(f"{BASE}/plan").text
    assert 'data-edit="objective:OBJ-T1"' in plan
    url = f"{EDIT}/objective?objective_id=OBJ-T1"
    bad = _post(
        kam,
        f"{EDIT}/objective/save",
        {
            "objective_id": "OBJ-T1",
            "objective": "Land it",
            "status": "someday",
            "version": _version(kam, url),
        },
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "someday" in bad.text  # type: ignore[attr-defined]
    gone = _post(
        kam,
        f"{EDIT}/objective/delete",
        {"objective_id": "OBJ-T1", "version": _version(kam, url)},
    )
    assert gone.status_code == 303  # type: ignore[attr-defined]
    assert 'data-edit="objective:OBJ-T1"' not in kam.get(f"{BASE}/plan").text


# -- the timeline ------------------------------------------------------------------


def _critical(html: str) -> set[str]:
    return set(re.findall(r'<tr data-edit="task:(\w+)" class="critical">', html))


def _float(html: str, task: str) -> int:
    row = html.split(f'data-edit="task:{task}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(r'class="num total-float">(-?\d+)<', row)
    assert found is not None
    return int(found.group(1))


def test_a_predecessor_added_in_the_editor_moves_the_critical_path(
    ws: Workspace,
) -> None:
    # The migration network in working days from MIG01's start (finish exclusive):
    # MIG01 0–30, MIG02 30, MIG03 30–60, MIG04 (SS+5) 35–70, MIG05 (SS+10) 40–55,
    # MIG06 = max(60, FF of MIG04 70, 55) = 70, MIG07 70–100, MIG08 (SS+10) 80–120,
    # MIG09 (FS+2) 122–167, MIG10 70–130, MIG11 (FF+5: finish 135) 110–135,
    # MIG12 135, MIG13 135–150, MIG14 = max(167, 150) = 167, MIG15 167–182,
    # MIG16 (SS+5) 172–192. Critical: the data-migration chain; the EHR chain
    # (MIG10–MIG13) has 167 − 150 = 17 days of float, MIG05 has 70 − 55 = 15.
    kam = _owner(ws)
    before = kam.get(f"{BASE}/timeline").text
    chain = {f"MIG{i:02d}" for i in (1, 2, 3, 4, 6, 7, 8, 9, 14, 15, 16)}
    assert _critical(before) == chain
    assert _float(before, "MIG10") == 17
    # MIG10 now also waits for wave 1: MIG10 100–160, MIG11 (finish ≥ 165)
    # 140–165, MIG12 165, MIG13 165–180, MIG14 = max(167, 180) = 180, MIG15
    # 180–195, MIG16 185–205. The EHR chain becomes critical; waves 2 and 3 get
    # 180 − 167 = 13 days of float.
    url = f"{EDIT}/task?task_id=MIG10"
    page = kam.get(url).text
    assert 'value="MIG06"' in page
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    data = {
        k: fields.get(k, "")
        for k in (
            "name",
            "phase",
            "owner",
            "start",
            "duration_days",
            "percent_complete",
            "baseline_finish",
        )
    }
    done = _post(
        kam,
        f"{EDIT}/task/save",
        {
            **data,
            "task_id": "MIG10",
            "predecessors": "MIG06; MIG07",
            "version": fields["version"],
        },
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == f"{BASE}/timeline"  # type: ignore[attr-defined]
    after = kam.get(f"{BASE}/timeline").text
    assert _critical(after) == {
        f"MIG{i:02d}" for i in (1, 2, 3, 4, 6, 7, 10, 11, 12, 13, 14, 15, 16)
    }
    assert _float(after, "MIG09") == 13
    assert _float(after, "MIG08") == 13
    action, target, detail = _last_audit(ws)
    assert (action, target) == ("edit.update", "Tasks MIG10")
    assert (detail["before"]["predecessors"], detail["after"]["predecessors"]) == (
        "MIG06",
        "MIG06; MIG07",
    )  # type: ignore[index]


def test_the_timeline_refuses_a_cycle_before_anything_is_written(ws: Workspace) -> None:
    kam = _owner(ws)
    before = ws.store.data_version()
    url = f"{EDIT}/task?task_id=MIG01"
    page = kam.get(url).text
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    data = {
        k: fields.get(k, "")
        for k in (
            "name",
            "phase",
            "owner",
            "start",
            "duration_days",
            "percent_complete",
            "baseline_finish",
        )
    }
    # MIG01 after MIG02, which follows MIG01: a cycle of two.
    refused = _post(
        kam,
        f"{EDIT}/task/save",
        {
            **data,
            "task_id": "MIG01",
            "predecessors": "MIG02",
            "version": fields["version"],
        },
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert "these tasks depend on each other in a cycle: MIG01 → MIG02 → MIG01" in html
    assert 'value="MIG02"' in html
    # A task of another plan (the programme's) is no predecessor on this timeline,
    # though the edit service knows it.
    refused = _post(
        kam,
        f"{EDIT}/task/save",
        {
            **data,
            "task_id": "MIG01",
            "predecessors": "PRG01",
            "version": fields["version"],
        },
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "predecessor &#39;PRG01&#39; is not a task" in refused.text  # type: ignore[attr-defined]
    # Deleting MIG15 would leave MIG16 naming it.
    refused = _post(
        kam,
        f"{EDIT}/task/delete",
        {"task_id": "MIG15", "version": _version(kam, f"{EDIT}/task?task_id=MIG15")},
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "task MIG16: predecessor &#39;MIG15&#39; is not a task" in refused.text  # type: ignore[attr-defined]
    assert ws.store.data_version() == before


def test_timeline_problems_on_a_small_network() -> None:
    tasks: list[dict[str, object]] = [
        {"task_id": "A", "duration_days": 1, "predecessors": None},
        {"task_id": "B", "duration_days": 1, "predecessors": "A"},
        {"task_id": "C", "duration_days": 1, "predecessors": "B SS+1"},
    ]
    assert (
        timeline_problems(tasks, "C", {"duration_days": "2", "predecessors": "A; B"})
        == []
    )
    [cycle] = timeline_problems(
        tasks, "A", {"duration_days": "1", "predecessors": "C FF"}
    )
    assert "A → B → C → A" in cycle.message
    [unknown] = timeline_problems(tasks, "B", None)
    assert unknown.message == "task C: predecessor 'B' is not a task"


def test_a_task_is_added_with_the_service_checks(ws: Workspace) -> None:
    kam = _owner(ws)
    bad = _post(
        kam,
        f"{EDIT}/task/save",
        {"task_id": "MIG90", "name": "", "duration_days": "-2", "version": ""},
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert 'data-column="duration_days"' in bad.text  # type: ignore[attr-defined]
    assert 'data-column="name"' in bad.text  # type: ignore[attr-defined]
    ok = _post(
        kam,
        f"{EDIT}/task/save",
        {
            "task_id": "MIG90",
            "name": "Lessons learnt",
            "duration_days": "2",
            "predecessors": "MIG16",
            "version": "",
        },
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    assert 'data-edit="task:MIG90"' in kam.get(f"{BASE}/timeline").text


# -- the division map ----------------------------------------------------------------


def _whitespace(html: str) -> Decimal:
    found = re.search(r'<strong id="whitespace">([^<]+)</strong>', html)
    assert found is not None
    return Decimal(
        found.group(1).replace(",", "").replace("\u202f", "").replace(" ", "")
    )


def _first_gap(html: str) -> tuple[str, str]:
    table = html.split('id="gaps"', 1)[1]
    found = re.search(
        r'<tr data-edit="cell:([^/"]+)/([^"]+)"><td class="num">1</td>', table
    )
    assert found is not None
    return found.group(1), found.group(2)


def test_a_coverage_cell_edit_moves_the_whitespace_and_the_gap_ranking(
    ws: Workspace,
) -> None:
    # Whitespace by hand (potential − current of the whitespace and competitor
    # cells, kam.demo.divisions with seed 7): 801,817 + 534,545 + 1,496,725 +
    # 336,764 + 270,000 + 534,545 + 288,655 + 216,000 + 144,328 + 427,636
    # = 5,051,015. First gap: Silverfen (OV-U05) × Enterprise, 1,496,725 ×
    # propensity 1 (both other sites own Enterprise).
    coverage = {(r["unit_id"], r["product"]): r for r in rows(ws.portfolio, "Coverage")}
    assert coverage[("OV-U09", "Enterprise")]["potential_revenue"] == Decimal(
        "427636.00"
    )
    kam = _owner(ws)
    before = kam.get(f"{BASE}/divisions").text
    assert _whitespace(before) == Decimal("5051015")
    assert _first_gap(before) == ("OV-U05", "Enterprise")
    key = {"unit_id": "OV-U09", "product": "Enterprise"}
    url = f"{EDIT}/cell?{urlencode(key)}"
    done = _post(
        kam,
        f"{EDIT}/cell/save",
        {
            **key,
            "status": "whitespace",
            "current_revenue": "0",
            "potential_revenue": "2000000",
            "owner": "M01",
            "version": _version(kam, url),
        },
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    # 5,051,015 − 427,636 + 2,000,000 = 6,623,379; Clinics South × Enterprise
    # scores 2,000,000 × 1 (the other region, OV-U08, owns it) > 1,496,725.
    after = kam.get(f"{BASE}/divisions").text
    assert _whitespace(after) == Decimal("6623379")
    assert _first_gap(after) == ("OV-U09", "Enterprise")
    # A cell without a row (the clinics' parent region OV-U07) is added.
    new = {"unit_id": "OV-U07", "product": ADDON}
    form = kam.get(f"{EDIT}/cell?{urlencode(new)}").text
    assert 'name="version" value=""' in form
    added = _post(
        kam,
        f"{EDIT}/cell/save",
        {
            **new,
            "status": "whitespace",
            "current_revenue": "0",
            "potential_revenue": "100000",
            "version": "",
        },
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    assert _whitespace(kam.get(f"{BASE}/divisions").text) == Decimal("6723379")
    # A probability above 1 is refused in place.
    refused = _post(
        kam,
        f"{EDIT}/cell/save",
        {
            **key,
            "status": "pipeline",
            "potential_revenue": "10",
            "probability": "1.5",
            "version": _version(kam, url),
        },
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert 'value="1.5"' in refused.text  # type: ignore[attr-defined]


def test_a_cell_of_another_accounts_unit_is_not_found(ws: Workspace) -> None:
    admin = _admin(ws)
    other = next(
        a for a in rows(ws.portfolio, "Accounts") if a["account_id"] != FLAGSHIP_ID
    )
    url = f"/accounts/{other['account_id']}/edit/cell/save"
    refused = _post(
        admin,
        url,
        {
            "unit_id": "OV-U09",
            "product": "Enterprise",
            "status": "owned",
            "version": "",
        },
    )
    assert refused.status_code == 404  # type: ignore[attr-defined]


# -- RACI --------------------------------------------------------------------------


def _raci_row(html: str, activity: str) -> str:
    table = html.split('id="raci"', 1)[1].split("</table>", 1)[0]
    return table.split(f'data-edit="activity:{activity}"', 1)[1].split("</tr>", 1)[0]


def test_removing_the_only_a_shows_the_problem_on_the_row(ws: Workspace) -> None:
    # "Migration business case": KAM R, Sales director A, Solution architect R,
    # Executive sponsor C (kam.demo.charter). The sales director's A becomes C:
    # no accountable role left.
    kam = _owner(ws)
    activity = "Migration business case"
    before = _raci_row(kam.get(f"{BASE}/raci").text, activity)
    assert "accountable roles" not in before
    key = {"activity": activity, "role": "Sales director"}
    url = f"{EDIT}/raci?{urlencode(key)}"
    bad = _post(
        kam, f"{EDIT}/raci/save", {**key, "code": "A, C", "version": _version(kam, url)}
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "&#39;A, C&#39; is not one of R, A, C, I, A/R" in bad.text  # type: ignore[attr-defined]
    done = _post(
        kam, f"{EDIT}/raci/save", {**key, "code": "c", "version": _version(kam, url)}
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    action, target, detail = _last_audit(ws)
    assert (action, target) == (
        "edit.update",
        f"Responsibilities ({FLAGSHIP_ID}, {activity}, Sales director)",
    )
    assert (detail["before"]["code"], detail["after"]["code"]) == ("A", "C")  # type: ignore[index]
    html = kam.get(f"{BASE}/raci").text
    row = _raci_row(html, activity)
    assert html.split(f'data-edit="activity:{activity}"', 1)[1].startswith(
        ' class="has-error"'
    )
    assert (
        f"&#39;{activity}&#39; has 0 accountable roles; "
        "exactly one A (or A/R) is needed" in row
    )
    # A blank code removes the cell; a new role is added as a cell.
    removed = _post(
        kam, f"{EDIT}/raci/save", {**key, "code": "", "version": _version(kam, url)}
    )
    assert removed.status_code == 303  # type: ignore[attr-defined]
    assert (
        'data-code=""'
        in _raci_row(kam.get(f"{BASE}/raci").text, activity).split(
            'data-edit="cell:Migration business case/Sales director"', 1
        )[1][:20]
    )
    added = _post(
        kam,
        f"{EDIT}/raci/save",
        {"activity": activity, "role": "Procurement lead", "code": "A", "version": ""},
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    row = _raci_row(kam.get(f"{BASE}/raci").text, activity)
    assert "accountable roles" not in row


def test_an_admin_edits_the_programme_charter_and_its_history(ws: Workspace) -> None:
    # The programme charter is the Charter rows with a blank account.
    admin = _admin(ws)
    key = {"section": "approval", "field": "next_review"}
    url = f"/programme/edit/field?{urlencode(key)}"
    seen = _version(admin, url)
    done = _post(
        admin,
        "/programme/edit/field/save",
        {**key, "value": "March 2027 steering group", "owner": "M09", "version": seen},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/programme/charter"  # type: ignore[attr-defined]
    action, target, detail = _last_audit(ws)
    assert (action, target) == ("edit.update", "Charter (None, approval, next_review)")
    assert detail["key"] == {"account_id": None, **key}
    assert "March 2027 steering group" in admin.get("/programme/charter").text
    html = admin.get(f"/programme/edit/field/history?{urlencode(key)}").text
    diff = html.split('id="diff"', 1)[1].split("</pre>", 1)[0]
    assert re.findall(r'<span class="(\w+)">(.) ([^<]*)</span>', diff) == [
        ("removed", "-", "January 2027 steering group"),
        ("added", "+", "March 2027 steering group"),
    ]
    # The flagship's plan has no such field: its history is empty.
    flagship = admin.get(f"{EDIT}/field/history?{urlencode(key)}").text
    assert 'id="versions"' not in flagship


def test_the_first_task_of_an_empty_timeline_is_added_from_the_page(
    ws: Workspace,
) -> None:
    # Only the flagship (A001) and the programme have tasks in the demo.
    admin = _admin(ws)
    empty = admin.get("/accounts/A002/timeline").text
    assert 'id="missing"' in empty
    assert 'href="/accounts/A002/edit/task" id="add-task"' in empty
    assert 'id="add-field"' in admin.get("/accounts/A002/plan").text
    done = _post(
        admin,
        "/accounts/A002/edit/task/save",
        {"task_id": "B01", "name": "Kick-off", "duration_days": "3", "version": ""},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    timeline = admin.get("/accounts/A002/timeline").text
    assert 'data-edit="task:B01" class="critical"' in timeline
