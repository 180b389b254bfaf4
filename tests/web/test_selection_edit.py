"""Editing scores and saving criterion weights in the browser: roles, forms,
conflicts, the ranking they change, the audit.

The workspace is this module's own (the edits change its data). The flagship is
scored by one rater (its KAM) with G1..G4 = 9, 10, 7, 9 and H1..H4 = 6, 7, 6, 8
(:mod:`kam.demo.selection`); with the demo weights (growth 0.15/0.35/0.20/0.30,
harmony 0.30/0.25/0.25/0.20) and equal section weights:

* growth  = 0.15·9 + 0.35·10 + 0.20·7 + 0.30·9 = 1.35 + 3.50 + 1.40 + 2.70 = 8.95
* harmony = 0.30·6 + 0.25·7 + 0.25·6 + 0.20·8 = 1.80 + 1.75 + 1.50 + 1.60 = 6.65
* overall = (8.95 + 6.65) / 2 = 7.80
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import FLAGSHIP_KAM
from kam.store.auth_tables import audit
from kam.store.tables import data_table
from tests.web.conftest import Workspace, csrf_of, member_email, rows
from tests.web.test_stakeholder_edit import (
    _other_kam_email,
    _team_viewer_email,
    edit_workspace,
    signed_in,
)

EDITOR = f"/accounts/{FLAGSHIP_ID}/scores"
SCORING = "/tools/scoring"
WEIGHTS = "/tools/scoring/weights"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from edit_workspace(tmp_path_factory, "scores")


_client = signed_in


def _owner(w: Workspace) -> TestClient:
    return _client(w, member_email(w.portfolio, FLAGSHIP_KAM))


def _rater(w: Workspace) -> str:
    """The flagship's one rater, as the demo wrote the Scores rows."""
    raters = {
        str(r["rater"])
        for r in rows(w.portfolio, "Scores")
        if r["account_id"] == FLAGSHIP_ID
    }
    assert len(raters) == 1
    return raters.pop()


def _query(criterion: str, rater: str) -> dict[str, str]:
    return {"criterion_id": criterion, "rater": rater}


