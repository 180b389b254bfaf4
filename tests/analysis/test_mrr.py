"""MRR by plan: mix, ARR, month and year changes, the series; derived input."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pytest

from kam.analysis.mrr import mrr
from kam.analysis.preagg import mrr_by_month
from kam.errors import InputError, ParameterError
from tests.analysis.golden import make_tables

CON = ibis.duckdb.connect()
D = Decimal

ROWS: list[tuple[object, ...]] = [
    ("A", "2023-03", "base", 100),
    ("A", "2024-02", "base", 100),
    ("B", "2024-02", "pro", 50),
    ("A", "2024-03", "base", 120),
    ("B", "2024-03", "pro", 50),
    ("B", "2024-03", "premium", 30),
]


def test_chosen_month_against_the_month_before_and_a_year_ago() -> None:
    # Feb 2024: 150 (base 100, pro 50). Mar 2023: 100.
    result = mrr(make_tables(CON, {"mrr": ROWS}), month="2024-02")
    assert result.summary["mrr"] == "150.00"
    assert result.summary["arr"] == "1800.00"
    # Jan 2024 has no row at all: the month before counts as zero.
    assert result.summary["change_month_pct"] is None
    # Feb 2023 has no row either: no base a year ago, change = the whole 150.
    assert result.summary["mrr_year_ago"] == "0.00"
    assert result.summary["change_year"] == "150.00"
    base = next(r for r in result.rows if r["plan"] == "base")
    assert base["mix"] == pytest.approx(100 / 150)


def test_series_and_totals_cover_every_month_with_data() -> None:
    result = mrr(make_tables(CON, {"mrr": ROWS}))
    totals = {r["month"]: r["mrr"] for r in result.tables["totals"]}
    assert totals == {
        "2023-03": D("100.00"),
        "2024-02": D("150.00"),
        "2024-03": D("200.00"),
    }
    series = {(r["month"], r["plan"]): r["mrr"] for r in result.tables["series"]}
    assert series[("2024-03", "premium")] == D("30.00")
    assert sum(v for (m, _), v in series.items() if m == "2024-03") == D("200.00")


def test_derived_totals_give_one_plan_all() -> None:
    derived = mrr_by_month(make_tables(CON, {"mrr": ROWS})["mrr"])
    result = mrr({"mrr": derived})
    assert [r["plan"] for r in result.rows] == ["all"]
    assert result.rows[0]["mrr"] == D("200.00")
    assert result.warnings


def test_month_outside_the_data_or_not_a_month_is_refused() -> None:
    tables = make_tables(CON, {"mrr": ROWS})
    with pytest.raises(InputError):
        mrr(tables, month="2025-01")
    with pytest.raises(ParameterError):
        mrr(tables, month="2024")
