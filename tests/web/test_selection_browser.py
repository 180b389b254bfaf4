"""In Debian's Chromium: open the scoring page, see the bubble chart drawn, change
criterion weights in the what-if form and see the ranking change to the one worked
out by hand. A screenshot of each step goes to tests/artifacts/."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Workspace
from tests.web.test_browser import ARTIFACTS, CHROMIUM, FLAGS
from tests.web.test_selection_pages import _overall

pytestmark = pytest.mark.browser

_FIRST = "#ranked tbody tr:first-child"


def test_what_if_weights_change_the_ranking_in_the_browser(
    workspace: Workspace,
    server: str,
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    # Growth judged on G1 alone: the new best accounts, by hand.
    what_if = {"G1": 1, "G2": 0, "G3": 0, "G4": 0}
    base = _overall(workspace)
    moved = _overall(workspace, {c: Fraction(w) for c, w in what_if.items()})
    base_tops = {a for a in base if base[a] == max(base.values())}
    moved_tops = {a for a in moved if moved[a] == max(moved.values())}
    assert not base_tops & moved_tops
    email = workspace.add_user("selection-browser@example.com", "analyst")
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
            page.set_default_timeout(60_000)
            page.goto(f"{server}/tools/scoring")
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(f"{server}/tools/scoring")
            page.wait_for_selector("#bubble-chart svg .scatterlayer path")
            before = page.get_attribute(_FIRST, "data-account")
            assert before in base_tops
            page.screenshot(path=str(ARTIFACTS / "scoring.png"), full_page=True)
            for cid, w in what_if.items():
                page.fill(f"#w-{cid}", str(w))
            page.click("#what-if-run")
            page.wait_for_selector("#what-if-note")
            after = page.get_attribute(_FIRST, "data-account")
            assert after in moved_tops
            assert "w.G2=0" in page.url
            page.screenshot(path=str(ARTIFACTS / "scoring-what-if.png"), full_page=True)
            # Back to the saved weights: the first ranking again.
            page.click("#what-if-reset")
            page.wait_for_selector("#bubble-chart svg .scatterlayer path")
            assert page.get_attribute(_FIRST, "data-account") == before
        finally:
            browser.close()
