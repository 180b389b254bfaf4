"""The division map's units editor: add, rename, re-parent and delete units per role,
through the edit service (references, tree rule, cascades, optimistic concurrency).

Expected figures come from the demo's Units and Coverage rows (kam.demo.divisions),
counted in the tests, not from the division map's output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import FLAGSHIP_KAM
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
    yield from edit_workspace(tmp_path_factory, "plan-units")


_client = signed_in


def _owner(w: Workspace) -> TestClient:
    return _client(w, member_email(w.portfolio, FLAGSHIP_KAM))


def _admin(w: Workspace) -> TestClient:
    return _client(w, "admin@example.org")


def _form(unit: str) -> str:
    return f"{EDIT}/unit?{urlencode({'unit_id': unit})}"


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


def _grid_units(html: str) -> list[str]:
    """The unit ids of the grid's rows, in page order."""
    grid = html.split('id="grid"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-edit="unit:([^"]+)"', grid)


def _headline_units(html: str) -> int:
    found = re.search(r'id="headline">(\d+) units', html)
    assert found is not None
    return int(found.group(1))


def _flagship_units(w: Workspace) -> dict[str, dict[str, object]]:
    return {
        str(r["unit_id"]): r
        for r in rows(w.portfolio, "Units")
        if r["account_id"] == FLAGSHIP_ID
    }


def test_who_may_open_and_post_the_units_editor(ws: Workspace) -> None:
    form = _form("OV-U05")
    assert _owner(ws).get(form).status_code == 200
    assert _admin(ws).get(form).status_code == 200
    assert _client(ws, "analyst@example.org").get(form).status_code == 200
    assert _client(ws, "exec@example.org").get(form).status_code == 403
    assert _client(ws, _team_viewer_email(ws)).get(form).status_code == 403
    assert _client(ws, _other_kam_email(ws)).get(form).status_code == 404
    # Units belong to accounts: the programme has no units editor.
    assert _admin(ws).get("/programme/edit/unit").status_code == 404
    before = ws.store.data_version()
    unit = {"unit_id": "X-U1", "name": "X", "version": ""}
    for refused, status in (
        (_client(ws, "exec@example.org"), 403),
        (_client(ws, _team_viewer_email(ws)), 403),
        (_client(ws, _other_kam_email(ws)), 404),
    ):
        assert _post(refused, f"{EDIT}/unit/save", unit).status_code == status  # type: ignore[attr-defined]
    kam = _owner(ws)
    assert kam.post(f"{EDIT}/unit/save", data=unit).status_code == 403  # no CSRF
    assert ws.store.data_version() == before


def test_the_division_map_links_to_the_units_editor_only_for_editors(
    ws: Workspace,
) -> None:
    owner = _owner(ws).get(f"{BASE}/divisions").text
    assert 'id="add-unit"' in owner
    assert f'href="{EDIT}/unit?unit_id=OV-U05"' in owner
    executive = _client(ws, "exec@example.org").get(f"{BASE}/divisions").text
    assert 'id="add-unit"' not in executive
    assert "/edit/unit" not in executive


def test_a_kam_adds_renames_and_deletes_a_unit_of_their_account(
    ws: Workspace,
) -> None:
    units = _flagship_units(ws)
    kam = _owner(ws)
    before = kam.get(f"{BASE}/divisions").text
    assert _headline_units(before) == len(units)
    # A new site under the clinics' region OV-U08 (itself under OV-U07).
    assert units["OV-U08"]["parent_unit_id"] == "OV-U07"
    added = _post(
        kam,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U10",
            "name": "Clinic Harbourside",
            "parent_unit_id": "OV-U08",
            "kind": "site",
            "version": "",
        },
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    assert added.headers["location"] == f"{BASE}/divisions"  # type: ignore[attr-defined]
    page = kam.get(f"{BASE}/divisions").text
    assert _headline_units(page) == len(units) + 1
    order = _grid_units(page)
    # Pre-order: OV-U10 right after its parent OV-U08 (it has no sibling yet).
    assert order.index("OV-U10") == order.index("OV-U08") + 1
    row = page.split('data-edit="unit:OV-U10"', 1)[1].split("</tr>", 1)[0]
    assert "Clinic Harbourside" in row
    # Depth 3 (OV-U01 > OV-U07 > OV-U08 > OV-U10): 0.5 + 3 × 1.2 em.
    assert "padding-left: 4.1" in row

    # Renamed and moved up under OV-U07 (depth 2).
    url = _form("OV-U10")
    changed = _post(
        kam,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U10",
            "name": "Harbourside Clinic",
            "parent_unit_id": "OV-U07",
            "kind": "site",
            "version": _version(kam, url),
        },
    )
    assert changed.status_code == 303  # type: ignore[attr-defined]
    page = kam.get(f"{BASE}/divisions").text
    row = page.split('data-edit="unit:OV-U10"', 1)[1].split("</tr>", 1)[0]
    assert "Harbourside Clinic" in row
    assert "padding-left: 2.9" in row

    deleted = _post(
        kam,
        f"{EDIT}/unit/delete",
        {"unit_id": "OV-U10", "version": _version(kam, url)},
    )
    assert deleted.status_code == 303  # type: ignore[attr-defined]
    page = kam.get(f"{BASE}/divisions").text
    assert "OV-U10" not in _grid_units(page)
    assert _headline_units(page) == len(units)


