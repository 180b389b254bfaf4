"""Reading back what was written gives the same portfolio: read(write(x)) == x."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from kam.model import Portfolio, Table
from kam.workbook.read import load_workbook
from kam.workbook.template import write_template
from kam.workbook.write import write_csv_folder, write_workbook
from tests.strategies import portfolios

ROUND_TRIP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _differences(written: Portfolio, read: Portfolio) -> list[str]:
    """The sheets (and first differing column) where the two portfolios differ."""
    found = []
    for name in sorted(set(written.tables) | set(read.tables)):
        a, b = written.tables.get(name), read.tables.get(name)
        if a is None or b is None or a.columns != b.columns:
            found.append(f"{name}: present or columns differ")
        elif a != b:
            column = next(c for c in a.columns if a.data[c] != b.data[c])
            found.append(
                f"{name}.{column}: {a.data[column]!r:.300} != {b.data[column]!r:.300}"
            )
    return found


@ROUND_TRIP
@given(portfolios())
def test_workbook_read_back_equals_the_portfolio_written(portfolio: Portfolio) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        write_workbook(portfolio, path)
        assert _differences(portfolio, load_workbook(path)) == []


@ROUND_TRIP
@given(portfolios())
def test_constant_memory_workbook_reads_back_the_same(portfolio: Portfolio) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        write_workbook(portfolio, path, constant_memory=True)
        assert _differences(portfolio, load_workbook(path)) == []


@ROUND_TRIP
@given(portfolios())
def test_csv_folder_read_back_equals_the_portfolio_written(
    portfolio: Portfolio,
) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        write_csv_folder(portfolio, folder / "csv")
        assert _differences(portfolio, load_workbook(folder / "csv")) == []
    finally:
        shutil.rmtree(folder)


def _hand_made() -> Portfolio:
    accounts = Table.for_sheet("Accounts")
    accounts.append(
        {
            "account_id": "=A1",
            "name": "+Hospital system — מערכת בריאות 𝄞",
            "status": "active",
            "customer_since": dt.date(1900, 1, 1),
            "key_account": True,
        }
    )
    revenue = Table.for_sheet("Revenue")
    for period, amount in [
        ("2024", "12345678901234.56"),
        ("2024-Q1", "99999999999999.99"),
    ]:
        revenue.append(
            {"account_id": "=A1", "period": period, "amount": Decimal(amount)}
        )
    return Portfolio(tables={"Accounts": accounts, "Revenue": revenue})


def test_exact_money_hostile_ids_and_first_date_survive_xlsx(tmp_path: Path) -> None:
    written = _hand_made()
    write_workbook(written, tmp_path / "x.xlsx")
    read = load_workbook(tmp_path / "x.xlsx")
    assert read.tables["Revenue"].column("amount") == [
        Decimal("12345678901234.56"),
        Decimal("99999999999999.99"),
    ]
    assert read.tables["Accounts"].column("account_id") == ["=A1"]
    assert read.tables["Accounts"].column("customer_since") == [dt.date(1900, 1, 1)]
    assert _differences(written, read) == []


def test_exact_money_and_hostile_ids_survive_csv(tmp_path: Path) -> None:
    written = _hand_made()
    write_csv_folder(written, tmp_path / "csv")
    assert _differences(written, load_workbook(tmp_path / "csv")) == []


def test_template_reimports_with_no_problem_and_no_rows(tmp_path: Path) -> None:
    write_template(tmp_path / "template.xlsx")
    portfolio = load_workbook(tmp_path / "template.xlsx")
    assert sum(len(t) for t in portfolio.tables.values()) == 0
    assert portfolio.warnings == []
