"""The map page renders its data part once per analysis result and row limit, yet
never shows a name to someone who may not read it, nor a name that was erased."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kam.web.routes.stakeholders as route
from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.stakeholders import EVP_CIO, STAKEHOLDERS
from tests.web.conftest import Workspace, csrf_of, readable_oracle
from tests.web.test_stakeholder_edit import (
    MAP,
    _client,
    _other_kam_email,
    _owner,
    _post,
    fresh_workspace,
)

EVP_NAME = next(p.name for p in STAKEHOLDERS if p.stakeholder_id == EVP_CIO)
NEWCOMER = "Quillon Bratsberg"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Workspace]:
    w = fresh_workspace(tmp_path / "kam.db")
    yield w
    w.app.state.kam.engine.close()
    w.store.dispose()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int | None]]:
    """The (account, row limit) of each render of the map's data part."""
    seen: list[tuple[str, int | None]] = []
    original = route._map_context

    def counting(result: Any, account_id: str, limit: int | None) -> dict[str, Any]:
        seen.append((account_id, limit))
        return original(result, account_id, limit)

    monkeypatch.setattr(route, "_map_context", counting)
    return seen


def _table_rows(html: str) -> list[str]:
    body = html.split('<table id="stakeholders">', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr(?: class=\"stale\")?>\s*<td>([^<]+)</td>", body)


def test_a_second_request_returns_the_same_page_without_rendering_again(
    fresh: Workspace, renders: list[tuple[str, int | None]]
) -> None:
    client = _owner(fresh)
    first = client.get(MAP)
    second = client.get(MAP)
    assert first.status_code == second.status_code == 200
    assert second.text == first.text
    # The default limit is 100 lines; the flagship's 25 people fit.
    assert renders == [(FLAGSHIP_ID, 100)]
    assert len(_table_rows(second.text)) == len(STAKEHOLDERS)


def test_a_row_limit_shows_the_first_lines_and_links_to_all(
    fresh: Workspace, renders: list[tuple[str, int | None]]
) -> None:
    client = _owner(fresh)
    three = client.get(MAP, params={"rows": "3"}).text
    every = client.get(MAP, params={"rows": "all"}).text
    assert client.get(MAP, params={"rows": "3"}).text == three
    # Two limits, two renders; the repeated limit is served from the cache.
    assert renders == [(FLAGSHIP_ID, 3), (FLAGSHIP_ID, None)]
    all_ids = _table_rows(every)
    assert len(all_ids) == len(STAKEHOLDERS)
    assert _table_rows(three) == all_ids[:3]
    assert f"The first 3 of {len(STAKEHOLDERS)} lines." in three
    assert f'href="/accounts/{FLAGSHIP_ID}/stakeholders?rows=all"' in three
    assert "Show all" not in every
    # The chart still draws everyone.
    assert three.count('<g class="node"') == len(STAKEHOLDERS)
    assert client.get(MAP, params={"rows": "0"}).status_code == 400


def test_an_edit_in_the_editor_changes_the_warm_page(
    fresh: Workspace, renders: list[tuple[str, int | None]]
) -> None:
    client = _owner(fresh)
    before = client.get(MAP).text
    assert client.get(MAP).text == before
    assert NEWCOMER not in before
    added = _post(
        client,
        "stakeholders/add",
        {
            "stakeholder_id": "OV93",
            "name": NEWCOMER,
            "reports_to": "OV02",
            "decision_power": "2",
            "attitude": "0",
        },
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    after = client.get(MAP).text
    assert len(renders) == 2
    assert f"<td>OV93</td><td>{NEWCOMER}</td>" in after
    assert 'data-id="OV93"' in after
    assert f"{NEWCOMER} reports to OV02" in after
    assert after.count('<g class="node"') == len(STAKEHOLDERS) + 1


def test_a_kam_of_another_account_gets_404_with_a_warm_cache(
    fresh: Workspace,
) -> None:
    owner = _owner(fresh)
    admin = _client(fresh, "admin@example.org")
    for client in (owner, admin):
        for rows in ("", "3", "all"):
            page = client.get(MAP, params={"rows": rows} if rows else None)
            assert page.status_code == 200
            assert EVP_NAME in page.text
    other_email = _other_kam_email(fresh)
    other = _client(fresh, other_email)
    for rows in ("", "3", "all"):
        refused = other.get(MAP, params={"rows": rows} if rows else None)
        assert refused.status_code == 404
        assert EVP_NAME not in refused.text
    # Their own account's map shows none of the flagship's people.
    own = sorted(readable_oracle(fresh.portfolio, other_email))[0]
    assert own != FLAGSHIP_ID
    theirs = other.get(f"/accounts/{own}/stakeholders")
    assert theirs.status_code == 200
    assert not any(p.name in theirs.text for p in STAKEHOLDERS)


def test_after_erasure_the_warm_map_shows_the_placeholder_not_the_name(
    fresh: Workspace,
) -> None:
    owner = _owner(fresh)
    admin = _client(fresh, "admin@example.org")
    readers = [(c, rows) for c in (owner, admin) for rows in ("", "all")]
    for client, rows in readers:
        page = client.get(MAP, params={"rows": rows} if rows else None)
        assert EVP_NAME in page.text
    erased = admin.post(
        f"/admin/people/{EVP_CIO}/erase",
        data={"csrf_token": csrf_of(admin), "confirm_id": EVP_CIO},
    )
    assert erased.status_code == 200
    for client, rows in readers:
        page = client.get(MAP, params={"rows": rows} if rows else None)
        assert page.status_code == 200
        assert EVP_NAME not in page.text
        # The first person erased is named by the placeholder in the table, the
        # chart's box and the targets (the EVP is the top target).
        assert f"<td>{EVP_CIO}</td><td>Erased person 1</td>" in page.text
        targets = page.text.split('id="targets"', 1)[1].split("</table>", 1)[0]
        assert "Erased person 1" in targets.split("<tr>")[2]
