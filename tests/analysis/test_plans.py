"""Charter and account plans: completeness, staleness, flags and actuals by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import pytest

from kam.analysis.registry import run
from kam.errors import InputError
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()

JUNE_1 = date(2026, 6, 1)

# account, section, field, value, owner, reviewed_on — as of 2026-06-30.
CHARTER: list[tuple[object, ...]] = [
    (None, "purpose", "statement", "Grow the accounts that matter", "M1", JUNE_1),
    (None, "scope", "selection_criteria", "Class A and B", "M1", JUNE_1),
    (None, "scope", "target_key_accounts", "", "M1", JUNE_1),
    (None, "executive_sponsor", "name", "Dana", "M9", date(2026, 3, 1)),
    (None, "governance", "accountable_per_account", "the KAM", "M1", JUNE_1),
    (None, "governance", "review_meetings", None, "M1", None),
    (None, "approval", "approved_by", "Board", "M9", date(2026, 4, 1)),
    (None, "budget_notes", "note", "Two analysts", "M9", JUNE_1),
    ("K01", "summary", "headline", "Win the migration", "M1", JUNE_1),
    ("K01", "actions", "call_cio", "Call the CIO", "M1", None),
    ("K01", "actions", "workshop", "Run a workshop", None, None),
]

# objective_id, account, objective, metric, target, due, owner, status
OBJECTIVES: list[tuple[object, ...]] = [
    ("O1", "K01", "Grow revenue", "revenue", 500.0, date(2026, 12, 31), "M1", "open"),
    ("O2", "K01", "Become an A account", "ABC class", None, None, "M1", "open"),
    ("O3", "K01", "Raise NPS", None, 40.0, date(2026, 12, 31), "M1", "open"),
    ("O4", None, "Programme objective", "NRR %", 110.0, None, "M9", "open"),
]

# The three complete years before the as-of date: 2023–2025.
REVENUE: list[tuple[object, ...]] = [
    ("K01", "2023", "P1", 100),
    ("K01", "2024", "P1", 300),
    ("K01", "2025", "P1", 400),
    ("K02", "2023", "P1", 900),
    ("K02", "2024", "P1", 100),
    ("K02", "2025", "P1", 1000),
    ("K03", "2025", "P1", 5000),
]


def plans(charter: list[tuple[object, ...]] = CHARTER, **params: object):  # type: ignore[no-untyped-def]
    tables = {
        "charter": make_table(CON, "charter", charter),
        "objectives": make_table(CON, "objectives", OBJECTIVES),
        "revenue": make_table(CON, "revenue", REVENUE),
    }
    return run("plans", tables, {"as_of": "2026-06-30", **params})


def test_charter_completeness_per_section_and_overall() -> None:
    result = plans()
    sections = {r["section"]: r for r in result.rows}
    assert sections["purpose"]["completeness"] == 1.0
    assert sections["scope"]["completeness"] == 0.5  # one of two fields blank
    assert sections["governance"]["completeness"] == 0.5
    assert sections["roles"]["completeness"] == 0.0  # absent
    # Filled: purpose 1, scope ½, governance ½, executive_sponsor 1, approval 1.
    assert result.summary["completeness"] == pytest.approx(4 / 12)
    assert result.summary["complete_sections"] == 3
    # A section outside the charter's list is shown but not counted.
    assert sections["budget_notes"]["expected"] is False
    assert [r["section"] for r in result.rows][:3] == [
        "purpose",
        "scope",
        "objectives_kpis",
    ]


def test_staleness_counts_days_since_the_oldest_review() -> None:
    sections = {r["section"]: r for r in plans().rows}
    # 1 March → 30 June is 121 days (> 90): stale; 1 April is exactly 90: not.
    assert sections["executive_sponsor"]["days_since_review"] == 121
    assert sections["executive_sponsor"]["stale"] is True
    assert sections["approval"]["days_since_review"] == 90
    assert sections["approval"]["stale"] is False
    # A field never reviewed makes its section stale.
    assert sections["governance"]["reviewed_on"] is None
    assert sections["governance"]["stale"] is True
    assert plans(stale_days=150).summary["stale_sections"] == ["governance"]


def test_a_charter_without_sponsor_or_accountable_owner_is_rejected() -> None:
    no_sponsor = [r for r in CHARTER if r[1] != "executive_sponsor"]
    with pytest.raises(InputError, match="executive sponsor"):
        plans(no_sponsor)
    no_owner = [r for r in CHARTER if r[2] != "accountable_per_account"]
    with pytest.raises(InputError, match="accountable owner"):
        plans(no_owner)


def test_account_plan_flags_objectives_and_actions_and_fills_data_sections() -> None:
    result = plans(account="K01")
    sections = {r["section"]: r for r in result.rows}
    assert sections["history"]["source"] == "data"
    assert sections["history"]["completeness"] == 1.0
    assert sections["objectives"]["completeness"] == 1.0
    assert sections["relationship_map"]["completeness"] == 0.0  # no Stakeholders
    # summary, history, objectives, actions complete: 4 of 12.
    assert result.summary["completeness"] == pytest.approx(4 / 12)
    assert result.summary["actions_without_owner"] == ["workshop"]
    objectives = {o["objective_id"]: o for o in result.tables["objectives"]}
    assert set(objectives) == {"O1", "O2", "O3"}
    assert objectives["O2"]["flags"] == ["no date"]
    assert objectives["O3"]["flags"] == ["no metric"]
    assert result.summary["flagged_objectives"] == ["O2", "O3"]


def test_kpi_actuals_come_from_revenue_and_the_abc_class() -> None:
    result = plans(account="K01")
    objectives = {o["objective_id"]: o for o in result.tables["objectives"]}
    assert objectives["O1"]["actual"] == Decimal("400.00")
    assert objectives["O1"]["actual_source"] == "Revenue 2025"
    # Pooled 2023–2025: K03 5000, K02 2000, K01 800 of 7800; before K01 7000/7800
    # = 0.897 ≥ 0.80 → B.
    assert objectives["O2"]["actual"] == "B"
    assert objectives["O3"]["actual"] is None
    assert any("no actual for O3" in w for w in result.warnings)
    history = {h["period"]: h for h in result.tables["history"]}
    assert history["2024"]["revenue"] == Decimal("300.00")
    assert history["2025"]["class"] == "B"  # before: 6000 / 6400 = 0.94


def test_new_revenue_data_is_classified_afresh() -> None:
    """Plans remember the ABC classes of the tables they were given: a plan over new
    tables (new data) must not show the classes of the old ones."""
    first = plans(account="K01")
    assert {h["period"]: h["class"] for h in first.tables["history"]}["2025"] == "B"
    grown = [
        r if r[:2] != ("K01", "2025") else ("K01", "2025", "P1", 9000) for r in REVENUE
    ]
    tables = {
        "charter": make_table(CON, "charter", CHARTER),
        "objectives": make_table(CON, "objectives", OBJECTIVES),
        "revenue": make_table(CON, "revenue", grown),
    }
    again = run("plans", tables, {"as_of": "2026-06-30", "account": "K01"})
    history = {h["period"]: h for h in again.tables["history"]}
    # 2025: K01 9000 is the largest of 15000 (K03 5000, K02 1000) → A.
    assert history["2025"]["revenue"] == Decimal("9000.00")
    assert history["2025"]["class"] == "A"
    # Pooled 2023–2025: K01 9400 of 16400, first → A.
    objectives = {o["objective_id"]: o for o in again.tables["objectives"]}
    assert objectives["O2"]["actual"] == "A"
    # The same tables again (the programme's plan): the same classes, counted
    # over every account: 2025 revenue 9000 + 1000 + 5000.
    programme = run("plans", tables, {"as_of": "2026-06-30"})
    totals = {h["period"]: h for h in programme.tables["history"]}
    assert totals["2025"]["revenue"] == Decimal("15000.00")
    assert totals["2023"]["revenue"] == Decimal("1000.00")
