"""Reading real .xlsx and CSV files into raw sheets and portfolios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from kam.errors import NotFoundError, WorkbookError
from kam.workbook import load_workbook, read_workbook
from tests.workbook.corpus import ACCOUNTS, write_xlsx


def test_sheets_match_ignoring_case_and_spaces_and_others_are_ignored(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            " accounts ": ACCOUNTS,
            "REVENUE": [["account_id", "period", "amount"]],
            "Notes": [["x"]],
        },
    )
    raw = read_workbook(path)
    assert list(raw.sheets) == ["Accounts", "Revenue"]
    assert raw.sheets["Accounts"].name == " accounts "
    assert raw.ignored == ["Notes"]


def test_blank_rows_are_skipped_but_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Accounts")
    ws.write_row(0, 0, ["account_id", "name", "customer_since"])
    ws.write_row(1, 0, ["A1", "n/a"])
    ws.write_row(4, 0, ["A2", "Globex"])
    ws.write_datetime(
        4, 2, dt.datetime(2021, 6, 30), wb.add_format({"num_format": "yyyy-mm-dd"})
    )
    ws.write(6, 1, "   ")
    wb.close()
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.headers == ["account_id", "name", "customer_since"]
    assert sheet.row_numbers == [2, 5]
    assert sheet.rows == [["A1", "n/a", ""], ["A2", "Globex", dt.date(2021, 6, 30)]]


def test_a_2000_row_revenue_sheet_with_3_bad_cells_gives_exactly_3_problems(
    tmp_path: Path,
) -> None:
    revenue: list[list[object]] = [["account_id", "period", "amount"]]
    revenue += [
        [f"A{i % 2 + 1}", f"{2000 + i // 12}-{i % 12 + 1:02d}", 100.0 + i]
        for i in range(2000)
    ]
    revenue[51][2] = "lots"  # spreadsheet row 52
    revenue[1200][1] = "2024-13"  # row 1201
    revenue[1999][0] = "A3"  # row 2000
    path = write_xlsx(tmp_path / "rev.xlsx", {"Accounts": ACCOUNTS, "Revenue": revenue})
    with pytest.raises(WorkbookError) as info:
        load_workbook(path)
    assert [(p.sheet, p.row, p.column, p.value) for p in info.value.problems] == [
        ("Revenue", 52, "amount", "lots"),
        ("Revenue", 1201, "period", "2024-13"),
        ("Revenue", 2000, "account_id", "A3"),
    ]


def test_load_workbook_gives_exact_money_and_months(tmp_path: Path) -> None:
    mrr = [
        ["account_id", "month", "plan", "mrr"],
        ["A1", "2024-1", "pro", 99.9],
        ["A2", "2024-02", "pro", 10],
    ]
    p = load_workbook(
        write_xlsx(tmp_path / "m.xlsx", {"Accounts": ACCOUNTS, "MRR": mrr})
    )
    t = p.table("MRR")
    assert t.column("month") == ["2024-01", "2024-02"]
    assert t.column("mrr") == [Decimal("99.90"), Decimal("10.00")]
    assert t.columns == ("account_id", "month", "plan", "mrr", "extra")


def test_load_workbook_passes_currency_and_known_ids(tmp_path: Path) -> None:
    revenue = [["account_id", "period", "amount", "currency"], ["A5", "2024", 1, "EUR"]]
    path = write_xlsx(tmp_path / "r.xlsx", {"Revenue": revenue})
    p = load_workbook(path, currency="EUR", known={("Accounts", "account_id"): {"A5"}})
    assert p.table("Revenue").column("currency") == ["EUR"]


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        read_workbook(tmp_path / "nope.xlsx")


def test_one_csv_named_after_a_sheet_is_that_sheet(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text('account_id,name\n\nA1,Acme\n,\nA2,"Glo\nbex"\nA3,Initech\n')
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.rows == [["A1", "Acme"], ["A2", "Glo\nbex"], ["A3", "Initech"]]
    assert sheet.row_numbers == [3, 5, 7]


def test_a_csv_not_named_after_a_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("account_id,name\nA1,Acme\n")
    with pytest.raises(WorkbookError, match="not named after a sheet"):
        read_workbook(path)


def test_a_csv_folder_ignores_unknown_csv_files(tmp_path: Path) -> None:
    (tmp_path / "Accounts.csv").write_text("account_id,name\nA1,Acme\n")
    (tmp_path / "notes.csv").write_text("x\n1\n")
    (tmp_path / "readme.txt").write_text("hello")
    raw = read_workbook(tmp_path)
    assert list(raw.sheets) == ["Accounts"]
    assert raw.ignored == ["notes.csv"]


def test_csv_with_more_rows_than_allowed_is_refused_at_the_first_extra_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_text("account_id,name\nA1,a\nA2,b\nA3,c\n")
    with pytest.raises(WorkbookError) as info:
        read_workbook(path, max_rows=2)
    assert info.value.problems[0].row == 4
    assert info.value.problems[0].message == "more than 2 data rows"
