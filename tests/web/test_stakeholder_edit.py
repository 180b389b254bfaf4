"""Editing the stakeholder map in the browser: roles, forms, conflicts, CSRF, paths.

The workspace is this module's own (the edits would change the shared one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.stakeholders import IT_DIRECTOR_WARM, STAKEHOLDERS
from kam.demo.team import FLAGSHIP_KAM
from kam.store.auth_tables import audit
from kam.store.repository import Store
from kam.web import create_app
from tests.web.conftest import (
    Workspace,
    csrf_of,
    member_email,
    readable_oracle,
    rows,
    sign_in,
)

EDITOR = f"/accounts/{FLAGSHIP_ID}/map/edit"
MAP = f"/accounts/{FLAGSHIP_ID}/stakeholders"


def fresh_workspace(path: Path) -> Workspace:
    """A workspace over a new SQLite store at ``path`` holding the demo, with users."""
    url = f"sqlite:///{path}"
    store = Store(url)
    store.upgrade()
    portfolio = demo_portfolio(seed=7)
    store.import_portfolio(portfolio)
    app = create_app(Settings(database_url=url), store=store)
    w = Workspace(app, store, portfolio)
    w.add_user(member_email(portfolio, FLAGSHIP_KAM), "kam")
    w.add_user("admin@example.org", "admin")
    w.add_user("analyst@example.org", "analyst")
    w.add_user("exec@example.org", "executive")
    w.add_user(_other_kam_email(w), "kam")
    w.add_user(_team_viewer_email(w), "viewer")
    return w


def edit_workspace(factory: pytest.TempPathFactory, name: str) -> Iterator[Workspace]:
    """A module's :func:`fresh_workspace` in a new folder ``name``, closed after."""
    w = fresh_workspace(factory.mktemp(name) / "kam.db")
    yield w
    w.app.state.kam.engine.close()
    w.store.dispose()


def signed_in(w: Workspace, email: str) -> TestClient:
    """A client of ``w`` signed in as ``email``."""
    client = w.client()
    sign_in(client, email)
    return client


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from edit_workspace(tmp_path_factory, "edit")


def _other_kam_email(w: Workspace) -> str:
    for m in ("M02", "M03", "M04"):
        email = member_email(w.portfolio, m)
        if FLAGSHIP_ID not in readable_oracle(w.portfolio, email):
            return email
    raise AssertionError("no KAM outside the flagship")


def _team_viewer_email(w: Workspace) -> str:
    """A team member who reads the flagship (signed up as a viewer)."""
    for r in rows(w.portfolio, "Team"):
        email = str(r["email"])
        if r["member_id"] != FLAGSHIP_KAM and FLAGSHIP_ID in readable_oracle(
            w.portfolio, email
        ):
            return email
    raise AssertionError("nobody else on the flagship's team")


_client = signed_in


def _owner(w: Workspace) -> TestClient:
    return _client(w, member_email(w.portfolio, FLAGSHIP_KAM))


def _name(sid: str) -> str:
    return next(p.name for p in STAKEHOLDERS if p.stakeholder_id == sid)


def _kam_name(w: Workspace) -> str:
    return next(
        str(r["name"])
        for r in rows(w.portfolio, "Team")
        if r["member_id"] == FLAGSHIP_KAM
    )


def _target_row(html: str, sid: str) -> str:
    """The targets-table row of stakeholder ``sid``."""
    table = html.split('id="targets"', 1)[1].split("</table>", 1)[0]
    return next(tr for tr in table.split("<tr>") if f'muted">{sid}<' in tr)


def _best_path(html: str, sid: str) -> str:
    row = _target_row(html, sid)
    best = row.split('class="path best">', 1)[1].split("</div>", 1)[0]
    return " ".join(best.split())


