"""In Debian's Chromium: the flagship's KAM adds a predecessor in the task editor and
sees the critical path move (screenshots in tests/artifacts/)."""

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
    # Shadows the shared workspace: this test changes the timeline.
    w = fresh_workspace(tmp_path_factory.mktemp("plan-edit-browser") / "kam.db")
    yield w
    w.app.state.kam.engine.close()
    w.store.dispose()


def _critical(page: object) -> set[str]:
    rows = page.locator("#tasks tr.critical")  # type: ignore[attr-defined]
    return {
        str(rows.nth(i).get_attribute("data-edit")).removeprefix("task:")
        for i in range(rows.count())
    }


def test_adding_a_predecessor_moves_the_critical_path(
    workspace: Workspace, server: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    email = member_email(workspace.portfolio, FLAGSHIP_KAM)
    timeline = f"{server}/accounts/{FLAGSHIP_ID}/timeline"
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
            page.goto(timeline)
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(timeline)
            before = _critical(page)
            page.click('tr[data-edit="task:MIG10"] a.edit-link')
            page.wait_for_url("**/edit/task?task_id=MIG10")
            page.fill("#edit-predecessors", "MIG06; MIG07")
            page.screenshot(path=str(ARTIFACTS / "task-edit.png"), full_page=True)
            page.click("#save")
            page.wait_for_url(timeline)
            after = _critical(page)
            path = page.locator("#critical-path").inner_text()
            page.screenshot(path=str(ARTIFACTS / "timeline-after-edit.png"))
        finally:
            browser.close()
    # Worked out in test_planning_edit: MIG10 after wave 1 makes the EHR chain
    # (MIG10–MIG13) critical and takes waves 2 and 3 (MIG08, MIG09) off the path.
    assert {"MIG08", "MIG09"} <= before
    assert not {"MIG10", "MIG11", "MIG12", "MIG13"} & before
    assert {"MIG10", "MIG11", "MIG12", "MIG13"} <= after
    assert not {"MIG08", "MIG09"} & after
    assert "EHR integration build" in path
