"""Smoke tests of the planning benchmark's generated plans (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.planning_cases import (
    ACCOUNT,
    PLAN_TASKS,
    PLAN_UNITS,
    PRODUCTS,
    PROGRAMME_TASKS,
    _tables,
    planning_portfolio,
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


def test_generated_plans_hold_consistent_rows_for_each_account() -> None:
    portfolio = planning_portfolio(["K1", "K2"], seed=3)
    units = list(portfolio.table("Units").rows())
    assert len(units) == 2 * PLAN_UNITS
    unit_ids = {u["unit_id"] for u in units}
    account_of = {u["unit_id"]: u["account_id"] for u in units}
    for u in units:  # a tree within each account
        parent = u["parent_unit_id"]
        assert parent is None or account_of[parent] == u["account_id"]
    cells = list(portfolio.table("Coverage").rows())
    assert {c["unit_id"] for c in cells} == unit_ids
    assert len({(c["unit_id"], c["product"]) for c in cells}) == len(cells)
    assert len(cells) == 2 * PLAN_UNITS * 12
    tasks = list(portfolio.table("Tasks").rows())
    assert len(tasks) == 2 * PLAN_TASKS + PROGRAMME_TASKS
    plan_of = {t["task_id"]: t["account_id"] for t in tasks}
    for t in tasks:  # predecessors are tasks of the same plan
        for link in str(t["predecessors"] or "").split(";"):
            if link.strip():
                assert plan_of[link.split()[0]] == t["account_id"]
    raci = list(portfolio.table("Responsibilities").rows())
    for plan in (None, "K1", "K2"):
        activities = {r["activity"] for r in raci if r["account_id"] == plan}
        assert len(activities) == 12
        for a in activities:
            codes = [
                r["code"]
                for r in raci
                if r["account_id"] == plan and r["activity"] == a
            ]
            assert sum(c in ("A", "A/R") for c in codes) == 1
            assert any(c in ("R", "A/R") for c in codes)
    charter = list(portfolio.table("Charter").rows())
    assert {r["account_id"] for r in charter} == {None, "K1", "K2"}
