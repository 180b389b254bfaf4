"""For every role: the accounts list, the API, the overview count, the Pareto and ABC
pages and their API answers hold exactly (or only) the accounts the role may read,
against an oracle computed from the demo's Accounts, Team and AccountTeam tables."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Workspace, member_email, readable_oracle, rows, sign_in

#: role -> Team member whose e-mail the user signs in with (None: a new address).
ROLES = {
    "admin": None,
    "analyst": None,
    "executive": None,
    "kam": "M04",
    "viewer": "M10",
}


def _links(html: str, table_id: str) -> set[str]:
    if f'id="{table_id}"' not in html:
        return set()
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'<a href="/accounts/([^"?]+)">', table))


@pytest.mark.parametrize("role", list(ROLES))
def test_every_view_holds_only_the_accounts_the_role_reads(
    workspace: Workspace, role: str
) -> None:
    p = workspace.portfolio
    member = ROLES[role]
    email = member_email(p, member) if member else f"every-{role}@example.com"
    everything = {str(r["account_id"]) for r in rows(p, "Accounts")}
    book = readable_oracle(p, email) if member else everything
    if member:
        assert 0 < len(book) < len(everything)
    workspace.add_user(email, role)
    client = workspace.client()
    sign_in(client, email)

    assert {r["account_id"] for r in client.get("/api/accounts").json()} == book
    listed = client.get("/accounts?rows=all").text
    assert _links(listed, "accounts") == book
    assert f'id="account-count">{len(book)}<' in client.get("/").text

    pareto = client.get("/api/analyses/pareto").json()
    ranked = {r["account_id"] for r in pareto["rows"]}
    assert ranked <= book
    page = client.get("/tools/pareto?rows=all").text
    assert _links(page, "ranked") == ranked

    abc = client.get("/api/analyses/abc").json()
    assert {r["account_id"] for r in abc["rows"]} <= book
    downgraded = {r["account_id"] for r in abc["tables"]["downgrades"]}
    assert downgraded <= book
    assert _links(client.get("/tools/abc?rows=all").text, "downgrades") == downgraded
    outside = sorted(everything - book)
    for account_id in outside[:3]:
        assert client.get(f"/accounts/{account_id}").status_code == 404
