"""``kam deck``, ``kam report`` and ``kam analyse --format xlsx``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kam.cli import main
from kam.store.repository import Store
from tests.deck.conftest import reopen, tiny_portfolio, titles

SETS = [
    "--set", "pareto.period_from=2024", "--set", "pareto.period_to=2024",
    "--set", "abc.period_from=2023", "--set", "abc.period_to=2024",
]  # fmt: skip
ONLY = ["--only", "pareto", "--only", "abc"]


@pytest.fixture
def database(sqlite_url: str) -> str:
    """A store holding the ten-account portfolio of tests/deck."""
    store = Store(sqlite_url)
    store.upgrade()
    store.import_portfolio(tiny_portfolio())
    store.dispose()
    return sqlite_url


def test_deck_writes_the_portfolio_deck_with_the_parameters_given(
    database: str, tmp_path: Path
) -> None:
    out = tmp_path / "portfolio.pptx"
    assert main(["deck", "--out", str(out), "-d", database, *ONLY, *SETS]) == 0
    found = titles(reopen(out))
    assert len(found) == 10
    assert found[3] == "Pareto: 4 of 10 accounts (40 %) make 85.0 % of revenue"


def test_deck_of_one_account(database: str, tmp_path: Path) -> None:
    out = tmp_path / "a4.pptx"
    assert main(["deck", "--account", "A4", "--out", str(out), "-d", database]) == 0
    assert titles(reopen(out))[0] == "Account review: Account A4"


def test_deck_of_an_unknown_account_is_an_error(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.pptx"
    assert main(["deck", "--account", "ZZ", "--out", str(out), "-d", database]) == 1
    assert "Error: there is no account 'ZZ'" in capsys.readouterr().err
    assert not out.exists()


def test_a_set_without_an_analysis_name_exits_2(database: str, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pptx")
    assert main(["deck", "--out", out, "-d", database, "--set", "threshold=1"]) == 2


def test_report_writes_a_sheet_per_analysis(database: str, tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    assert main(["report", "--out", str(out), "-d", database, *ONLY, *SETS]) == 0
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[:2] == ["pareto", "abc"]
    assert wb["pareto"]["A2"].value == "4 of 10 accounts (40 %) make 85.0 % of revenue"


def test_analyse_writes_xlsx_with_out(database: str, tmp_path: Path) -> None:
    out = tmp_path / "pareto.xlsx"
    args = ["analyse", "pareto", "--format", "xlsx", "--out", str(out), "-d", database]
    assert main([*args, "--set", "period_from=2024", "--set", "period_to=2024"]) == 0
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == ["pareto"]


def test_analyse_xlsx_without_out_exits_2(database: str) -> None:
    assert main(["analyse", "pareto", "--format", "xlsx", "-d", database]) == 2
