"""The Dashboard and Retention pages and the account page's health part, per role.

Expected numbers are worked out here from the demo's own rows (MRR, Risks,
Surveys, Signals, HealthModel, Accounts, Settings) with Decimal, not read from the
analyses' output.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.errors import ConflictError
from kam.model import Portfolio
from kam.store.repository import Store
from kam.web import create_app
from tests.web.conftest import Workspace, member_email, readable_oracle, rows, sign_in

ROLES = ("admin", "analyst", "executive", "kam", "viewer")
#: The demo's Settings sheet says as_of 2026-10-31; the last MRR month is 2026-10.
AS_OF = date(2026, 10, 31)
LAST = "2026-10"


def _email(workspace: Workspace, role: str) -> str:
    if role == "kam":
        email = member_email(workspace.portfolio, "M01")
    elif role == "viewer":
        # M08: a member no other test of the shared workspace signs up.
        email = member_email(workspace.portfolio, "M08")
    else:
        email = f"dashboard-{role}@example.org"
    with contextlib.suppress(ConflictError):
        workspace.add_user(email, role)
    return email


def _client(workspace: Workspace, role: str) -> TestClient:
    client = workspace.client()
    sign_in(client, _email(workspace, role))
    # The workspace is shared: the user must hold the role (not one given earlier).
    assert f"· {role}</span>" in client.get("/").text
    return client


def _scope(workspace: Workspace, role: str) -> set[str]:
    every = {str(r["account_id"]) for r in rows(workspace.portfolio, "Accounts")}
    if role in ("kam", "viewer"):
        return readable_oracle(workspace.portfolio, _email(workspace, role))
    return every


def _mrr(workspace: Workspace, month: str, accounts: set[str]) -> Decimal:
    return sum(
        (
            Decimal(str(r["mrr"]))
            for r in rows(workspace.portfolio, "MRR")
            if r["month"] == month and r["account_id"] in accounts
        ),
        Decimal("0"),
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _tile(html: str, tile_id: str) -> str:
    found = re.search(rf'id="{tile_id}">(.*?)</div>', html, re.S)
    assert found is not None, tile_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def _totals_by_account(workspace: Workspace, month: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows(workspace.portfolio, "MRR"):
        if r["month"] == month:
            out[str(r["account_id"])] += Decimal(str(r["mrr"]))
    return out


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_mrr_of_the_accounts_it_reads(
    workspace: Workspace, role: str
) -> None:
    client = _client(workspace, role)
    scope = _scope(workspace, role)
    page = client.get("/dashboard")
    assert page.status_code == 200, page.text
    expected = _mrr(workspace, LAST, scope)
    assert _money(expected) in _tile(page.text, "tile-mrr")
    assert _money(expected * 12) in _tile(page.text, "tile-arr")
    retention = client.get("/retention")
    assert retention.status_code == 200
    # GRR of the last month by hand: accounts with MRR the month before keep at
    # most what they had; GRR = sum of min(before, now) / sum of before.
    before = _totals_by_account(workspace, "2026-09")
    now = _totals_by_account(workspace, LAST)
    start = [a for a in scope if before.get(a, 0) > 0]
    kept = sum(min(before[a], now.get(a, Decimal(0))) for a in start)
    grr = kept / sum(before[a] for a in start)
    assert f"{float(grr) * 100:.1f} %" in _tile(retention.text, "tile-grr")


def test_a_kam_sees_only_the_figures_of_their_book(workspace: Workspace) -> None:
    mine = _scope(workspace, "kam")
    everyone = _scope(workspace, "admin")
    assert mine < everyone
    kam_page = _client(workspace, "kam").get("/dashboard").text
    admin_page = _client(workspace, "admin").get("/dashboard").text
    theirs = _mrr(workspace, LAST, mine)
    total = _mrr(workspace, LAST, everyone)
    assert theirs != total
    assert _money(theirs) in _tile(kam_page, "tile-mrr")
    assert _money(total) not in kam_page
    assert _money(total) in _tile(admin_page, "tile-mrr")
    # Nobody else's account in the KAM's at-risk queue.
    queued = set(re.findall(r'<tr data-account="([^"]+)"', kam_page))
    assert queued <= mine


def test_another_month_shows_that_months_mrr_and_changes(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "executive")
    everyone = _scope(workspace, "executive")
    page = client.get("/dashboard", params={"month": "2025-06"})
    assert page.status_code == 200
    june = _mrr(workspace, "2025-06", everyone)
    may = _mrr(workspace, "2025-05", everyone)
    year_ago = _mrr(workspace, "2024-06", everyone)
    assert june != _mrr(workspace, LAST, everyone)
    assert _money(june) in _tile(page.text, "tile-mrr")
    change = _tile(page.text, "tile-change-month")
    assert _money(june - may) in change
    assert ("▲" if june > may else "▼") in change
    assert _money(june - year_ago) in _tile(page.text, "tile-change-year")
    assert 'id="shown-month">2025-06<' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"month": "2025-13"}, "expected a month as YYYY-MM"),
        ({"month": "June"}, "expected a month as YYYY-MM"),
        ({"owner": "nobody"}, "owner=&#39;nobody&#39;"),
        ({"abc_class": "D"}, "expected A, B or C"),
        ({"segment": "x\x01"}, "control characters"),
    ],
)
def test_a_bad_value_reshows_the_form_with_the_message(
    workspace: Workspace, query: dict[str, str], message: str
) -> None:
    client = _client(workspace, "analyst")
    for path in ("/dashboard", "/retention"):
        page = client.get(path, params=query)
        assert page.status_code == 400, (path, query)
        assert 'id="scope"' in page.text
        error = re.search(r'id="param-error"[^>]*>([^<]*)<', page.text)
        assert error is not None
        assert message in error.group(1)


def test_a_month_without_data_is_refused(workspace: Workspace) -> None:
    page = _client(workspace, "analyst").get("/dashboard", params={"month": "2031-01"})
    assert page.status_code == 400
    assert 'id="param-error"' in page.text


def test_filters_change_the_tiles_to_the_filtered_accounts(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "analyst")
    accounts = rows(workspace.portfolio, "Accounts")
    for column, value in (("owner", "M01"), ("segment", "Enterprise")):
        chosen = {str(r["account_id"]) for r in accounts if r[column] == value}
        page = client.get("/dashboard", params={column: value})
        assert page.status_code == 200
        expected = _mrr(workspace, LAST, chosen)
        assert expected != _mrr(workspace, LAST, _scope(workspace, "analyst"))
        assert _money(expected) in _tile(page.text, "tile-mrr")
        assert f"{len(chosen & set(_totals_by_account(workspace, LAST)))} accounts" in (
            _tile(page.text, "tile-mrr")
        )
        assert f'<option value="{value}" selected>' in page.text


def _open_risks(workspace: Workspace) -> list[dict[str, object]]:
    return [
        r
        for r in rows(workspace.portfolio, "Risks")
        if isinstance(r["flagged_on"], date)
        and r["flagged_on"] <= AS_OF
        and (r["resolved_on"] is None or r["resolved_on"] > AS_OF)  # type: ignore[operator]
    ]


def test_the_at_risk_queue_counts_days_and_marks_near_renewals(
    workspace: Workspace,
) -> None:
    page = _client(workspace, "executive").get("/dashboard").text
    risks = _open_risks(workspace)
    assert risks
    renewals = {
        str(r["account_id"]): r["renewal_date"]
        for r in rows(workspace.portfolio, "Accounts")
    }
    for risk in risks:
        account = str(risk["account_id"])
        row = re.search(rf'<tr data-account="{account}"([^>]*)>(.*?)</tr>', page, re.S)
        assert row is not None, account
        days = (AS_OF - risk["flagged_on"]).days  # type: ignore[operator]
        cell = re.search(r'class="num days">(\d+)<', row.group(2))
        assert cell is not None
        assert int(cell.group(1)) == days
        renewal = renewals[account]
        soon = isinstance(renewal, date) and 0 <= (renewal - AS_OF).days <= 90
        assert ("renewal-soon" in row.group(1)) == soon
    # MRR at risk: the queue's accounts' MRR, each counted once.
    at_risk = _mrr(workspace, LAST, {str(r["account_id"]) for r in risks})
    assert _money(at_risk) in _tile(page, "tile-at-risk")


def test_the_nps_tile_counts_the_last_twelve_months_of_answers(
    workspace: Workspace,
) -> None:
    answers = [
        int(str(r["score"]))
        for r in rows(workspace.portfolio, "Surveys")
        if r["instrument"] == "NPS"
        and isinstance(r["answered_on"], date)
        and date(2025, 11, 1) <= r["answered_on"] <= AS_OF
    ]
    promoters = sum(1 for s in answers if s >= 9)
    detractors = sum(1 for s in answers if s <= 6)
    nps = (promoters - detractors) * 100 / len(answers)
    tile = _tile(_client(workspace, "admin").get("/dashboard").text, "tile-nps")
    assert f"{nps:+.0f}" in tile
    assert f"n = {len(answers)}" in tile


def test_the_cohort_switch_shows_logo_or_revenue_retention(
    workspace: Workspace,
) -> None:
    client = _client(workspace, "executive")
    logo = client.get("/retention").text
    revenue = client.get("/retention", params={"view": "revenue"}).text
    assert "Cohorts: logo retention" in logo
    assert "Cohorts: revenue retention" in revenue

    def figure(html: str) -> str:
        return html.split('id="cohort-figure">', 1)[1].split("</script>", 1)[0]

    assert figure(logo) != figure(revenue)
    # The first cohort keeps 100 % of its logos at age 0 in both.
    assert '"z":[[100.0' in figure(logo)
    assert 'id="slipping-rows"' in logo


def test_the_account_page_says_why_an_account_is_red(workspace: Workspace) -> None:
    client = _client(workspace, "executive")
    risks = _open_risks(workspace)
    critical = next(r for r in risks if r["level"] == "critical")
    account = str(critical["account_id"])
    page = client.get(f"/accounts/{account}").text
    assert 'id="health"' in page
    assert "band <strong" in page
    # Every model signal's latest value, scored by hand, appears in the breakdown.
    model = {str(r["signal"]): r for r in rows(workspace.portfolio, "HealthModel")}
    latest: dict[str, tuple[date, float]] = {}
    for r in rows(workspace.portfolio, "Signals"):
        when = r["as_of"]
        if r["account_id"] == account and isinstance(when, date) and when <= AS_OF:
            name = str(r["signal"])
            if name not in latest or latest[name][0] < when:
                latest[name] = (when, float(str(r["value"])))
    table = page.split('id="health-signals"', 1)[1].split("</table>", 1)[0]
    for name, (_, value) in latest.items():
        good, poor = float(str(model[name]["good"])), float(str(model[name]["poor"]))
        score = min(100.0, max(0.0, 100 * (value - poor) / (good - poor)))
        assert re.search(
            rf"{name.replace('_', ' ')}</td>.*?<td class=\"num\">{score:.1f}</td>",
            table,
            re.S,
        ), name
    assert str(critical["reason"]) in page.split('id="risks"', 1)[1]


def test_a_kam_cannot_filter_into_another_book(workspace: Workspace) -> None:
    mine = _scope(workspace, "kam")
    accounts = rows(workspace.portfolio, "Accounts")
    theirs = {str(r["owner"]) for r in accounts if r["account_id"] in mine}
    other = sorted({str(r["owner"]) for r in accounts} - theirs)[0]
    page = _client(workspace, "kam").get("/dashboard", params={"owner": other})
    assert page.status_code == 400
    assert f"owner=&#39;{other}&#39;" in page.text


def test_the_waterfall_signs_losses_and_zooms_on_the_levels() -> None:
    from kam.web.dashboard_charts import bridge_waterfall

    row = {
        "month": "2026-01",
        "start": Decimal("1000.00"),
        "new": Decimal("10.00"),
        "expansion": Decimal("5.00"),
        "reactivation": Decimal("0.00"),
        "contraction": Decimal("3.00"),
        "churn": Decimal("2.00"),
        "end": Decimal("1010.00"),
    }
    trace = bridge_waterfall(row).data[0]
    assert list(trace.y) == [1000.0, 10.0, 5.0, 0.0, -3.0, -2.0, 1010.0]
    assert list(trace.measure)[-1] == "total"
    # Levels run 1000 → 1015 → 1010: the axis spans them with room, not from 0.
    low, high = bridge_waterfall(row).layout.yaxis.range
    assert 0 < low < 1000
    assert high > 1015


def test_sections_without_their_sheets_say_so_and_the_page_stays(
    tmp_path: Path,
) -> None:
    # Only Accounts and MRR: upsell, health, surveys, onboarding and the queue
    # cannot run.
    demo = demo_portfolio(seed=7)
    kept = Portfolio({s: demo.tables[s] for s in ("Accounts", "MRR", "Settings")})
    url = f"sqlite:///{tmp_path / 'kam.db'}"
    store = Store(url)
    store.upgrade()
    store.import_portfolio(kept)
    app = create_app(Settings(database_url=url), store=store)
    try:
        ws = Workspace(app, store, kept)
        client = ws.client()
        sign_in(client, ws.add_user("sheets@example.org", "analyst"))
        for _ in range(2):  # the second request answers from the kept refusals
            page = client.get("/dashboard")
            assert page.status_code == 200
            assert _money(_mrr(ws, LAST, _scope(ws, "analyst"))) in _tile(
                page.text, "tile-mrr"
            )
            for section, sheet in (
                ("health", "Signals"),
                ("satisfaction", "Surveys"),
                ("onboarding", "Onboarding"),
                ("at-risk", "Risks"),
                ("upsell", "Products"),
            ):
                part = page.text.split(f'id="{section}"', 1)[1].split("</section>")[0]
                assert f"needs the {sheet} sheet" in part
            assert 'id="tile-nps"' not in page.text
    finally:
        app.state.kam.engine.close()
        store.dispose()
