"""The risk register editor: roles, CSRF, add, resolve, re-assign, conflicts, audit,
and the at-risk queue after an edit.

The workspace is this module's own (the edits would change the shared one). The
demo's flagship A001 has one open risk: flagged 2026-09-23, level watch, owner M01;
the workbook's as_of is 2026-10-31.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import FLAGSHIP_KAM
from kam.store.auth_tables import audit, users
from tests.web import test_stakeholder_edit as map_edit
from tests.web.conftest import Workspace, csrf_of, member_email, rows

PAGE = f"/accounts/{FLAGSHIP_ID}/risks"
FLAGGED = "2026-09-23"
REASON = "EVP & CIO neutral on the full migration; no direct contact yet"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from map_edit.edit_workspace(tmp_path_factory, "risks")


_client = map_edit.signed_in


def _owner(w: Workspace) -> TestClient:
    return _client(w, member_email(w.portfolio, FLAGSHIP_KAM))


def _post(client: TestClient, action: str, data: dict[str, str]) -> Any:
    return client.post(
        f"{PAGE}/{action}",
        data={"csrf_token": csrf_of(client), **data},
        follow_redirects=False,
    )


def _row(html: str, flagged: str) -> str:
    """The register row of the risk flagged on ``flagged``."""
    return html.split(f'data-flagged="{flagged}"', 1)[1].split("</tr>", 1)[0]


def _version(client: TestClient, flagged: str = FLAGGED) -> str:
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    found = re.search(r'name="version" value="([0-9a-f]+)"', _row(page.text, flagged))
    assert found is not None
    return found.group(1)


def _last_audit(w: Workspace) -> tuple[Any, ...]:
    with w.store.engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.select(
                    audit.c.user_id, audit.c.action, audit.c.target, audit.c.detail
                )
                .order_by(audit.c.id.desc())
                .limit(1)
            ).one()
        )


def _user_id(w: Workspace, email: str) -> int:
    with w.store.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(users.c.id).where(users.c.email == email)
            ).scalar_one()
        )


def test_who_may_open_the_register(ws: Workspace) -> None:
    assert _owner(ws).get(PAGE).status_code == 200
    assert _client(ws, "admin@example.org").get(PAGE).status_code == 200
    assert _client(ws, "analyst@example.org").get(PAGE).status_code == 200
    assert _client(ws, "exec@example.org").get(PAGE).status_code == 403
    assert _client(ws, map_edit._team_viewer_email(ws)).get(PAGE).status_code == 403
    assert _client(ws, map_edit._other_kam_email(ws)).get(PAGE).status_code == 404


def test_the_register_lists_the_accounts_risks_with_their_actions(
    ws: Workspace,
) -> None:
    html = _owner(ws).get(PAGE).text
    row = _row(html, FLAGGED)
    assert "EVP &amp; CIO neutral" in row
    assert 'class="risk-resolve"' in row
    assert 'class="risk-assign"' in row
    # Only the flagship's risks: another account's reason is not on the page.
    assert "Budget cut announced" not in html


def test_the_account_page_links_to_the_register_for_editors_only(
    ws: Workspace,
) -> None:
    account = f"/accounts/{FLAGSHIP_ID}"
    assert 'id="edit-risks"' in _owner(ws).get(account).text
    assert 'id="edit-risks"' not in _client(ws, "exec@example.org").get(account).text


def test_readers_who_may_not_edit_cannot_post(ws: Workspace) -> None:
    risk = {"flagged_on": "2026-10-01", "level": "watch", "reason": "X", "owner": ""}
    before = ws.store.data_version()
    assert _post(_client(ws, "exec@example.org"), "add", risk).status_code == 403
    other = _client(ws, map_edit._other_kam_email(ws))
    assert _post(other, "add", risk).status_code == 404
    version = _version(_owner(ws))
    stale_key = {"flagged_on": FLAGGED, "reason": REASON, "version": version}
    viewer = _client(ws, map_edit._team_viewer_email(ws))
    assert _post(viewer, "resolve", stale_key).status_code == 403
    assert _post(other, "assign", {**stale_key, "owner": "M02"}).status_code == 404
    assert ws.store.data_version() == before


def test_csrf_is_required(ws: Workspace) -> None:
    client = _owner(ws)
    risk = {"flagged_on": "2026-10-02", "level": "watch", "reason": "No token"}
    assert client.post(f"{PAGE}/add", data=risk).status_code == 403
    wrong = {**risk, "csrf_token": "not-the-token"}
    assert client.post(f"{PAGE}/add", data=wrong).status_code == 403
    assert "No token" not in client.get(PAGE).text


def test_the_kam_flags_a_risk_and_the_audit_names_them(ws: Workspace) -> None:
    email = member_email(ws.portfolio, FLAGSHIP_KAM)
    client = _owner(ws)
    response = _post(
        client,
        "add",
        {
            "flagged_on": "2026-10-20",
            "level": "critical",
            "reason": "Competitor pilot at two hospitals",
            "owner": "M01",
        },
    )
    assert response.status_code == 303
    assert "Competitor pilot at two hospitals" in _row(
        client.get(PAGE).text, "2026-10-20"
    )
    user_id, action, target, detail = _last_audit(ws)
    assert user_id == _user_id(ws, email)
    assert action == "edit.add"
    assert (
        target
        == f"Risks ({FLAGSHIP_ID}, 2026-10-20, Competitor pilot at two hospitals)"
    )
    assert detail["before"] is None
    assert detail["after"]["level"] == "critical"
    assert detail["after"]["owner"] == "M01"
    assert detail["after"]["resolved_on"] is None


def test_bad_values_come_back_in_place_as_typed(ws: Workspace) -> None:
    client = _owner(ws)
    before = ws.store.data_version()
    response = _post(
        client,
        "add",
        {
            "flagged_on": "last tuesday",
            "level": "doomed",
            "reason": "Typed reason kept",
            "owner": "NOBODY",
        },
    )
    assert response.status_code == 400
    form = response.text.split('id="add-risk"', 1)[1].split("</form>", 1)[0]
    assert 'value="Typed reason kept"' in form
    assert 'value="last tuesday"' in form
    assert form.count('class="error problem"') >= 3  # date, level and owner
    assert "NOBODY" in form
    assert ws.store.data_version() == before


def test_reassigning_changes_the_owner_and_is_audited(ws: Workspace) -> None:
    admin_email = "admin@example.org"
    admin = _client(ws, admin_email)
    version = _version(admin)
    response = _post(
        admin,
        "assign",
        {"flagged_on": FLAGGED, "reason": REASON, "version": version, "owner": "M02"},
    )
    assert response.status_code == 303
    assert '<td class="owner">M02</td>' in _row(admin.get(PAGE).text, FLAGGED)
    user_id, action, target, detail = _last_audit(ws)
    assert user_id == _user_id(ws, admin_email)
    assert action == "edit.update"
    assert target == f"Risks ({FLAGSHIP_ID}, {FLAGGED}, {REASON})"
    assert detail["before"]["owner"] == "M01"
    assert detail["after"]["owner"] == "M02"


def test_an_unknown_owner_is_refused_in_the_rows_form(ws: Workspace) -> None:
    client = _owner(ws)
    version = _version(client)
    response = _post(
        client,
        "assign",
        {"flagged_on": FLAGGED, "reason": REASON, "version": version, "owner": "ZZ9"},
    )
    assert response.status_code == 400
    form = _row(response.text, FLAGGED).split('class="risk-assign"', 1)[1]
    assert 'value="ZZ9"' in form
    assert 'data-column="owner"' in form


def test_a_stale_edit_is_refused_with_the_current_value(ws: Workspace) -> None:
    kam = _owner(ws)
    admin = _client(ws, "admin@example.org")
    seen = _version(kam)
    key = {"flagged_on": FLAGGED, "reason": REASON}
    first = _post(admin, "assign", {**key, "version": seen, "owner": "M03"})
    assert first.status_code == 303
    stale = _post(kam, "resolve", {**key, "version": seen, "resolved_on": "2026-10-10"})
    assert stale.status_code == 409
    assert 'data-column="owner">M03<' in stale.text
    assert 'data-column="resolved_on"><' in stale.text  # still open
    # The typed date stays in the form, with the stored version to send it again.
    form = _row(stale.text, FLAGGED).split('class="risk-resolve"', 1)[1]
    assert 'value="2026-10-10"' in form
    newer = re.search(r'name="version" value="([0-9a-f]+)"', form)
    assert newer is not None
    assert newer.group(1) != seen
    assert newer.group(1) == _version(kam)


def _a001_mrr(w: Workspace, month: str) -> Decimal:
    return sum(
        (
            Decimal(str(r["mrr"]))
            for r in rows(w.portfolio, "MRR")
            if r["account_id"] == FLAGSHIP_ID and r["month"] == month
        ),
        Decimal(0),
    )


def test_resolving_a_risk_takes_it_out_of_the_queue(ws: Workspace) -> None:
    engine = ws.app.state.kam.engine
    before = engine.run("at_risk")
    assert FLAGSHIP_ID in {r["account_id"] for r in before.rows}
    client = _owner(ws)
    key = {"flagged_on": FLAGGED, "reason": REASON, "version": _version(client)}
    # Resolved before the workbook's as_of (2026-10-31), so closed as of then.
    response = _post(client, "resolve", {**key, "resolved_on": "2026-10-15"})
    assert response.status_code == 303
    html = client.get(PAGE).text
    assert '<td class="resolved">2026-10-15</td>' in _row(html, FLAGGED)
    assert 'class="risk-resolve"' not in _row(html, FLAGGED)
    _, action, _, detail = _last_audit(ws)
    assert action == "edit.update"
    assert detail["before"]["resolved_on"] is None
    assert detail["after"]["resolved_on"] == "2026-10-15"
    # The risk flagged in the add test (2026-10-20) keeps A001 in the queue, once.
    middle = engine.run("at_risk")
    flagged = [r["flagged_on"] for r in middle.rows if r["account_id"] == FLAGSHIP_ID]
    assert flagged == [date(2026, 10, 20)]
    assert middle.summary["mrr_at_risk"] == before.summary["mrr_at_risk"]
    new = {"flagged_on": "2026-10-20", "reason": "Competitor pilot at two hospitals"}
    version = _version(client, "2026-10-20")
    response = _post(
        client, "resolve", {**new, "version": version, "resolved_on": "2026-10-25"}
    )
    assert response.status_code == 303
    after = engine.run("at_risk")
    assert FLAGSHIP_ID not in {r["account_id"] for r in after.rows}
    assert after.summary["month"] == "2026-10"
    # The MRR at risk falls by A001's October MRR, summed from the demo's MRR rows.
    drop = Decimal(str(before.summary["mrr_at_risk"])) - Decimal(
        str(after.summary["mrr_at_risk"])
    )
    assert drop == _a001_mrr(ws, "2026-10")
    assert drop > 0


def test_a_blank_resolution_date_means_today(ws: Workspace) -> None:
    client = _owner(ws)
    added = _post(
        client,
        "add",
        {"flagged_on": "2026-10-28", "level": "watch", "reason": "Quick check"},
    )
    assert added.status_code == 303
    key = {"flagged_on": "2026-10-28", "reason": "Quick check"}
    version = _version(client, "2026-10-28")
    response = _post(client, "resolve", {**key, "version": version, "resolved_on": ""})
    assert response.status_code == 303
    row = _row(client.get(PAGE).text, "2026-10-28")
    assert f'<td class="resolved">{date.today().isoformat()}</td>' in row


def test_an_unknown_action_is_not_found(ws: Workspace) -> None:
    client = _owner(ws)
    version = _version(client)
    key = {"flagged_on": FLAGGED, "reason": REASON, "version": version}
    before = ws.store.data_version()
    assert _post(client, "delete", key).status_code == 404
    assert ws.store.data_version() == before
