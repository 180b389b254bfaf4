"""Slipping accounts: the threshold edge, class downgrades and open risks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import pytest

from kam.analysis.slipping import slipping
from kam.errors import InputError, ParameterError
from tests.analysis.golden import make_tables

CON = ibis.duckdb.connect()
D = Decimal


def test_downgrade_without_a_large_fall_is_listed() -> None:
    # Jan: G1 60 (A), G2 40 (before .6 → A). Feb: G3 200 arrives (A), G1 60 (before
    # 200/295 = .68 → A), G2 35 (−12.5 %, before 260/295 = .88 → B): a downgrade.
    rows = [
        ("G1", "2024-01", "p", 60),
        ("G2", "2024-01", "p", 40),
        ("G1", "2024-02", "p", 60),
        ("G2", "2024-02", "p", 35),
        ("G3", "2024-02", "p", 200),
    ]
    result = slipping(make_tables(CON, {"mrr": rows}))
    assert [r["account_id"] for r in result.rows] == ["G2"]
    g2 = result.rows[0]
    assert (g2["previous_class"], g2["class"], g2["downgrade"], g2["value_drop"]) == (
        "A",
        "B",
        True,
        False,
    )
    assert g2["why"] == "class A → B"
    assert result.warnings == ["no Risks sheet: open risks not listed"]


def test_open_risks_are_listed_and_resolved_ones_are_not() -> None:
    rows = [
        ("S1", "2024-01", "p", 100),
        ("S3", "2024-01", "p", 100),
        ("S1", "2024-02", "p", 100),
        ("S3", "2024-02", "p", 90),
    ]
    risks = [
        ("S3", date(2024, 1, 5), "at_risk", "Budget cut", "M1", None),
        ("S1", date(2023, 6, 1), "watch", "Old issue", "M1", date(2023, 9, 1)),
        ("Z9", date(2024, 2, 1), "critical", "Sponsor left", "M2", None),
    ]
    tables = make_tables(CON, {"mrr": rows, "risks": risks})
    result = slipping(tables, threshold=0.5)
    listed = {r["account_id"]: r for r in result.rows}
    assert set(listed) == {"S3", "Z9"}
    assert listed["S3"]["open_risk"] == "at_risk: Budget cut"
    assert listed["S3"]["change"] == D("-10.00")
    assert listed["Z9"]["current"] == D("0.00")
    assert result.summary["open_risks"] == 2


def test_bad_threshold_and_period_are_refused() -> None:
    tables = make_tables(CON, {"mrr": [("A", "2024-01", "p", 1)]})
    with pytest.raises(ParameterError):
        slipping(tables, threshold=0)
    with pytest.raises(InputError):
        slipping(tables, period="2023-12")
