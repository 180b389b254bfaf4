"""The at-risk queue's summary and levels: accounts with several open risks count
once (MRR at risk, accounts per level, renewals), and an empty queue."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pytest

from kam.analysis.registry import run
from tests.analysis.golden import arrow_table

D = date
#: Fiscal 2023 revenue 1000: A1 490, A2 200, A3 110 (A), B1 100, B2 60 (B), C1 40.
REVENUE = [
    (a, "2023", "X", v)
    for a, v in [("A1", 490), ("A2", 200), ("A3", 110), ("B1", 100), ("B2", 60)]
] + [("C1", "2023", "X", 40)]
#: March 2024 MRR: 10 + 30 + 30 + 500 + 5 + 900 = 1475.
MRR = [
    ("A1", "2024-03", "P", 10),
    ("A2", "2024-03", "P", 30),
    ("A3", "2024-03", "P", 30),
    ("B1", "2024-03", "P", 500),
    ("B2", "2024-03", "P", 5),
    ("C1", "2024-03", "P", 900),
]


def _tables(risks: list[tuple[object, ...]]) -> dict[str, ibis.Table]:
    data = {"revenue": REVENUE, "mrr": MRR, "risks": risks}
    tables = {k: ibis.memtable(arrow_table(k, rows)) for k, rows in data.items()}
    ids = ["A1", "A2", "B1"]
    tables["accounts"] = ibis.memtable(
        pa.table(
            {
                "account_id": pa.array(ids, pa.string()),
                "name": pa.array([f"Name {a}" for a in ids], pa.string()),
                # A1 renews inside the 90 days after 2024-03-31, B1 after them.
                "renewal_date": pa.array(
                    [D(2024, 5, 1), None, D(2024, 12, 1)], pa.date32()
                ),
            }
        )
    )
    return tables


def test_accounts_with_several_risks_count_once() -> None:
    risks = [
        ("A1", D(2024, 3, 1), "watch", "usage", "OWN", None),
        ("A1", D(2024, 2, 1), "critical", "sponsor", "OWN", None),
        ("B1", D(2024, 1, 1), "critical", "budget", "OWN", None),
        ("A2", D(2024, 3, 20), "at_risk", "tickets", "OWN", None),
    ]
    result = run("at_risk", _tables(risks), {"as_of": "2024-03-31"})
    # A (A2 MRR 30, then A1 10: its older risk first), then B1.
    got = [(r["rank"], r["account_id"], r["reason"]) for r in result.rows]
    assert got == [
        (1, "A2", "tickets"),
        (2, "A1", "sponsor"),
        (3, "A1", "usage"),
        (4, "B1", "budget"),
    ]
    assert [r["days_in_queue"] for r in result.rows] == [11, 59, 30, 90]
    assert result.rows[1]["name"] == "Name A1"
    assert result.rows[1]["days_to_renewal"] == 31
    s = result.summary
    # A2 30 + A1 10 (once) + B1 500 = 540 of 1475.
    assert s["mrr_at_risk"] == "540.00"
    assert s["total_mrr"] == "1475.00"
    assert s["mrr_at_risk_share"] == pytest.approx(540 / 1475)
    assert (s["open_risks"], s["accounts"], s["renewals_in_window"]) == (4, 3, 1)
    levels = {r["level"]: (r["risks"], r["accounts"]) for r in result.tables["levels"]}
    assert levels == {"critical": (2, 2), "at_risk": (1, 1), "watch": (1, 1)}
    assert s["headline"] == (
        "36.6 % of MRR at risk (540.00 in 2024-03) across 3 accounts with 4 open "
        "risks; 1 renew by 2024-06-29"
    )


def test_an_empty_queue_still_gives_the_months_total() -> None:
    risks = [("A1", D(2024, 1, 1), "watch", "old", "OWN", D(2024, 2, 1))]
    result = run("at_risk", _tables(risks), {"as_of": "2024-03-31"})
    assert list(result.rows) == []
    s = result.summary
    assert (s["open_risks"], s["accounts"], s["renewals_in_window"]) == (0, 0, 0)
    assert (s["mrr_at_risk"], s["total_mrr"]) == ("0.00", "1475.00")
    assert s["mrr_at_risk_share"] == 0.0
    assert [(r["risks"], r["accounts"]) for r in result.tables["levels"]] == [
        (0, 0),
        (0, 0),
        (0, 0),
    ]
