"""Import in the browser: the validation report, the dry-run counts, the confirmed
import, and who may import what. Each test runs on its own store."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kam.config import Limits, Settings
from kam.demo import demo_portfolio
from kam.store.repository import Store
from kam.web import create_app
from kam.web.settings import WebSettings
from tests.web.conftest import (
    Workspace,
    csrf_of,
    member_email,
    readable_oracle,
    sign_in,
)

BAD_REVENUE = (
    "account_id,period,product,amount\n"
    "A001,2024-01,Enterprise,100.00\n"
    "A001,2024-13,Enterprise,100.00\n"
    "A002,2024-02,Enterprise,lots\n"
)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Workspace]:
    url = f"sqlite:///{tmp_path / 'kam.db'}"
    store = Store(url)
    store.upgrade()
    portfolio = demo_portfolio(seed=7)
    store.import_portfolio(portfolio)
    app = create_app(
        Settings(database_url=url, limits=Limits(upload_bytes=64 * 1024)),
        web=WebSettings(upload_dir=tmp_path / "uploads"),
        store=store,
    )
    yield Workspace(app, store, portfolio)
    app.state.kam.engine.close()
    store.dispose()


def signed_in(ws: Workspace, email: str, role: str) -> TestClient:
    ws.add_user(email, role)
    client = ws.client()
    sign_in(client, email)
    return client


def upload(client: TestClient, name: str, text: str, **extra: str) -> Any:
    files = {"file": (name, text.encode(), "text/csv")}
    data = {"csrf_token": csrf_of(client), **extra}
    return client.post("/import", data=data, files=files)


def confirm(client: TestClient, html: str) -> Any:
    found = re.search(r'name="upload_id" value="([^"]+)"', html)
    assert found is not None
    data = {
        "csrf_token": csrf_of(client),
        "upload_id": found.group(1),
        "filename": "x.csv",
    }
    return client.post("/import/confirm", data=data)


def counts(html: str) -> dict[str, tuple[int, int, int, int]]:
    found = re.findall(
        r'<tr data-sheet="(\w+)"><td>\w+</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td>',
        html,
    )
    return {s: (int(a), int(b), int(c), int(d)) for s, a, b, c, d in found}


def test_signed_out_the_import_sends_to_sign_in(fresh: Workspace) -> None:
    client = fresh.client()
    response = client.get("/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_executives_and_viewers_cannot_import(fresh: Workspace) -> None:
    for role in ("executive", "viewer"):
        client = signed_in(fresh, f"{role}@example.com", role)
        assert client.get("/import").status_code == 403
        response = upload(client, "Revenue.csv", BAD_REVENUE)
        assert response.status_code == 403


def test_errors_are_listed_by_sheet_row_column_and_value_and_downloadable(
    fresh: Workspace,
) -> None:
    client = signed_in(fresh, "ana@example.com", "analyst")
    before = fresh.store.checksum()
    response = upload(client, "Revenue.csv", BAD_REVENUE)
    assert response.status_code == 422
    html = response.text
    assert "<h3>Revenue" in html
    # Line 3 of the file holds the month 13, line 4 the amount "lots".
    assert re.search(r'<td class="num">3</td><td>period</td><td>2024-13</td>', html)
    assert re.search(r'<td class="num">4</td><td>amount</td><td>lots</td>', html)
    link = re.search(r'href="(/import/report/[^"]+\.csv)"', html)
    assert link is not None
    report = client.get(link.group(1))
    assert report.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(report.text)))
    located = {(r["sheet"], r["row"], r["column"], r["value"]) for r in lines}
    assert ("Revenue", "3", "period", "2024-13") in located
    assert ("Revenue", "4", "amount", "lots") in located
    # Another session cannot fetch the report, and nothing was written.
    other = signed_in(fresh, "bo@example.com", "analyst")
    assert other.get(link.group(1)).status_code == 404
    assert fresh.store.checksum() == before


def test_a_valid_file_shows_the_counts_and_imports_only_when_confirmed(
    fresh: Workspace,
) -> None:
    client = signed_in(fresh, "ana@example.com", "analyst")
    before = fresh.store.checksum()
    text = (
        "account_id,name,segment,owner\n"
        "A001,Orrinvale Health System (renamed),Enterprise,M01\n"
        "Z900,A brand new account,SMB,M02\n"
    )
    checked = upload(client, "Accounts.csv", text)
    assert checked.status_code == 200
    # A001 exists and its name changes; Z900 is new.
    assert counts(checked.text) == {"Accounts": (1, 1, 0, 0)}
    assert fresh.store.checksum() == before
    done = confirm(client, checked.text)
    assert done.status_code == 200
    assert "was imported" in done.text
    assert counts(done.text) == {"Accounts": (1, 1, 0, 0)}
    stored = {
        r["account_id"]: r["name"]
        for r in fresh.store.load_portfolio(sheets=["Accounts"]).rows("Accounts")
    }
    assert stored["Z900"] == "A brand new account"
    assert stored["A001"] == "Orrinvale Health System (renamed)"
    assert len(stored) == 121
    # The upload is gone once imported: confirming again finds nothing.
    assert confirm(client, checked.text).status_code == 404


def test_a_kam_may_import_rows_of_their_own_accounts_only(fresh: Workspace) -> None:
    p = fresh.portfolio
    email = member_email(p, "M01")
    mine = sorted(readable_oracle(p, email))
    theirs = sorted(readable_oracle(p, member_email(p, "M02")))
    client = signed_in(fresh, email, "kam")
    rows = f"{mine[0]},2031-01,Enterprise,10.00\n{theirs[0]},2031-01,Enterprise,5.00\n"
    refused = upload(client, "Revenue.csv", "account_id,period,product,amount\n" + rows)
    assert refused.status_code == 422
    assert f"account {theirs[0]} is not one of yours" in refused.text
    assert f"account {mine[0]} is not" not in refused.text
    own = f"account_id,period,product,amount\n{mine[0]},2031-01,Enterprise,10.00\n"
    accepted = upload(client, "Revenue.csv", own)
    assert counts(accepted.text) == {"Revenue": (1, 0, 0, 0)}
    team = "member_id,name,email\nM99,Someone,someone@example.com\n"
    portfolio_wide = upload(client, "Team.csv", team)
    assert "sheet Team is portfolio-wide" in portfolio_wide.text


def test_an_upload_over_the_limit_is_refused(fresh: Workspace) -> None:
    client = signed_in(fresh, "ana@example.com", "analyst")
    big = "account_id,name\n" + "".join(f"B{i:06d},name {i}\n" for i in range(6000))
    assert len(big) > 64 * 1024
    response = upload(client, "Accounts.csv", big)
    assert response.status_code == 400
    assert "larger than" in response.text
    assert not list((Path(str(fresh.app.state.kam.web.upload_dir))).rglob("*.csv"))


def test_upload_and_confirm_refuse_a_missing_token(fresh: Workspace) -> None:
    client = signed_in(fresh, "ana@example.com", "analyst")
    files = {"file": ("Revenue.csv", BAD_REVENUE.encode(), "text/csv")}
    assert client.post("/import", files=files).status_code == 403
    assert (
        client.post("/import/confirm", data={"upload_id": "x" * 24}).status_code == 403
    )
