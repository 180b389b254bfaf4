"""The at-risk queue (analyses.md §4): ordering with ties, MRR at risk, renewals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import pyarrow as pa
import pytest

from kam.analysis.registry import run
from kam.errors import MissingDataError
from tests.analysis.golden import arrow_table

D = date
#: Fiscal 2023 revenue 1000: A1 490, A2 200, A3 110 (A: shares before 0, .49, .69),
#: B1 100 (before .80: B), B2 60 (.90: B), C1 40 (.96: C).
REVENUE = [
    (a, "2023", "X", v)
    for a, v in [("A1", 490), ("A2", 200), ("A3", 110), ("B1", 100), ("B2", 60)]
] + [("C1", "2023", "X", 40)]
MRR = [
    ("A1", "2024-03", "P", 10),
    ("A2", "2024-03", "P", 30),
    ("A3", "2024-03", "P", 30),
    ("B1", "2024-03", "P", 500),
    ("B2", "2024-03", "P", 5),
    ("C1", "2024-03", "P", 900),
    ("Z9", "2024-03", "P", 25),  # no class (no revenue)
]


def _tables(data: Mapping[str, Sequence[Sequence[object]]]) -> dict[str, ibis.Table]:
    return {k: ibis.memtable(arrow_table(k, rows)) for k, rows in data.items()}


def _accounts(renewals: Mapping[str, date | None]) -> ibis.Table:
    ids = sorted(renewals)
    return ibis.memtable(
        pa.table(
            {
                "account_id": pa.array(ids, pa.string()),
                "name": pa.array([f"Name {a}" for a in ids], pa.string()),
                "renewal_date": pa.array([renewals[a] for a in ids], pa.date32()),
            }
        )
    )


def _risk(account: str, flagged: date, reason: str = "r", level: str = "watch"):
    return (account, flagged, level, reason, "OWN", None)


def test_queue_orders_by_class_then_mrr_then_days_in_queue_then_id() -> None:
    risks = [
        _risk("C1", D(2024, 1, 1)),  # C, MRR 900: after every A and B
        _risk("B1", D(2024, 3, 30)),  # B, MRR 500
        _risk("B2", D(2023, 1, 1)),  # B, MRR 5: long in queue, still after B1
        _risk("A3", D(2024, 3, 1), "later"),  # A, 30, 30 days
        _risk("A2", D(2024, 3, 1)),  # A, 30, 30 days: before A3 by id
        _risk("A3", D(2024, 2, 1), "earlier"),  # A, 30, 59 days: first of the 30s
        _risk("A1", D(2024, 3, 30)),  # A, 10
        _risk("Z9", D(2024, 1, 1)),  # no class: last
        ("A1", D(2024, 1, 1), "critical", "gone", "OWN", D(2024, 2, 1)),  # resolved
        _risk("A1", D(2024, 4, 15)),  # flagged after as_of
    ]
    result = run(
        "at_risk",
        _tables({"revenue": REVENUE, "mrr": MRR, "risks": risks}),
        {"as_of": "2024-03-31"},
    )
    got = [(r["account_id"], r["abc_class"], r["days_in_queue"]) for r in result.rows]
    assert got == [
        ("A3", "A", 59),
        ("A2", "A", 30),
        ("A3", "A", 30),
        ("A1", "A", 1),
        ("B1", "B", 1),
        ("B2", "B", 455),
        ("C1", "C", 90),
        ("Z9", None, 90),
    ]
    assert [r["rank"] for r in result.rows] == list(range(1, 9))
    # MRR at risk: every queued account once: 30 + 30 + 10 + 500 + 5 + 900 + 25 =
    # 1500 of 1500 (A3 twice in the queue, counted once).
    assert result.summary["mrr_at_risk"] == "1500.00"
    assert result.summary["accounts"] == 7
    assert result.summary["open_risks"] == 8
    assert result.summary["mrr_at_risk_share"] == pytest.approx(1.0)


def test_mrr_at_risk_share_and_renewals_inside_the_window() -> None:
    risks = [
        _risk("A2", D(2024, 3, 1)),
        _risk("B2", D(2024, 3, 1)),
        _risk("C1", D(2024, 3, 1)),
    ]
    accounts = _accounts(
        {
            "A2": D(2024, 6, 29),  # as_of + 90 days: inside (inclusive)
            "B2": D(2024, 6, 30),  # as_of + 91: outside
            "C1": D(2024, 3, 30),  # already past: not flagged
        }
    )
    tables = _tables({"revenue": REVENUE, "mrr": MRR, "risks": risks})
    tables["accounts"] = accounts
    result = run("at_risk", tables, {"as_of": "2024-03-31"})
    rows = {r["account_id"]: r for r in result.rows}
    assert rows["A2"]["renewal_in_window"] is True
    assert rows["A2"]["days_to_renewal"] == 90
    assert rows["B2"]["renewal_in_window"] is False
    assert rows["C1"]["renewal_in_window"] is False
    assert rows["C1"]["days_to_renewal"] == -1
    assert rows["A2"]["name"] == "Name A2"
    # 30 + 5 + 900 = 935 of the month's 1500.
    assert result.summary["mrr_at_risk"] == "935.00"
    assert result.summary["mrr_at_risk_share"] == pytest.approx(935 / 1500)
    assert result.summary["renewals_in_window"] == 1
    wider = run("at_risk", tables, {"as_of": "2024-03-31", "renewal_window_days": 91})
    assert wider.summary["renewals_in_window"] == 2


def test_at_risk_names_the_missing_sheet() -> None:
    with pytest.raises(MissingDataError, match="Risks"):
        run("at_risk", _tables({"mrr": MRR}))


def test_queue_of_accounts_without_mrr_still_knows_the_months_total() -> None:
    risks = [_risk("NOMRR", D(2024, 3, 1))]
    result = run(
        "at_risk",
        _tables({"revenue": REVENUE, "mrr": MRR, "risks": risks}),
        {"as_of": "2024-03-31"},
    )
    assert [(r["account_id"], str(r["mrr"])) for r in result.rows] == [
        ("NOMRR", "0.00")
    ]
    # 10 + 30 + 30 + 500 + 5 + 900 + 25 = 1500.
    assert result.summary["total_mrr"] == "1500.00"
    assert result.summary["mrr_at_risk_share"] == pytest.approx(0.0)


def test_demo_queue_health_and_onboarding_agree_with_the_demo_register() -> None:
    from decimal import Decimal

    from kam.config import Settings
    from kam.demo import demo_portfolio
    from kam.engine.core import Engine
    from kam.engine.sources import PortfolioSource

    portfolio = demo_portfolio(accounts=60)
    as_of = D(2026, 10, 31)  # the demo's Settings as_of
    risks = portfolio.table("Risks").data
    open_ids = [
        (a, lv)
        for a, f, r, lv in zip(
            risks["account_id"],
            risks["flagged_on"],
            risks["resolved_on"],
            risks["level"],
            strict=True,
        )
        if f <= as_of and (r is None or r > as_of)  # type: ignore[operator]
    ]
    mrr = portfolio.table("MRR").data
    october: dict[object, Decimal] = {}
    for a, m, v in zip(mrr["account_id"], mrr["month"], mrr["mrr"], strict=True):
        if m == "2026-10":
            october[a] = october.get(a, Decimal(0)) + v  # type: ignore[operator]
    engine = Engine(PortfolioSource(portfolio), settings=Settings())
    try:
        queue = engine.run("at_risk", {})
        health = engine.run("health", {})
        onboarding = engine.run("onboarding", {})
    finally:
        engine.close()
    assert queue.summary["open_risks"] == len(open_ids)
    at_stake = sum(october.get(a, Decimal(0)) for a in {a for a, _ in open_ids})
    assert Decimal(str(queue.summary["mrr_at_risk"])) == at_stake
    # The flagship is the largest A account and has an open risk: first in the queue.
    assert queue.rows[0]["account_id"] == "A001"
    # Every account with an open at_risk or critical entry is endangered.
    endangered = {r["account_id"] for r in health.rows if r["endangered"]}
    assert {a for a, lv in open_ids if lv in ("at_risk", "critical")} <= endangered
    assert sum(int(str(b["accounts"])) for b in health.tables["bands"]) == len(
        health.rows
    )
    # The demo's two earliest onboarding accounts are stuck past their go-live.
    assert onboarding.summary["overdue"] == 2
