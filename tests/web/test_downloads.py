"""Download deck and Download .xlsx: files that open, built over the readable
accounts only."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from starlette.testclient import TestClient

from tests.deck.conftest import all_text, charts, reopen, xlsx_formulas_and_strings
from tests.web.conftest import (
    Workspace,
    member_email,
    readable_oracle,
    rows,
    sign_in,
)

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.fixture(scope="module")
def kam(workspace: Workspace) -> tuple[TestClient, set[str]]:
    """A signed-in KAM (M05) and the accounts they may read."""
    email = member_email(workspace.portfolio, "M05")
    workspace.add_user(email, "kam")
    client = workspace.client()
    sign_in(client, email)
    return client, readable_oracle(workspace.portfolio, email)


def _names(workspace: Workspace) -> dict[str, str]:
    return {
        str(r["account_id"]): str(r["name"])
        for r in rows(workspace.portfolio, "Accounts")
    }


def test_a_kams_deck_names_their_accounts_and_no_other(
    workspace: Workspace, kam: tuple[TestClient, set[str]]
) -> None:
    client, mine = kam
    response = client.get("/download/deck?only=pareto")
    assert response.status_code == 200
    assert response.headers["content-type"] == PPTX
    assert 'filename="portfolio.pptx"' in response.headers["content-disposition"]
    prs = reopen(response.content)
    text = all_text(prs)
    labels = {c for chart in charts(prs) for c in chart.plots[0].categories}
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        embedded = [z.read(n) for n in z.namelist() if n.startswith("ppt/embeddings/")]
    strings = {s for data in embedded for s in xlsx_formulas_and_strings(data)[1]}
    names = _names(workspace)
    ranked = {
        r["account_id"] for r in client.get("/api/analyses/pareto").json()["rows"]
    }
    assert ranked <= mine
    # Fewer than 40 accounts: one bar, one table row per ranked account, by name.
    assert labels == {names[a] for a in ranked}
    for account, name in names.items():
        if account in ranked:
            assert name in text
            assert name in strings
        elif account not in mine:
            assert name not in text
            assert name not in strings


def test_a_kam_downloads_their_account_deck_but_not_anothers(
    workspace: Workspace, kam: tuple[TestClient, set[str]]
) -> None:
    client, mine = kam
    own = sorted(mine)[0]
    response = client.get(f"/download/deck/{own}")
    assert response.status_code == 200
    assert reopen(response.content).slides[0].shapes[0].text_frame.text == (
        f"Account review: {_names(workspace)[own]}"
    )
    foreign = sorted(set(_names(workspace)) - mine)[0]
    assert client.get(f"/download/deck/{foreign}").status_code == 404


def test_analysis_workbook_keeps_the_page_parameters_and_the_kams_rows(
    kam: tuple[TestClient, set[str]],
) -> None:
    client, mine = kam
    response = client.get("/download/pareto.xlsx?threshold=0.9")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content))["pareto"]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 40)}
    assert cells["threshold"] == 0.9
    table = ws.tables["pareto_rows"]
    first, last = table.ref.split(":")
    header = int(first[1:])
    ids = {ws.cell(r, 2).value for r in range(header + 1, int(last[1:]) + 1)}
    ranked = client.get("/api/analyses/pareto?threshold=0.9").json()["rows"]
    assert ids == {r["account_id"] for r in ranked}
    assert ids <= mine


def test_pages_link_to_their_downloads(kam: tuple[TestClient, set[str]]) -> None:
    client, mine = kam
    assert 'href="/download/deck"' in client.get("/").text
    own = sorted(mine)[0]
    assert f'href="/download/deck/{own}"' in client.get(f"/accounts/{own}").text
    pareto = client.get("/tools/pareto?threshold=0.9").text
    assert 'href="/download/pareto.xlsx?threshold=0.9"' in pareto
    assert 'href="/download/abc.xlsx"' in client.get("/tools/abc").text


def test_unknown_analysis_download_is_not_found(
    kam: tuple[TestClient, set[str]],
) -> None:
    client, _ = kam
    assert client.get("/download/nothing.xlsx").status_code == 404
