"""Smoke tests of the planning benchmark's generated plans (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.planning_cases import (
    ACCOUNT,
    PRODUCTS,
    _tables,
    write_coverage,
    write_tasks,
)

from kam.analysis.registry import run


def test_generated_plan_schedules_with_every_link_type(tmp_path: Path) -> None:
    path = write_tasks(tmp_path / "t", 200, seed=3)
    con, tables = _tables({"tasks": str(path)})
    result = run("timeline", tables, {"account": ACCOUNT, "as_of": "2026-03-31"})
    con.disconnect()
    assert len(result.rows) == 200
    kinds = {str(lk["type"]) for lk in result.tables["links"]}
    assert kinds == {"FS", "SS", "FF", "SF"}
    assert result.summary["critical_path"]


def test_generated_account_has_one_cell_per_unit_and_product(tmp_path: Path) -> None:
    folder = write_coverage(tmp_path / "u", 12, seed=3)
    con, tables = _tables(
        {
            "units": str(folder / "Units.parquet"),
            "coverage": str(folder / "Coverage.parquet"),
        }
    )
    result = run("division_map", tables, {"account": ACCOUNT})
    con.disconnect()
    assert len(result.rows) == 12 * PRODUCTS
    assert result.summary["units"] == 12
    # Units 1–10 hang under unit 0, unit 11 under unit 1: three levels.
    assert max(int(str(u["depth"])) for u in result.tables["units"]) == 2