def _version(client: TestClient, kind: str, query: str) -> str:
    page = client.get(f"/accounts/{FLAGSHIP_ID}/map/{kind}/row?{query}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="version" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found.group(1)


def _post(client: TestClient, action: str, data: dict[str, str]) -> object:
    return client.post(
        f"/accounts/{FLAGSHIP_ID}/map/{action}",
        data={"csrf_token": csrf_of(client), **data},
        follow_redirects=False,
    )


def test_who_may_open_the_editor(ws: Workspace) -> None:
    assert _owner(ws).get(EDITOR).status_code == 200
    assert _client(ws, "admin@example.org").get(EDITOR).status_code == 200
    assert _client(ws, "analyst@example.org").get(EDITOR).status_code == 200
    assert _client(ws, "exec@example.org").get(EDITOR).status_code == 403
    assert _client(ws, _team_viewer_email(ws)).get(EDITOR).status_code == 403
    assert _client(ws, _other_kam_email(ws)).get(EDITOR).status_code == 404


def test_the_map_links_to_the_editor_only_for_editors(ws: Workspace) -> None:
    assert 'id="edit-map"' in _owner(ws).get(MAP).text
    assert 'id="edit-map"' not in _client(ws, "exec@example.org").get(MAP).text


def test_readers_who_may_not_edit_cannot_post(ws: Workspace) -> None:
    person = {
        "stakeholder_id": "X1",
        "name": "X",
        "decision_power": "2",
        "attitude": "0",
    }
    before = ws.store.data_version()
    executive = _client(ws, "exec@example.org")
    assert _post(executive, "stakeholders/add", person).status_code == 403  # type: ignore[attr-defined]
    other = _client(ws, _other_kam_email(ws))
    assert _post(other, "stakeholders/add", person).status_code == 404  # type: ignore[attr-defined]
    assert ws.store.data_version() == before


def test_csrf_is_required(ws: Workspace) -> None:
    client = _owner(ws)
    person = {
        "stakeholder_id": "X2",
        "name": "X",
        "decision_power": "2",
        "attitude": "0",
    }
    url = f"/accounts/{FLAGSHIP_ID}/map/stakeholders/add"
    assert client.post(url, data=person).status_code == 403
    wrong = {**person, "csrf_token": "not-the-token"}
    assert client.post(url, data=wrong).status_code == 403
    assert "X2" not in client.get(EDITOR).text


def test_the_kam_adds_a_stakeholder_and_the_audit_names_them(ws: Workspace) -> None:
    client = _owner(ws)
    response = _post(
        client,
        "stakeholders/add",
        {
            "stakeholder_id": "OV90",
            "name": "Wilma Quorn",
            "title": "Head of Digital",
            "reports_to": "OV02",
            "decision_power": "3",
            "attitude": "1",
            "buying_role": "influencer",
        },
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "Wilma Quorn" in client.get(EDITOR).text
    with ws.store.engine.connect() as conn:
        action, target, detail = conn.execute(
            sa.select(audit.c.action, audit.c.target, audit.c.detail)
            .order_by(audit.c.id.desc())
            .limit(1)
        ).one()
    assert (action, target) == ("edit.add", "Stakeholders OV90")
    assert detail["after"]["account_id"] == FLAGSHIP_ID
    assert detail["after"]["decision_power"] == 3


def test_bad_values_come_back_in_place_as_typed(ws: Workspace) -> None:
    client = _owner(ws)
    response = _post(
        client,
        "stakeholders/add",
        {
            "stakeholder_id": "OV91",
            "name": "Typed Name Kept",
            "reports_to": "NOBODY",
            "decision_power": "9",
            "attitude": "1",
        },
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    form = html.split('id="add-stakeholders"', 1)[1].split("</form>", 1)[0]
    assert 'value="Typed Name Kept"' in form
    assert 'value="9"' in form
    assert "&#39;9&#39; is outside 1–5" in form
    assert "&#39;NOBODY&#39; is not a stakeholder of the Stakeholders sheet" in form
    assert "OV91" not in client.get(EDITOR).text.split('id="add-stakeholders"')[0]


def test_a_stale_edit_is_refused_with_the_current_value(ws: Workspace) -> None:
    query = f"stakeholder_id={IT_DIRECTOR_WARM}"
    kam = _owner(ws)
    admin = _client(ws, "admin@example.org")
    seen = _version(kam, "stakeholders", query)
    base = {"stakeholder_id": IT_DIRECTOR_WARM, "name": _name(IT_DIRECTOR_WARM)}
    common = {**base, "decision_power": "3", "attitude": "1", "reports_to": "OV02"}
    first = _post(
        admin,
        "stakeholders/update",
        {**common, "title": "VP Infrastructure", "version": seen},
    )
    assert first.status_code == 303  # type: ignore[attr-defined]
    stale = _post(
        kam, "stakeholders/update", {**common, "title": "Typed later", "version": seen}
    )
    assert stale.status_code == 409  # type: ignore[attr-defined]
    html = stale.text  # type: ignore[attr-defined]
    assert 'data-column="title">VP Infrastructure<' in html
    assert 'value="Typed later"' in html
    # Saving again with the version the conflict page carries goes through.
    newer = re.search(r'name="version" value="([0-9a-f]+)"', html)
    assert newer is not None
    assert newer.group(1) != seen
    again = _post(
        kam,
        "stakeholders/update",
        {**common, "title": "Typed later", "version": newer.group(1)},
    )
    assert again.status_code == 303  # type: ignore[attr-defined]


def test_moving_under_another_manager_and_deleting(ws: Workspace) -> None:
    client = _owner(ws)
    add = {
        "stakeholder_id": "OV92",
        "name": "Mover",
        "reports_to": "OV02",
        "decision_power": "2",
        "attitude": "0",
    }
    assert _post(client, "stakeholders/add", add).status_code == 303  # type: ignore[attr-defined]
    version = _version(client, "stakeholders", "stakeholder_id=OV92")
    moved = _post(
        client,
        "stakeholders/update",
        {**add, "reports_to": "OV03", "version": version},
    )
    assert moved.status_code == 303  # type: ignore[attr-defined]
    map_html = client.get(MAP).text
    assert "Mover reports to OV03" in map_html
    version = _version(client, "stakeholders", "stakeholder_id=OV92")
    gone = _post(
        client, "stakeholders/delete", {"stakeholder_id": "OV92", "version": version}
    )
    assert gone.status_code == 303  # type: ignore[attr-defined]
    assert "Mover" not in client.get(MAP).text


def test_a_dotted_line_changes_the_recommended_path(ws: Workspace) -> None:
    """OV01 (CEO, power 4, attitude 0) is a target.

    Before: the best path is KAM → OV25 (touchpoint 3: 0.9) → OV02 (dotted 3:
    0.9) → OV01 (reports-to, strength 2: 0.6) = 0.486 → "49 %". Adding a positive
    strength-3 dotted line OV12 → OV01, with the KAM's strength-3 touchpoint on
    OV12 (attitude +2, nobody hostile), gives KAM → OV12 → OV01 = 0.9 × 0.9 = 0.81.
    """
    client = _owner(ws)
    kam, ceo = _kam_name(ws), _name("OV01")
    before = _best_path(client.get(MAP).text, "OV01")
    assert before.startswith(f"{kam} → {_name('OV25')} → {_name('OV02')} → {ceo}")
    assert "<strong>49 %</strong>" in before
    line = {
        "from_id": "OV12",
        "to_id": "OV01",
        "strength": "3",
        "sentiment": "positive",
    }
    assert _post(client, "influences/add", line).status_code == 303  # type: ignore[attr-defined]
    after = _best_path(client.get(MAP).text, "OV01")
    assert after.startswith(f"{kam} → {_name('OV12')} → {ceo}")
    assert "<strong>81 %</strong>" in after
    # The EVP's best path is untouched: still through the consultancy lead at 0.81.
    evp = _best_path(client.get(MAP).text, "OV02")
    assert evp.startswith(f"{kam} → {_name('OV25')} → {_name('OV02')}")
    # Deleting the line brings the old path back.
    version = _version(client, "influences", "from_id=OV12&to_id=OV01")
    gone = _post(
        client,
        "influences/delete",
        {"from_id": "OV12", "to_id": "OV01", "version": version},
    )
    assert gone.status_code == 303  # type: ignore[attr-defined]
    assert "<strong>49 %</strong>" in _best_path(client.get(MAP).text, "OV01")


def test_touchpoints_are_edited_too(ws: Workspace) -> None:
    client = _owner(ws)
    query = f"member_id={FLAGSHIP_KAM}&stakeholder_id={IT_DIRECTOR_WARM}"
    version = _version(client, "touchpoints", query)
    bad = _post(
        client,
        "touchpoints/update",
        {
            "member_id": FLAGSHIP_KAM,
            "stakeholder_id": IT_DIRECTOR_WARM,
            "strength": "3",
            "last_contact_on": "2026-13-45",
            "key": "yes",
            "version": version,
        },
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert 'value="2026-13-45"' in bad.text  # type: ignore[attr-defined]
    ok = _post(
        client,
        "touchpoints/update",
        {
            "member_id": FLAGSHIP_KAM,
            "stakeholder_id": IT_DIRECTOR_WARM,
            "strength": "3",
            "last_contact_on": "2026-11-02",
            "key": "yes",
            "version": version,
        },
    )
    assert ok.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/accounts/{FLAGSHIP_ID}/map/touchpoints/row?{query}").text
    assert 'value="2026-11-02"' in page
