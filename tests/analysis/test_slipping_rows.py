"""Slipping: an account with several open risks, an open risk without MRR, the order
of the rows, the counts and the value lost (exact cents), and the rows read as dicts
on access."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import ibis

from kam.analysis.slipping import slipping
from tests.analysis.golden import make_tables

CON = ibis.duckdb.connect()
D = Decimal

# Jan: P2 200, P1 100, P3 100 (total 400; shares before P2 0, P1 .5, P3 .75: all A).
# Feb: P2 200, P3 90, P1 50 (total 340; before P2 0, P3 .588 → A, P1 .853 → B).
# P1: −50 % and A → B; P2: flat with three open risks; P3: −10 %, not listed.
MRR = [
    ("P1", "2024-01", "p", 100),
    ("P2", "2024-01", "p", 200),
    ("P3", "2024-01", "p", 100),
    ("P1", "2024-02", "p", 50),
    ("P2", "2024-02", "p", 200),
    ("P3", "2024-02", "p", 90),
]
RISKS = [
    ("P2", date(2024, 2, 1), "critical", "Zeta", "M1", None),
    ("P2", date(2024, 1, 10), "watch", "Alpha", "M1", None),
    ("P2", date(2024, 2, 1), "at_risk", "Beta", "M1", None),
    ("P2", date(2023, 5, 1), "critical", "Closed", "M1", date(2023, 6, 1)),
    ("Z9", date(2024, 2, 1), "at_risk", "Sponsor left", "M2", None),
]
ACCOUNTS = [
    ("P1", "Name P1", "active"),
    ("P2", "Name P2", "active"),
    ("Z9", "Name Z9", "active"),
]


def test_an_account_with_several_open_risks_is_listed_once_with_all_of_them() -> None:
    tables = make_tables(CON, {"mrr": MRR, "risks": RISKS, "accounts": ACCOUNTS})
    result = slipping(tables)
    # By change (P1 −50, then P2 and Z9 at 0 by account_id).
    assert [r["account_id"] for r in result.rows] == ["P1", "P2", "Z9"]
    p1, p2, z9 = result.rows
    assert (p1["previous"], p1["current"], p1["change"]) == (
        D("100.00"),
        D("50.00"),
        D("-50.00"),
    )
    assert p1["change_pct"] == -0.5
    assert (p1["previous_class"], p1["class"]) == ("A", "B")
    assert (p1["value_drop"], p1["downgrade"], p1["open_risk"]) == (True, True, None)
    assert p1["why"] == "down 50 %, class A → B"
    assert p1["name"] == "Name P1"
    # P2's open risks in the order flagged (then by reason); the resolved one is out.
    assert p2["open_risk"] == "watch: Alpha; at_risk: Beta; critical: Zeta"
    assert p2["why"] == "open risk (watch: Alpha; at_risk: Beta; critical: Zeta)"
    assert (p2["change"], p2["change_pct"]) == (D("0.00"), 0.0)
    assert (p2["value_drop"], p2["downgrade"]) == (False, False)
    assert p2["name"] == "Name P2"
    # An open risk on an account without MRR in either month.
    assert (z9["previous"], z9["current"], z9["change"]) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert (z9["change_pct"], z9["previous_class"], z9["class"]) == (None, None, None)
    assert (z9["value_drop"], z9["downgrade"]) == (False, False)
    assert z9["open_risk"] == "at_risk: Sponsor left"
    # Listed for its risk alone, it still shows its name.
    assert z9["name"] == "Name Z9"
    s = result.summary
    assert (s["accounts"], s["value_drops"], s["downgrades"], s["open_risks"]) == (
        3,
        1,
        1,
        2,
    )
    assert s["value_lost"] == "50.00"
    assert s["headline"] == (
        "3 accounts slipping in 2024-02: 1 down ≥ 20 %, 1 class downgrades, "
        "2 open risks"
    )


def test_rows_read_by_index_slice_and_json_agree() -> None:
    tables = make_tables(CON, {"mrr": MRR, "risks": RISKS, "accounts": ACCOUNTS})
    result = slipping(tables)
    listed = list(result.rows)
    assert len(result.rows) == 3
    assert result.rows[-1] == listed[2]
    assert result.rows[1:3] == listed[1:3]
    rows = json.loads(result.to_json())["rows"]
    assert [(r["account_id"], r["change"], r["open_risk"]) for r in rows] == [
        ("P1", "-50.00", None),
        ("P2", "0.00", "watch: Alpha; at_risk: Beta; critical: Zeta"),
        ("Z9", "0.00", "at_risk: Sponsor left"),
    ]


def test_value_lost_is_the_exact_sum_of_the_falls() -> None:
    # Jan: A3 500, A1 100.10, A2 10 (before A3 0 → A, A1 .82 → B, A2 .98 → C).
    # Feb: A3 500, A1 50.05 (A1 before .909 → B): no downgrade; A2 churns (−100 %).
    rows = [
        ("A1", "2024-01", "p", "100.10"),
        ("A2", "2024-01", "p", "10.00"),
        ("A3", "2024-01", "p", 500),
        ("A1", "2024-02", "p", "50.05"),
        ("A3", "2024-02", "p", 500),
    ]
    result = slipping(make_tables(CON, {"mrr": rows}))
    assert [(r["account_id"], r["change"]) for r in result.rows] == [
        ("A1", D("-50.05")),
        ("A2", D("-10.00")),
    ]
    assert [r["why"] for r in result.rows] == ["down 50 %", "down 100 %"]
    assert result.summary["value_lost"] == "60.05"
    assert result.summary["value_drops"] == 2
    assert result.summary["downgrades"] == 0
    assert result.summary["open_risks"] == 0


def test_nothing_slipping_gives_empty_rows_and_zero_lost() -> None:
    rows = [("A1", "2024-01", "p", 100), ("A1", "2024-02", "p", 100)]
    result = slipping(make_tables(CON, {"mrr": rows}))
    assert list(result.rows) == []
    assert result.summary["accounts"] == 0
    assert result.summary["value_lost"] == "0.00"
    assert result.summary["headline"] == (
        "0 accounts slipping in 2024-02: 0 down ≥ 20 %, 0 class downgrades, "
        "0 open risks"
    )