def _version(client: TestClient, criterion: str, rater: str) -> str:
    page = client.get(f"{EDITOR}/row", params=_query(criterion, rater))
    assert page.status_code == 200, page.text
    found = re.search(r'name="version" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found.group(1)


def _post(client: TestClient, url: str, data: dict[str, str]) -> object:
    return client.post(
        url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False
    )


def _ranked(html: str) -> dict[str, tuple[int, Decimal]]:
    """Account -> (rank, score) from the selection table of the scoring page."""
    table = html.split('id="ranked"', 1)[1].split("</table>", 1)[0]
    found = re.findall(
        r'<tr data-account="([^"]+)"><td class="num">(\d+)=?</td>.*?'
        r'<td class="num score">([^<]+)</td>',
        table,
    )
    return {a: (int(r), Decimal(s)) for a, r, s in found}


def _score_of(client: TestClient, account: str = FLAGSHIP_ID) -> Decimal:
    return _ranked(client.get(SCORING, params={"rows": "all"}).text)[account][1]


def _set_g2(client: TestClient, w: Workspace, value: str) -> object:
    rater = _rater(w)
    return _post(
        client,
        f"{EDITOR}/update",
        {
            **_query("G2", rater),
            "version": _version(client, "G2", rater),
            "score": value,
            "scored_on": "2026-10-01",
            "note": "",
        },
    )


def _last_audit(w: Workspace, n: int = 1) -> list[tuple[str, str, dict[str, object]]]:
    with w.store.engine.connect() as conn:
        found = conn.execute(
            sa.select(audit.c.action, audit.c.target, audit.c.detail)
            .where(audit.c.action.like("edit.%"))
            .order_by(audit.c.id.desc())
            .limit(n)
        ).all()
    return [(str(a), str(t), dict(d)) for a, t, d in reversed(found)]


# -- the score editor ------------------------------------------------------------


def test_who_may_open_the_score_editor(ws: Workspace) -> None:
    assert _owner(ws).get(EDITOR).status_code == 200
    assert _client(ws, "admin@example.org").get(EDITOR).status_code == 200
    assert _client(ws, "analyst@example.org").get(EDITOR).status_code == 200
    assert _client(ws, "exec@example.org").get(EDITOR).status_code == 403
    assert _client(ws, _team_viewer_email(ws)).get(EDITOR).status_code == 403
    assert _client(ws, _other_kam_email(ws)).get(EDITOR).status_code == 404


def test_the_editor_lists_the_flagships_eight_scores(ws: Workspace) -> None:
    html = _owner(ws).get(EDITOR).text
    table = html.split('id="score-rows"', 1)[1].split("</table>", 1)[0]
    found = re.findall(
        r'data-criterion="(\w+)".*?class="num score">([^<]+)<', table, re.S
    )
    scores = {c: Decimal(s) for c, s in found}
    assert scores == {
        "G1": 9,
        "G2": 10,
        "G3": 7,
        "G4": 9,
        "H1": 6,
        "H2": 7,
        "H3": 6,
        "H4": 8,
    }


def test_the_scoring_page_offers_the_editor_to_editors_only(ws: Workspace) -> None:
    assert 'id="score-editor-form"' in _owner(ws).get(SCORING).text
    assert (
        'id="score-editor-form"'
        not in _client(ws, "exec@example.org").get(SCORING).text
    )
    opened = _owner(ws).get(
        "/tools/scoring/scores",
        params={"account_id": FLAGSHIP_ID},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == EDITOR


def test_readers_who_may_not_edit_cannot_post(ws: Workspace) -> None:
    before = ws.store.data_version()
    score = {"criterion_id": "G1", "rater": "Someone", "score": "5"}
    executive = _client(ws, "exec@example.org")
    assert _post(executive, f"{EDITOR}/add", score).status_code == 403  # type: ignore[attr-defined]
    viewer = _client(ws, _team_viewer_email(ws))
    assert _post(viewer, f"{EDITOR}/add", score).status_code == 403  # type: ignore[attr-defined]
    other = _client(ws, _other_kam_email(ws))
    assert _post(other, f"{EDITOR}/add", score).status_code == 404  # type: ignore[attr-defined]
    assert ws.store.data_version() == before


def test_csrf_is_required(ws: Workspace) -> None:
    client = _owner(ws)
    score = {"criterion_id": "G1", "rater": "Someone", "score": "5"}
    assert client.post(f"{EDITOR}/add", data=score).status_code == 403
    wrong = {**score, "csrf_token": "not-the-token"}
    assert client.post(f"{EDITOR}/add", data=wrong).status_code == 403


def test_the_score_of_a_page_is_the_hand_computed_one(ws: Workspace) -> None:
    assert _score_of(_owner(ws)) == Decimal("7.80")


def test_a_changed_score_changes_the_overall_score(ws: Workspace) -> None:
    client = _owner(ws)
    response = _set_g2(client, ws, "2")
    assert response.status_code == 303  # type: ignore[attr-defined]
    # G2 10 -> 2: growth 8.95 - 0.35·8 = 6.15; overall (6.15 + 6.65) / 2 = 6.40.
    assert _score_of(client) == Decimal("6.40")
    [(action, target, detail)] = _last_audit(ws)
    assert (action, target) == (
        "edit.update",
        f"Scores ({FLAGSHIP_ID}, G2, {_rater(ws)})",
    )
    assert detail["before"]["score"] == 10  # type: ignore[index]
    assert detail["after"]["score"] == 2  # type: ignore[index]


def test_a_second_rater_is_averaged_and_can_be_deleted(ws: Workspace) -> None:
    client = _owner(ws)
    assert _set_g2(client, ws, "2").status_code in (200, 303)  # type: ignore[attr-defined]
    added = _post(
        client,
        f"{EDITOR}/add",
        {"criterion_id": "G2", "rater": "Second Opinion", "score": "8"},
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    # G2 = mean(2, 8) = 5: growth 6.15 + 0.35·3 = 7.20; overall (7.20 + 6.65) / 2
    # = 6.925.
    assert _score_of(client) == Decimal("6.925")
    assert _last_audit(ws)[0][:2] == (
        "edit.add",
        f"Scores ({FLAGSHIP_ID}, G2, Second Opinion)",
    )
    version = _version(client, "G2", "Second Opinion")
    deleted = _post(
        client,
        f"{EDITOR}/delete",
        {**_query("G2", "Second Opinion"), "version": version},
    )
    assert deleted.status_code == 303  # type: ignore[attr-defined]
    assert _score_of(client) == Decimal("6.40")
    assert _last_audit(ws)[0][0] == "edit.delete"


def test_a_score_of_twelve_is_refused_with_the_value_as_typed(ws: Workspace) -> None:
    client = _owner(ws)
    before = ws.store.data_version()
    response = _set_g2(client, ws, "12")
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "outside 1–10" in html
    assert re.search(r'name="score" value="12"', html)
    assert ws.store.data_version() == before
    added = _post(
        client, f"{EDITOR}/add", {"criterion_id": "H1", "rater": "X", "score": "12"}
    )
    assert added.status_code == 400  # type: ignore[attr-defined]
    assert "outside 1–10" in added.text  # type: ignore[attr-defined]
    assert 'name="score" value="12"' in added.text  # type: ignore[attr-defined]


def test_a_stale_edit_is_refused_with_the_stored_value(ws: Workspace) -> None:
    client = _owner(ws)
    rater = _rater(ws)
    seen = _version(client, "H1", rater)
    form = {**_query("H1", rater), "scored_on": "", "note": ""}
    first = _post(client, f"{EDITOR}/update", {**form, "score": "9", "version": seen})
    assert first.status_code == 303  # type: ignore[attr-defined]
    stale = _post(client, f"{EDITOR}/update", {**form, "score": "3", "version": seen})
    assert stale.status_code == 409  # type: ignore[attr-defined]
    html = stale.text  # type: ignore[attr-defined]
    assert re.search(r'class="current" data-column="score">9<', html)
    assert 'name="score" value="3"' in html
    stale_delete = _post(client, f"{EDITOR}/delete", {**form, "version": seen})
    assert stale_delete.status_code == 409  # type: ignore[attr-defined]
    # H1 6 -> 9: harmony 6.65 + 0.30·3 = 7.55; overall (6.15 + 7.55) / 2 = 6.85.
    assert _score_of(client) == Decimal("6.85")


# -- the weights -----------------------------------------------------------------


def test_only_admins_and_analysts_may_save_weights(ws: Workspace) -> None:
    kam = _owner(ws)
    assert kam.get(WEIGHTS).status_code == 403
    assert _post(kam, WEIGHTS, {"w.G1": "0.15"}).status_code == 403  # type: ignore[attr-defined]
    executive = _client(ws, "exec@example.org")
    assert executive.get(WEIGHTS).status_code == 403
    assert _client(ws, "analyst@example.org").get(WEIGHTS).status_code == 200
    what_if = {"w.G1": "0.25", "w.G2": "0.25"}
    assert (
        'id="save-weights-link"'
        in _client(ws, "admin@example.org").get(SCORING, params=what_if).text
    )
    assert 'id="save-weights-link"' not in kam.get(SCORING, params=what_if).text


def _weights_form(client: TestClient, **weights: str) -> dict[str, str]:
    """The weights form as shown (every weight and version), with ``weights``."""
    html = client.get(WEIGHTS).text
    fields = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([wv]\.\w+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[name.group(1)] = value.group(1)
    assert len(fields) == 16  # 8 weights and 8 versions
    return {**fields, **{f"w.{k}": v for k, v in weights.items()}}


def test_weights_that_do_not_sum_are_refused(ws: Workspace) -> None:
    admin = _client(ws, "admin@example.org")
    before = ws.store.data_version()
    response = _post(admin, WEIGHTS, _weights_form(admin, G1="0.5"))
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    # 0.5 + 0.35 + 0.20 + 0.30 = 1.35
    assert (
        "the weights of section growth sum to 1.35; they must sum to 1 or to 100"
        in html
    )
    assert 'id="w-G1" value="0.5"' in html
    assert ws.store.data_version() == before


def _oracle(
    w: Workspace, weights: dict[str, Decimal]
) -> dict[str, tuple[int, Decimal]]:
    """Rank and overall score of every scored account from the stored Scores rows:
    the mean of the raters per criterion, Σ w·x per section (weights summing to 1),
    the mean of the two sections; equal scores share the smaller rank."""
    scores = data_table("Scores")
    with w.store.engine.connect() as conn:
        found = conn.execute(
            sa.select(scores.c.account_id, scores.c.criterion_id, scores.c.score)
        ).all()
    per: dict[tuple[str, str], list[Decimal]] = {}
    for a, c, x in found:
        per.setdefault((str(a), str(c)), []).append(Decimal(str(x)))
    overall: dict[str, Decimal] = {}
    for a in {a for a, _ in per}:
        sections = []
        for prefix in ("G", "H"):
            sections.append(
                sum(
                    (
                        weights[c] * sum(xs) / len(xs)
                        for (acc, c), xs in per.items()
                        if acc == a and c.startswith(prefix)
                    ),
                    Decimal(0),
                )
            )
        overall[a] = sum(sections, Decimal(0)) / 2
    return {
        a: (1 + sum(1 for b in overall.values() if b > s), s)
        for a, s in overall.items()
    }


def test_saved_weights_change_the_ranking_and_stay(ws: Workspace) -> None:
    admin = _client(ws, "admin@example.org")
    old = {
        "G1": Decimal("0.15"),
        "G2": Decimal("0.35"),
        "G3": Decimal("0.20"),
        "G4": Decimal("0.30"),
        "H1": Decimal("0.30"),
        "H2": Decimal("0.25"),
        "H3": Decimal("0.25"),
        "H4": Decimal("0.20"),
    }
    before = _ranked(admin.get(SCORING, params={"rows": "all"}).text)
    assert before == _oracle(ws, old)
    # Growth on share of wallet alone (G3 = 1). The flagship (G3 = 7, harmony
    # 7.55 after the edits above): (7 + 7.55) / 2 = 7.275.
    new = {
        **old,
        "G1": Decimal(0),
        "G2": Decimal(0),
        "G3": Decimal(1),
        "G4": Decimal(0),
    }
    response = _post(
        admin, WEIGHTS, _weights_form(admin, G1="0", G2="0", G3="1", G4="0")
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == SCORING  # type: ignore[attr-defined]
    after = _ranked(admin.get(SCORING, params={"rows": "all"}).text)
    assert after == _oracle(ws, new)
    assert after[FLAGSHIP_ID][1] == Decimal("7.275")
    assert sorted(after, key=lambda a: after[a]) != sorted(
        before, key=lambda a: before[a]
    )
    # The plain page (no what-if) uses them for everyone, the KAM too.
    plain = _owner(ws).get(SCORING).text
    assert 'id="what-if-note"' not in plain
    assert _ranked(plain)[FLAGSHIP_ID][1] == Decimal("7.275")
    audited = _last_audit(ws, 4)
    assert [(a, t) for a, t, _ in audited] == [
        ("edit.update", f"Criteria {c}") for c in ("G1", "G2", "G3", "G4")
    ]
    assert all(d["batch"] == 4 for _, _, d in audited)


def test_a_stale_weights_form_is_refused_with_the_stored_weight(
    ws: Workspace,
) -> None:
    admin = _client(ws, "admin@example.org")
    analyst = _client(ws, "analyst@example.org")
    seen = _weights_form(analyst)
    moved = _post(admin, WEIGHTS, _weights_form(admin, H1="0.40", H4="0.10"))
    assert moved.status_code == 303  # type: ignore[attr-defined]
    stale = _post(analyst, WEIGHTS, {**seen, "w.H2": "0.30", "w.H3": "0.20"})
    assert stale.status_code == 409  # type: ignore[attr-defined]
    html = stale.text  # type: ignore[attr-defined]
    assert re.search(r'class="current" data-column="weight">0\.4<', html)
    assert 'id="w-H2" value="0.30"' in html
