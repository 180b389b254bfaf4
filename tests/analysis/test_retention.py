"""Retention: the worked check at every grain, TTM, groups and GRR ≤ 100 %."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.retention import ratios, retention
from kam.errors import ParameterError
from tests.analysis.golden import make_tables
from tests.analysis.golden_dashboards import WORKED

CON = ibis.duckdb.connect()
D = Decimal


def _accounts() -> ibis.Table:
    return ibis.memtable(
        {
            "account_id": ["A", "B", "C", "D"],
            "name": ["a", "b", "c", "d"],
            "owner": ["M1", "M1", "M2", "M2"],
        }
    )


def test_ratios_of_the_worked_check() -> None:
    # analyses.md §5: start 100, churn 10, contraction 10, expansion 10.
    row = {
        "start": D(100),
        "churn": D(10),
        "contraction": D(10),
        "expansion": D(10),
        "reactivation": D(0),
        "accounts_start": 4,
        "accounts_end": 3,
        "accounts_new": 0,
    }
    got = ratios(row)
    assert got["grr"] == pytest.approx(0.80)
    assert got["nrr"] == pytest.approx(0.90)
    assert got["crr"] == pytest.approx(0.75)


def test_worked_check_by_month_with_owner_and_class_groups() -> None:
    tables = make_tables(CON, {"mrr": WORKED})
    tables["accounts"] = _accounts()
    result = retention(tables)
    assert result.summary["grr"] == pytest.approx(0.8)
    assert result.summary["nrr"] == pytest.approx(0.9)
    assert result.rows[0]["grr"] is None  # nothing at the start of the first month
    owners = {r["owner"]: r for r in result.tables["by_owner"]}
    # M1: A 50 stays, B 10 churns → 50 / 60 both ways.
    assert owners["M1"]["grr"] == pytest.approx(50 / 60)
    assert owners["M1"]["nrr"] == pytest.approx(50 / 60)
    # M2: C 20 → 10, D 20 → 30: GRR 30 / 40, NRR 40 / 40.
    assert owners["M2"]["grr"] == pytest.approx(0.75)
    assert owners["M2"]["nrr"] == pytest.approx(1.0)
    # January classes: A 50 (A), C 20 and D 20 tie (both A, before .5), B 10 (B,
    # before .9). Class A: start 90, −10 + 10 → GRR 80 / 90, NRR 1; class B: GRR 0.
    classes = {r["abc_class"]: r for r in result.tables["by_class"]}
    assert classes["A"]["grr"] == pytest.approx(80 / 90)
    assert classes["A"]["nrr"] == pytest.approx(1.0)
    assert classes["B"]["grr"] == pytest.approx(0.0)
    plans = {r["plan"]: r for r in result.tables["by_plan"]}
    assert plans["base"]["nrr"] == pytest.approx(0.9)


def test_worked_check_by_quarter_uses_the_closing_months() -> None:
    # March holds the start, June the end; B's 999 in May is mid-quarter and ignored.
    rows = [(a, "2024-03", p, v) for a, _, p, v in WORKED[:4]]
    rows += [(a, "2024-06", p, v) for a, _, p, v in WORKED[4:]]
    rows.append(("B", "2024-05", "base", 999))
    result = retention(make_tables(CON, {"mrr": rows}), grain="quarter")
    assert result.summary["period"] == "2024-Q2"
    assert result.rows[-1]["start"] == D("100.00")
    assert result.summary["grr"] == pytest.approx(0.8)
    assert result.summary["nrr"] == pytest.approx(0.9)


def test_worked_check_on_revenue_by_fiscal_year() -> None:
    # Fiscal years start in July: 2023-07…2024-06 is FY 2024, 2024-07… FY 2025.
    revenue = [
        ("A", "2023-08", "P", 50),
        ("B", "2023-09", "P", 10),
        ("C", "2024-06", "P", 20),
        ("D", "2023-07", "P", 20),
        ("A", "2024-07", "P", 50),
        ("C", "2025-06", "P", 10),
        ("D", "2024-07", "P", 15),
        ("D", "2025-01", "Q", 15),
    ]
    result = retention(
        make_tables(CON, {"revenue": revenue}), metric="revenue", fiscal_year_start=7
    )
    assert [r["period"] for r in result.rows] == ["2024", "2025"]
    assert result.summary["grr"] == pytest.approx(0.8)
    assert result.summary["nrr"] == pytest.approx(0.9)
    assert result.summary["ttm_grr"] is None


def test_trailing_twelve_months_with_new_and_reactivated_accounts() -> None:
    # 2023-01 → 2024-01 is the worked check; R had MRR in 2022-06 and is back at 5
    # (reactivation, in NRR); N is new at 7 (not in NRR).
    rows = [(a, "2023-01", p, v) for a, _, p, v in WORKED[:4]]
    rows += [(a, "2024-01", p, v) for a, _, p, v in WORKED[4:]]
    rows += [("R", "2022-06", "base", 3), ("R", "2024-01", "base", 5)]
    rows += [("N", "2024-01", "base", 7)]
    result = retention(make_tables(CON, {"mrr": rows}))
    ttm = result.tables["ttm"][0]
    assert ttm["start"] == D("100.00")
    assert ttm["reactivation"] == D("5.00")
    assert ttm["new"] == D("7.00")
    assert result.summary["ttm_grr"] == pytest.approx(0.8)
    assert result.summary["ttm_nrr"] == pytest.approx(0.95)
    # S = 4 (A, B, C, D); E = 5 (A, C, D, R, N); N = 2 → CRR 3 / 4.
    assert result.summary["ttm_crr"] == pytest.approx(0.75)


def test_bad_metric_and_grain_are_refused() -> None:
    tables = make_tables(CON, {"mrr": WORKED})
    with pytest.raises(ParameterError):
        retention(tables, metric="profit")
    with pytest.raises(ParameterError):
        retention(tables, period_from="2024")


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.integers(0, 5),
            st.integers(1, 10_000),
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda r: (r[0], r[1]),
    ),
    st.sampled_from(["month", "quarter"]),
)
def test_grr_never_exceeds_one_and_nrr_reconciles(
    hist: list[tuple[str, int, int]], grain: str
) -> None:
    rows = [(a, f"2024-{m + 1:02d}", "p", D(c) / 100) for a, m, c in hist]
    result = retention(make_tables(CON, {"mrr": rows}), grain=grain)  # type: ignore[arg-type]
    for r in result.rows:
        if r["grr"] is not None:
            assert 0 <= r["grr"] <= 1  # type: ignore[operator]
            # end − new = start · NRR exactly, up to float rounding.
            net = r["end"] - r["new"]  # type: ignore[operator]
            assert float(net) == pytest.approx(r["nrr"] * float(r["start"]))  # type: ignore[arg-type, operator]
        if r["crr"] is not None:
            assert 0 <= r["crr"] <= 1  # type: ignore[operator]