def test_deleting_a_unit_takes_its_cells_and_a_named_unit_is_refused(
    ws: Workspace,
) -> None:
    units = _flagship_units(ws)
    coverage = [r for r in rows(ws.portfolio, "Coverage") if r["unit_id"] in units]
    named = {str(r["unit_id"]) for r in rows(ws.portfolio, "Stakeholders")}
    parents = {str(u["parent_unit_id"]) for u in units.values()}
    # OV-U09: a leaf no stakeholder works in, with six cells.
    assert "OV-U09" not in parents | named
    assert sum(1 for r in coverage if r["unit_id"] == "OV-U09") == 6
    admin = _admin(ws)
    # OV-U07 is the parent of OV-U08 and OV-U09; OV-U06 is a stakeholder's unit:
    # nothing is re-parented silently.
    assert units["OV-U08"]["parent_unit_id"] == "OV-U07"
    assert "OV-U06" in named
    for unit, named_row in (("OV-U07", "OV-U08"), ("OV-U06", "Stakeholders")):
        refused = _post(
            admin,
            f"{EDIT}/unit/delete",
            {"unit_id": unit, "version": _version(admin, _form(unit))},
        )
        assert refused.status_code == 400  # type: ignore[attr-defined]
        assert named_row in refused.text  # type: ignore[attr-defined]
    page = admin.get(f"{BASE}/divisions").text
    assert {"OV-U06", "OV-U07"} <= set(_grid_units(page))
    done = _post(
        admin,
        f"{EDIT}/unit/delete",
        {"unit_id": "OV-U09", "version": _version(admin, _form("OV-U09"))},
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = admin.get(f"{BASE}/divisions").text
    assert "OV-U09" not in _grid_units(page)
    assert 'data-edit="cell:OV-U09/' not in page
    stored = ws.store.load_portfolio(sheets=["Coverage"]).tables["Coverage"]
    assert "OV-U09" not in stored.column("unit_id")
    assert len(stored) == len(rows(ws.portfolio, "Coverage")) - 6


def test_a_parent_on_another_account_and_a_cycle_are_refused(ws: Workspace) -> None:
    admin = _admin(ws)
    other = next(
        str(a["account_id"])
        for a in rows(ws.portfolio, "Accounts")
        if a["account_id"] != FLAGSHIP_ID
    )
    # The other account has no units: its page offers to add the first one.
    empty = admin.get(f"/accounts/{other}/divisions").text
    assert 'id="missing"' in empty
    assert 'id="add-unit"' in empty
    first = _post(
        admin,
        f"/accounts/{other}/edit/unit/save",
        {"unit_id": "OT-U01", "name": "Head office", "version": ""},
    )
    assert first.status_code == 303  # type: ignore[attr-defined]
    assert _grid_units(admin.get(f"/accounts/{other}/divisions").text) == ["OT-U01"]
    # The flagship's KAM cannot hang a unit under it, nor reach it from the
    # flagship's editor.
    kam = _owner(ws)
    foreign = _post(
        kam,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U11",
            "name": "Stray",
            "parent_unit_id": "OT-U01",
            "version": "",
        },
    )
    assert foreign.status_code == 400  # type: ignore[attr-defined]
    assert 'value="OT-U01"' in foreign.text  # type: ignore[attr-defined]
    assert kam.get(_form("OT-U01").replace(FLAGSHIP_ID, other)).status_code == 404
    assert admin.get(_form("OT-U01")).status_code == 404
    # OV-U01 under OV-U07 (its own descendant) would close a loop.
    cycle = _post(
        kam,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U01",
            "name": "Orrinvale Health System — System Office",
            "parent_unit_id": "OV-U07",
            "kind": "division",
            "version": _version(kam, _form("OV-U01")),
        },
    )
    assert cycle.status_code == 400  # type: ignore[attr-defined]
    assert _grid_units(kam.get(f"{BASE}/divisions").text)[0] == "OV-U01"


def test_a_stale_unit_edit_shows_the_stored_values(ws: Workspace) -> None:
    kam, admin = _owner(ws), _admin(ws)
    url = _form("OV-U04")
    seen = _version(kam, url)
    assert _version(admin, url) == seen
    first = _post(
        admin,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U04",
            "name": "Tessmoor Bay General",
            "parent_unit_id": "OV-U01",
            "kind": "site",
            "version": seen,
        },
    )
    assert first.status_code == 303  # type: ignore[attr-defined]
    late = _post(
        kam,
        f"{EDIT}/unit/save",
        {
            "unit_id": "OV-U04",
            "name": "Tessmoor Bay Hospital (east wing)",
            "parent_unit_id": "OV-U01",
            "kind": "site",
            "version": seen,
        },
    )
    assert late.status_code == 409  # type: ignore[attr-defined]
    text = late.text  # type: ignore[attr-defined]
    conflict = text.split('id="conflict"', 1)[1].split("</section>", 1)[0]
    assert "Tessmoor Bay General" in conflict
    # The late edit's own value is kept in the form, with the stored version.
    assert 'value="Tessmoor Bay Hospital (east wing)"' in text
    assert f'name="version" value="{seen}"' not in text
    page = kam.get(f"{BASE}/divisions").text
    row = page.split('data-edit="unit:OV-U04"', 1)[1].split("</tr>", 1)[0]
    assert "Tessmoor Bay General" in row
    # A delete at the stale version is refused the same way.
    stale = _post(kam, f"{EDIT}/unit/delete", {"unit_id": "OV-U04", "version": seen})
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert "OV-U04" in _grid_units(kam.get(f"{BASE}/divisions").text)
