"""In Debian's Chromium: sign in, open Pareto, see the chart drawn, change the
threshold and see the headline change. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.web.conftest import PASSWORD, Workspace

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(workspace: Workspace) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        workspace.app, host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_sign_in_open_pareto_and_change_the_threshold(
    workspace: Workspace, server: str, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    email = workspace.add_user("browser@example.com", "analyst")
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
            page.goto(f"{server}/tools/pareto")
            assert "/signin" in page.url
            page.fill('input[name="email"]', email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url(f"{server}/tools/pareto")
            page.wait_for_selector("#pareto-chart svg .barlayer path")
            assert page.locator("#pareto-chart svg .scatterlayer path").count() > 0
            before = page.inner_text("#headline")
            page.screenshot(path=str(ARTIFACTS / "pareto.png"), full_page=True)
            page.fill('input[name="threshold"]', "0.5")
            page.click('#params button[type="submit"]')
            page.wait_for_url("**threshold=0.5**")
            page.wait_for_selector("#pareto-chart svg .barlayer path")
            after = page.inner_text("#headline")
            page.screenshot(path=str(ARTIFACTS / "pareto-0.5.png"), full_page=True)
        finally:
            browser.close()
    assert before != after
    assert before.split(" of ")[0] != after.split(" of ")[0]  # k moved
