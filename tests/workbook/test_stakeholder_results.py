"""The results workbook of the stakeholder map: the rows, the targets, the paths and
both grids read back, checked against the acceptance scenario of analyses.md §6 on
the demo flagship A001 (EVP OV02 the top target; KAM → consultancy lead OV25 → EVP
with 0.9 × 0.9 = 0.81, then via the IT director OV06 with 0.6 × 0.6 = 0.36)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.workbook.results import write_results


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = Engine(PortfolioSource(demo_portfolio(seed=7)), settings=Settings())
    try:
        result = engine.run("stakeholders", {"account": "A001"})
    finally:
        engine.close()
    path = tmp_path_factory.mktemp("results") / "stakeholders.xlsx"
    write_results([result], path)
    return path


def _table(ws: Any, header_row: int = 3) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = [h for h in rows[0] if h is not None]
    return [
        dict(zip(header, r, strict=False))
        for r in rows[1:]
        if any(v is not None for v in r)
    ]


def _stakeholders(portfolio_sheet: str = "Stakeholders") -> list[dict[str, Any]]:
    t = demo_portfolio(seed=7).tables[portfolio_sheet]
    n = len(t.data[t.columns[0]])
    rows = [{c: t.data[c][i] for c in t.columns} for i in range(n)]
    return [r for r in rows if r["account_id"] == "A001"]


def test_sheets_for_rows_paths_targets_and_grids(book: Path) -> None:
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    for expected in (
        "stakeholders",
        "stakeholders paths",
        "stakeholders targets",
        "stakeholders power_interest",
        "stakeholders power_attitude",
        "stakeholders gaps",
    ):
        assert expected in names


def test_paths_sheet_reads_back_the_acceptance_scenario(book: Path) -> None:
    paths = _table(openpyxl.load_workbook(book)["stakeholders paths"])
    evp = [p for p in paths if p["target"] == "OV02"]
    assert [p["rank"] for p in evp][:2] == [1, 2]
    assert evp[0]["path"] == "M01, OV25, OV02"
    assert evp[0]["probability"] == pytest.approx(0.81)
    assert evp[1]["path"] == "M01, OV06, OV02"
    assert evp[1]["probability"] == pytest.approx(0.36)
    targets = _table(openpyxl.load_workbook(book)["stakeholders targets"])
    assert targets[0]["stakeholder_id"] == "OV02"
    assert targets[0]["target_rank"] == 1
    expected = {
        r["stakeholder_id"]
        for r in _stakeholders()
        if r["decision_power"] >= 4 and r["attitude"] <= 0
    }
    assert {t["stakeholder_id"] for t in targets} == expected


def test_grids_count_every_stakeholder_once(book: Path) -> None:
    people = _stakeholders()
    wb = openpyxl.load_workbook(book)
    interest = _table(wb["stakeholders power_interest"])
    assert sum(r["count"] for r in interest) == len(people)
    attitude = _table(wb["stakeholders power_attitude"])
    assert sum(r["count"] for r in attitude) == len(people)
    # The EVP: power 5, attitude 0, alone or with others in that cell.
    cell = next(r for r in attitude if r["decision_power"] == 5 and r["attitude"] == 0)
    assert "OV02" in str(cell["stakeholders"]).split(", ")
    expected = sum(1 for r in people if r["decision_power"] == 5 and r["attitude"] == 0)
    assert cell["count"] == expected
