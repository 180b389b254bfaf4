"""Division map: penetration, share of wallet, whitespace, pipeline and ranked gaps
on a 3 × 4 grid computed by hand (see golden.py ``DIVISION_GRID``), and the
rejections."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import ibis
import pytest

from kam.analysis.registry import run
from kam.analysis.result import AnalysisResult
from kam.errors import WorkbookError
from tests.analysis.golden import DIVISION_COVERAGE, DIVISION_UNITS, make_table

CON = ibis.duckdb.connect()


def division(
    units: Sequence[tuple[object, ...]] = DIVISION_UNITS,
    coverage: Sequence[tuple[object, ...]] = DIVISION_COVERAGE,
    **params: object,
) -> AnalysisResult:
    tables = {
        "units": make_table(CON, "units", units),
        "coverage": make_table(CON, "coverage", coverage),
    }
    return run("division_map", tables, {"account": "K01", **params})


def test_account_penetration_share_of_wallet_whitespace_and_pipeline() -> None:
    result = division()
    s = result.summary
    # 12 cells, 2 not eligible → 10 eligible; owned U1P1, U2P1, U2P2, U3P2.
    assert (s["eligible"], s["owned"]) == (10, 4)
    assert s["penetration"] == pytest.approx(0.4)
    # Current 100 + 50 + 40 + 30 = 220 of potential 960 on eligible cells.
    assert s["share_of_wallet"] == pytest.approx(220 / 960)
    # Whitespace U1P2 80 + competitor U2P3 120 + whitespace U2P4 70 + U3P1 90.
    assert s["whitespace_value"] == Decimal("360.00")
    # Pipeline 0.5 × 200 + 0.2 × 100.
    assert s["weighted_pipeline"] == Decimal("120.00")


def test_penetration_per_unit_and_per_product() -> None:
    result = division()
    units = {u["unit_id"]: u for u in result.tables["units"]}
    assert units["U1"]["penetration"] == pytest.approx(1 / 3)
    assert units["U2"]["penetration"] == pytest.approx(0.5)
    assert units["U2"]["share_of_wallet"] == pytest.approx(90 / 300)
    assert units["U3"]["share_of_wallet"] == pytest.approx(30 / 230)
    products = {p["product"]: p for p in result.tables["products"]}
    assert products["P1"]["penetration"] == pytest.approx(2 / 3)
    assert products["P3"]["eligible"] == 1
    assert products["P4"]["penetration"] == 0.0


def test_cells_come_in_hierarchy_order_with_depth() -> None:
    result = division()
    assert [(r["unit_id"], r["depth"]) for r in result.rows[::4]] == [
        ("U1", 0),
        ("U2", 1),
        ("U3", 1),
    ]
    assert [r["product"] for r in result.rows[:4]] == ["P1", "P2", "P3", "P4"]


def test_gaps_rank_by_whitespace_value_times_lookalike_propensity() -> None:
    gaps = division().tables["gaps"]
    # U3P1: the other site (U2) owns P1 → 1 × 90. U1P2: no other division, so every
    # other unit with P2 eligible (U2, U3 both own it) → 1 × 80. U2P4: sites with P4
    # eligible are U3 (pipeline) and K02's V1 (owned) → ½ × 70. U2P3: no other unit
    # has P3 eligible → unknown, 0.
    assert [(g["unit_id"], g["product"], g["score"]) for g in gaps] == [
        ("U3", "P1", 90.0),
        ("U1", "P2", 80.0),
        ("U2", "P4", 35.0),
        ("U2", "P3", 0.0),
    ]
    assert gaps[2]["propensity"] == 0.5
    assert gaps[3]["propensity"] is None


def test_without_propensity_gaps_rank_by_whitespace_value() -> None:
    gaps = division(propensity="false").tables["gaps"]
    assert [(g["unit_id"], g["product"]) for g in gaps] == [
        ("U2", "P3"),
        ("U3", "P1"),
        ("U1", "P2"),
        ("U2", "P4"),
    ]


def test_a_duplicate_cell_and_revenue_on_a_not_eligible_cell_are_rejected() -> None:
    bad = [*DIVISION_COVERAGE, ("U1", "P1", "owned", 1, 2, None, None, None)]
    with pytest.raises(WorkbookError) as info:
        division(coverage=bad)
    assert "more than one cell for product P1" in info.value.problems[0].message
    paid = [
        ("U1", "P3", "not_eligible", 5, None, None, None, None)
        if (c[0], c[1]) == ("U1", "P3")
        else c
        for c in DIVISION_COVERAGE
    ]
    with pytest.raises(WorkbookError) as info:
        division(coverage=paid)
    assert info.value.problems[0].column == "current_revenue"


def test_a_unit_cycle_is_rejected_naming_the_units() -> None:
    units = [
        ("U1", "K01", "Group", None, "division"),
        ("U2", "K01", "North", "U3", "site"),
        ("U3", "K01", "South", "U2", "site"),
    ]
    with pytest.raises(WorkbookError) as info:
        division(units=units)
    assert "U2, U3" in info.value.problems[0].message
