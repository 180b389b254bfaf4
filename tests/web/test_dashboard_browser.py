"""In Debian's Chromium: open the dashboard, see the charts drawn, pick another
month and see the tiles change to that month's figures, worked out from the demo's
MRR rows. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Workspace, rows
from tests.web.test_browser import ARTIFACTS, CHROMIUM, FLAGS

pytestmark = pytest.mark.browser


def _total(workspace: Workspace, month: str) -> str:
    total = sum(
        (
            Decimal(str(r["mrr"]))
            for r in rows(workspace.portfolio, "MRR")
            if r["month"] == month
        ),
        Decimal("0"),
    )
    return f"{total:,.2f}"


def test_picking_another_month_changes_the_tiles_in_the_browser(
    workspace: Workspace,
    server: str,
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    last, picked = _total(workspace, "2026-10"), _total(workspace, "2024-03")
    assert last != picked
    email = workspace.add_user("dashboard-browser@example.com", "executive")
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
            page.goto(f"{server}/dashboard")
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(f"{server}/dashboard")
            page.wait_for_selector("#bridge svg .waterfalllayer path")
            assert last in page.inner_text("#tile-mrr")
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            page.select_option("#month", "2024-03")
            page.click("#scope-apply")
            page.wait_for_url("**/dashboard?month=2024-03*")
            page.wait_for_selector("#mrr-by-plan svg .barlayer path")
            assert page.inner_text("#shown-month") == "2024-03"
            tile = page.inner_text("#tile-mrr")
            assert picked in tile
            assert last not in tile
            page.screenshot(path=str(ARTIFACTS / "dashboard-month.png"), full_page=True)
        finally:
            browser.close()
