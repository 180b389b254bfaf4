"""A web workspace over a temporary SQLite store holding demo_portfolio(seed=7)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.testclient import TestClient

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.errors import NotFoundError
from kam.model import Portfolio
from kam.store.repository import Store
from kam.users import create_user, get_user
from kam.web import create_app

PASSWORD = "a long enough password"
BASE = "http://testserver"


@dataclass
class Workspace:
    """The app, its store and the portfolio it was loaded from."""

    app: FastAPI
    store: Store
    portfolio: Portfolio

    def client(self) -> TestClient:
        return TestClient(self.app, base_url=BASE)

    def add_user(self, email: str, role: str) -> str:
        """Sign ``email`` up with ``role``; tests share one workspace, so a user an
        earlier test signed up with the same role is reused (another role fails)."""
        try:
            existing = get_user(self.store.engine, email)
        except NotFoundError:
            create_user(self.store.engine, email, role, password=PASSWORD)
            return email
        assert existing.role == role, f"{email} is already signed up as {existing.role}"
        return email


def rows(portfolio: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


def member_email(portfolio: Portfolio, member_id: str) -> str:
    for r in rows(portfolio, "Team"):
        if r["member_id"] == member_id:
            return str(r["email"])
    raise AssertionError(member_id)


def readable_oracle(portfolio: Portfolio, email: str) -> set[str]:
    """Accounts a KAM or viewer reads, from the portfolio's own tables."""
    members = {
        r["member_id"]
        for r in rows(portfolio, "Team")
        if str(r["email"] or "").lower() == email.lower()
    }
    owned = {
        str(r["account_id"])
        for r in rows(portfolio, "Accounts")
        if r["owner"] in members
    }
    on_team = {
        str(r["account_id"])
        for r in rows(portfolio, "AccountTeam")
        if r["member_id"] in members
    }
    return owned | on_team


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path: Path = tmp_path_factory.mktemp("web") / "kam.db"
    url = f"sqlite:///{path}"
    store = Store(url)
    store.upgrade()
    portfolio = demo_portfolio(seed=7)
    store.import_portfolio(portfolio)
    app = create_app(Settings(database_url=url), store=store)
    yield Workspace(app, store, portfolio)
    app.state.kam.engine.close()
    store.dispose()


def pre_token(client: TestClient) -> str:
    page = client.get("/signin")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form; fail the test unless it succeeds."""
    response = client.post(
        "/signin",
        data={"csrf_token": pre_token(client), "email": email, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient) -> str:
    page = client.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def server(workspace: Workspace) -> Iterator[str]:
    """The module's workspace served by uvicorn on a free port of 127.0.0.1, for the
    browser tests (a module that shadows ``workspace`` gets its own served)."""
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
