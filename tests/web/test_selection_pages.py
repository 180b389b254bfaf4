"""The scoring and profit pages, per role, checked against the demo rows by hand.

Expected figures are computed here from the portfolio's own Criteria, Scores and
Profit rows with exact fractions (analyses.md §3 and §7), never read from the
analysis.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import Workspace, member_email, readable_oracle, rows, sign_in

_ROW = re.compile(r'<tr data-account="([^"]+)"')


def _overall(
    workspace: Workspace,
    weights: dict[str, Fraction] | None = None,
    accounts: set[str] | None = None,
) -> dict[str, Fraction]:
    """O(a) by hand: the raters' mean per criterion, each section's weighted mean,
    then the mean of the sections that have criteria (equal section weights)."""
    crits = {
        str(c["criterion_id"]): (str(c["section"]), Fraction(str(c["weight"])))
        for c in rows(workspace.portfolio, "Criteria")
    }
    for cid, w in (weights or {}).items():
        crits[cid] = (crits[cid][0], w)
    given: dict[tuple[str, str], list[Fraction]] = defaultdict(list)
    for s in rows(workspace.portfolio, "Scores"):
        a = str(s["account_id"])
        if accounts is None or a in accounts:
            given[(a, str(s["criterion_id"]))].append(Fraction(str(s["score"])))
    out: dict[str, Fraction] = {}
    for a in {a for a, _ in given}:
        sections: list[Fraction] = []
        for sec in sorted({s for s, _ in crits.values()}):
            num = Fraction(0)
            den = Fraction(0)
            for cid, (s, w) in crits.items():
                xs = given.get((a, cid))
                if s == sec and xs:
                    num += w * sum(xs) / len(xs)
                    den += w
            sections.append(num / den)
        out[a] = sum(sections, Fraction(0)) / len(sections)
    return out


def _ranking(html: str) -> list[str]:
    table = html[html.index('id="ranked"') :]
    return _ROW.findall(table)


def _score_of(html: str, account: str) -> Fraction:
    found = re.search(
        rf'<tr data-account="{account}">.*?<td class="num score">([^<]+)</td>', html
    )
    assert found is not None, account
    return Fraction(Decimal(found.group(1)))


@pytest.fixture(scope="module")
def analyst(workspace: Workspace) -> TestClient:
    client = workspace.client()
    sign_in(client, workspace.add_user("selection-analyst@example.com", "analyst"))
    return client


def test_the_scoring_page_ranks_every_account_by_the_hand_computed_score(
    workspace: Workspace, analyst: TestClient
) -> None:
    expected = _overall(workspace)
    html = analyst.get("/tools/scoring?rows=all").text
    ranking = _ranking(html)
    assert sorted(ranking) == sorted(expected)
    # The page's order is by descending score; every shown score is exact.
    assert [expected[a] for a in ranking] == sorted(expected.values(), reverse=True)
    best = max(expected, key=lambda a: expected[a])
    assert ranking[0] == best
    assert _score_of(html, best) == expected[best]
    assert "9999" not in html  # no 2.9499999-style floats anywhere


def test_the_scoring_tables_show_weights_and_the_weighted_average_row(
    workspace: Workspace, analyst: TestClient
) -> None:
    html = analyst.get("/tools/scoring?cols=1").text
    first = _ranking(html)[0]
    growth = html[html.index('id="section-growth"') :]
    growth = growth[: growth.index("</table>")]
    # Weight column: G2 is 0.35 on the demo Criteria sheet; the section sums to 1.
    assert 'name="w.G2"' in growth
    assert 'value="0.35"' in growth
    # The weighted-average row of the one shown account, by hand from its rows.
    crits = {
        str(c["criterion_id"]): Fraction(str(c["weight"]))
        for c in rows(workspace.portfolio, "Criteria")
        if c["section"] == "growth"
    }
    xs: dict[str, list[Fraction]] = defaultdict(list)
    for s in rows(workspace.portfolio, "Scores"):
        if s["account_id"] == first and s["criterion_id"] in crits:
            xs[str(s["criterion_id"])].append(Fraction(str(s["score"])))
    num = sum((crits[c] * sum(v) / len(v) for c, v in xs.items()), Fraction(0))
    expected = num / sum(crits[c] for c in xs)
    found = re.search(
        r'<tr class="total"><th>weighted average</th><th class="num">[^<]*</th>'
        r'<th class="num">([^<]+)</th>',
        growth,
    )
    assert found is not None
    assert Fraction(Decimal(found.group(1))) == expected


def test_what_if_weights_rerank_without_saving(
    workspace: Workspace, analyst: TestClient
) -> None:
    # Growth judged on G1 alone (size today): the ranking is worked out by hand.
    what_if = {
        "G1": Fraction(1),
        "G2": Fraction(0),
        "G3": Fraction(0),
        "G4": Fraction(0),
    }
    base = _overall(workspace)
    moved = _overall(workspace, what_if)
    base_top = max(base, key=lambda a: (base[a], a))
    moved_top_score = max(moved.values())
    moved_tops = sorted(a for a in moved if moved[a] == moved_top_score)
    assert base_top not in moved_tops  # the change must matter for this test
    query = "&".join(f"w.{c}={w}" for c, w in what_if.items())
    html = analyst.get(f"/tools/scoring?rows=all&{query}").text
    assert 'id="what-if-note"' in html
    ranking = _ranking(html)
    assert ranking[0] in moved_tops
    assert _score_of(html, ranking[0]) == moved_top_score
    assert [moved[a] for a in ranking] == sorted(moved.values(), reverse=True)
    # Nothing was saved: the plain page still ranks by the sheet's weights.
    again = analyst.get("/tools/scoring?rows=all").text
    assert 'id="what-if-note"' not in again
    assert _score_of(again, ranking[0]) == base[ranking[0]]


def test_what_if_weights_that_do_not_sum_are_refused_with_the_form_kept(
    analyst: TestClient,
) -> None:
    response = analyst.get("/tools/scoring?w.G1=0.9")
    assert response.status_code == 400
    # 0.9 + 0.35 + 0.20 + 0.30 = 1.75
    assert "sum to 1.75" in response.text
    assert 'value="0.9"' in response.text
    bad = analyst.get("/tools/scoring?w.G1=lots")
    assert bad.status_code == 400
    assert "is not a number" in bad.text


def test_a_kam_scores_only_the_accounts_they_read(workspace: Workspace) -> None:
    email = member_email(workspace.portfolio, "M04")
    workspace.add_user(email, "kam")
    client = workspace.client()
    sign_in(client, email)
    readable = readable_oracle(workspace.portfolio, email)
    expected = _overall(workspace, accounts=readable)
    assert expected, "the demo KAM should have scored accounts"
    html = client.get("/tools/scoring?rows=all").text
    ranking = _ranking(html)
    assert sorted(ranking) == sorted(expected)
    # Ranks are within the book: the best of the book is rank 1.
    assert re.search(rf'<tr data-account="{ranking[0]}"><td class="num">1[=<]', html)
    profit = client.get("/tools/profit?rows=all").text
    assert set(_ranking(profit)) <= readable


def _profit_by_hand(workspace: Workspace) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows(workspace.portfolio, "Profit"):
        parts = [
            r[p]
            for p in (
                "cts_presale",
                "cts_production",
                "cts_distribution",
                "cts_postsale",
            )
            if r[p] is not None
        ]
        cts = r["cost_to_serve"] if r["cost_to_serve"] is not None else sum(parts)
        out[str(r["account_id"])] += (
            Decimal(str(r["net_revenue"]))
            - Decimal(str(r["cogs"] or 0))
            - Decimal(str(cts or 0))
        )
    return out


def test_the_profit_page_shows_total_loss_makers_and_the_policy_grid(
    workspace: Workspace, analyst: TestClient
) -> None:
    by_account = _profit_by_hand(workspace)
    html = analyst.get("/tools/profit?rows=all").text
    total = sum(by_account.values(), Decimal(0))
    assert f'id="total-profit">{total:,.2f}<' in html
    losers = sorted(a for a, p in by_account.items() if p < 0)
    assert f'id="loss-makers">{len(losers)}<' in html
    ranking = _ranking(html)
    assert ranking[0] == max(by_account, key=lambda a: by_account[a])
    for a in losers:
        assert re.search(rf'<tr data-account="{a}" class="loss">', html)
    # The template's service policies in the corners of the grid.
    assert re.search(
        r'id="cell-A1" class="[^"]*"><strong class="policy">perfection / never miss<',
        html,
    )
    assert re.search(
        r'id="cell-D4" class="[^"]*"><strong class="policy">tough it out / outsource<',
        html,
    )
    assert 'data-figure="quadrant-figure"' in html
    assert 'data-figure="whale-figure"' in html


def test_both_pages_are_in_the_navigation_for_a_viewer(workspace: Workspace) -> None:
    client = workspace.client()
    sign_in(client, workspace.add_user("selection-viewer@example.com", "viewer"))
    html = client.get("/").text
    assert 'href="/tools/scoring"' in html
    assert 'href="/tools/profit"' in html
    # A viewer on no account team reads no account: nothing is ranked, and the
    # page says why instead of naming an empty sheet.
    for url in ("/tools/scoring", "/tools/profit"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'id="no-accounts"' in response.text
        assert 'id="ranked"' not in response.text
