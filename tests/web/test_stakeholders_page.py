"""The read-only stakeholder map page: access, the chart and the recommended path."""

from __future__ import annotations

import contextlib
import re

from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.stakeholders import CONSULTANCY_LEAD, EVP_CIO, STAKEHOLDERS
from kam.demo.team import FLAGSHIP_KAM
from kam.errors import ConflictError
from kam.model import Portfolio
from tests.web.conftest import (
    Workspace,
    member_email,
    readable_oracle,
    rows,
    sign_in,
)


def member_name(portfolio: Portfolio, member: str) -> str:
    return next(
        str(r["name"]) for r in rows(portfolio, "Team") if r["member_id"] == member
    )


def _kam(workspace: Workspace, member: str) -> str:
    """The member's e-mail, signed up as a KAM (the workspace is shared)."""
    email = member_email(workspace.portfolio, member)
    with contextlib.suppress(ConflictError):
        workspace.add_user(email, "kam")
    return email


def _owner_email(workspace: Workspace) -> str:
    email = _kam(workspace, FLAGSHIP_KAM)
    assert FLAGSHIP_ID in readable_oracle(workspace.portfolio, email)
    return email


def test_the_flagship_kam_sees_the_evp_first_with_the_path_through_the_lead(
    workspace: Workspace,
) -> None:
    client = workspace.client()
    sign_in(client, _owner_email(workspace))
    response = client.get(f"/accounts/{FLAGSHIP_ID}/stakeholders")
    assert response.status_code == 200
    html = response.text
    targets = html.split('id="targets"', 1)[1].split("</table>", 1)[0]
    first_row = targets.split("<tr>")[2]
    evp = next(p for p in STAKEHOLDERS if p.stakeholder_id == EVP_CIO)
    lead = next(p for p in STAKEHOLDERS if p.stakeholder_id == CONSULTANCY_LEAD)
    assert evp.name in first_row
    assert f"{lead.name} → {evp.name}" in first_row
    assert "81 %" in first_row
    # KAM → lead and lead → EVP are both 0.9: the first step is the weakest link.
    kam = member_name(workspace.portfolio, FLAGSHIP_KAM)
    assert f"weakest link {kam} → {lead.name}, p 0.90" in first_row
    svg = html.split('<svg id="orgchart"', 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r'<g class="node"', svg)) == len(STAKEHOLDERS)
    # One solid line per reports-to, one dotted line per dotted line of the demo.
    managed = sum(1 for p in STAKEHOLDERS if p.reports_to is not None)
    assert svg.count('class="reports-to"') == managed
    assert svg.count('class="influence"') == 8
    # Key touchpoints of the flagship: the lead, OV12 and OV15.
    assert svg.count('class="key-touchpoint"') == 3


def test_a_kam_of_another_account_gets_404(workspace: Workspace) -> None:
    portfolio = workspace.portfolio
    other = next(
        m
        for m in ("M02", "M03", "M04")
        if FLAGSHIP_ID not in readable_oracle(portfolio, member_email(portfolio, m))
    )
    client = workspace.client()
    sign_in(client, _kam(workspace, other))
    assert client.get(f"/accounts/{FLAGSHIP_ID}/stakeholders").status_code == 404
    assert client.get("/accounts/NO-SUCH/stakeholders").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(workspace: Workspace) -> None:
    response = workspace.client().get(
        f"/accounts/{FLAGSHIP_ID}/stakeholders", follow_redirects=False
    )
    assert response.status_code in (302, 303)
    assert "/signin" in response.headers["location"]


def test_the_account_page_links_to_its_decision_map(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, _owner_email(workspace))
    html = client.get(f"/accounts/{FLAGSHIP_ID}").text
    assert f'href="/accounts/{FLAGSHIP_ID}/stakeholders"' in html
