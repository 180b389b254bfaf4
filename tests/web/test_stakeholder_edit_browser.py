"""In Debian's Chromium: the flagship's KAM adds a dotted line in the map editor and
sees the recommended path to the CEO change (screenshots in tests/artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.team import FLAGSHIP_KAM
from tests.web.conftest import PASSWORD, Workspace, member_email
from tests.web.test_browser import ARTIFACTS, CHROMIUM, FLAGS
from tests.web.test_stakeholder_edit import fresh_workspace

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    # Shadows the shared workspace: this test changes the map.
    w = fresh_workspace(tmp_path_factory.mktemp("edit-browser") / "kam.db")
    yield w
    w.app.state.kam.engine.close()
    w.store.dispose()


def _ceo_best_path(page: object) -> str:
    row = page.locator("#targets tr", has_text="OV01")  # type: ignore[attr-defined]
    return str(row.locator(".path.best").inner_text())


def test_adding_a_dotted_line_changes_the_recommended_path(
    workspace: Workspace, server: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    email = member_email(workspace.portfolio, FLAGSHIP_KAM)
    map_url = f"{server}/accounts/{FLAGSHIP_ID}/stakeholders"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
        )
        try:
            page = browser.new_page()
            page.goto(map_url)
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(map_url)
            before = _ceo_best_path(page)
            page.click("#edit-map")
            page.wait_for_url("**/map/edit")
            page.click("#influences summary")
            page.fill("#add-influences-from_id", "OV12")
            page.fill("#add-influences-to_id", "OV01")
            page.fill("#add-influences-strength", "3")
            page.select_option("#add-influences-sentiment", "positive")
            page.screenshot(path=str(ARTIFACTS / "map-edit.png"), full_page=True)
            page.click('#add-influences button[type="submit"]')
            page.wait_for_url("**/map/edit")
            page.goto(map_url)
            after = _ceo_best_path(page)
            page.screenshot(path=str(ARTIFACTS / "map-after-edit.png"), full_page=True)
        finally:
            browser.close()
    # 0.9 × 0.9 × 0.6 = 0.486 through the lead and the EVP, then 0.9 × 0.9 = 0.81
    # straight from OV12 (see test_stakeholder_edit for the hand computation).
    assert "49 %" in before
    assert "81 %" in after
    assert "Esperanza Wexcombe → Cassius Varnholt" in after
