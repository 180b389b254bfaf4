"""What each role sees through the pages and the API, against an oracle computed
from the demo portfolio's Accounts, Team and AccountTeam tables."""

from __future__ import annotations

import re
from decimal import Decimal

from kam.access import Principal, readable_accounts
from tests.web.conftest import (
    Workspace,
    member_email,
    readable_oracle,
    rows,
    sign_in,
)


def _listed(html: str) -> set[str]:
    table = html.split('id="accounts"', 1)[1]
    return set(re.findall(r'<a href="/accounts/([^"]+)">', table))


def _ranked(html: str) -> set[str]:
    table = html.split('id="ranked"', 1)[1]
    return set(re.findall(r'<a href="/accounts/([^"]+)">', table))


def test_the_two_kams_have_disjoint_nonempty_books(workspace: Workspace) -> None:
    one = readable_oracle(workspace.portfolio, member_email(workspace.portfolio, "M01"))
    two = readable_oracle(workspace.portfolio, member_email(workspace.portfolio, "M02"))
    assert one
    assert two
    assert not one & two


def test_a_kam_sees_only_their_book_in_the_list_the_api_and_pareto(
    workspace: Workspace,
) -> None:
    portfolio = workspace.portfolio
    email = member_email(portfolio, "M01")
    other = readable_oracle(portfolio, member_email(portfolio, "M02"))
    mine = readable_oracle(portfolio, email)
    workspace.add_user(email, "kam")
    client = workspace.client()
    sign_in(client, email)

    assert _listed(client.get("/accounts").text) == mine
    assert {r["account_id"] for r in client.get("/api/accounts").json()} == mine

    pareto = client.get("/api/analyses/pareto").json()
    ranked = {r["account_id"] for r in pareto["rows"]}
    assert ranked <= mine
    assert not ranked & other
    assert _ranked(client.get("/tools/pareto").text) == ranked

    abc = client.get("/api/analyses/abc").json()
    assert {r["account_id"] for r in abc["rows"]} <= mine


def test_a_kams_pareto_total_is_the_sum_of_their_own_revenue(
    workspace: Workspace,
) -> None:
    portfolio = workspace.portfolio
    email = member_email(portfolio, "M01")
    mine = readable_oracle(portfolio, email)
    workspace.add_user("m01-total@example.com", "executive")
    executive = workspace.client()
    sign_in(executive, "m01-total@example.com")
    everyone = executive.get("/api/analyses/pareto").json()
    period_from = everyone["parameters"]["period_from"]
    period_to = everyone["parameters"]["period_to"]
    assert period_from == period_to  # one fiscal year
    assert len(period_from) == 4
    expected = sum(
        (
            Decimal(str(r["amount"]))
            for r in rows(portfolio, "Revenue")
            if r["account_id"] in mine and str(r["period"]).startswith(period_from)
        ),
    )
    kam = workspace.client()
    sign_in(kam, email)
    got = kam.get(
        "/api/analyses/pareto",
        params={"period_from": period_from, "period_to": period_to},
    ).json()
    assert got["summary"]["total"] == str(expected)


def test_a_kam_asking_for_another_kams_account_gets_404(workspace: Workspace) -> None:
    portfolio = workspace.portfolio
    email = member_email(portfolio, "M01")
    foreign = sorted(readable_oracle(portfolio, member_email(portfolio, "M02")))[0]
    own = sorted(readable_oracle(portfolio, email))[0]
    client = workspace.client()
    sign_in(client, email)
    assert client.get(f"/accounts/{own}").status_code == 200
    assert client.get(f"/accounts/{foreign}").status_code == 404
    assert client.get("/accounts/NO-SUCH").status_code == 404


def test_an_executive_sees_every_account(workspace: Workspace) -> None:
    email = workspace.add_user("exec-all@example.com", "executive")
    client = workspace.client()
    sign_in(client, email)
    every = {str(r["account_id"]) for r in rows(workspace.portfolio, "Accounts")}
    assert len(every) == 120
    assert _listed(client.get("/accounts").text) == every
    assert {r["account_id"] for r in client.get("/api/accounts").json()} == every


def test_a_viewer_sees_the_accounts_they_are_on(workspace: Workspace) -> None:
    email = member_email(workspace.portfolio, "M09")
    workspace.add_user(email, "viewer")
    client = workspace.client()
    sign_in(client, email)
    expected = readable_oracle(workspace.portfolio, email)
    assert 0 < len(expected) < 120
    assert {r["account_id"] for r in client.get("/api/accounts").json()} == expected
    assert readable_accounts(
        workspace.store, Principal(0, email, "viewer")
    ) == frozenset(expected)
