"""The export: cell types, exact values, neutralised formulas, limits, CSV folders."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from kam.errors import ExportError
from kam.model import SHEETS, Portfolio, Table
from kam.workbook.write import sheet_grid, write_csv_folder, write_workbook

HOSTILE = [
    "=1+2",
    '=HYPERLINK("http://evil.example","click")',
    "+49 30 1234",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    "\x01control",
]


def _accounts(**columns: list[object]) -> Table:
    n = len(next(iter(columns.values())))
    data: dict[str, list[object]] = {
        c: [None] * n for c in SHEETS["Accounts"].column_names
    }
    data["status"] = ["active"] * n
    data["extra"] = [{} for _ in range(n)]
    data.update(columns)
    return Table(Table.for_sheet("Accounts").columns, data)


def _portfolio(*tables: tuple[str, Table]) -> Portfolio:
    return Portfolio(tables=dict(tables))


def _cells(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _worksheets_xml(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]


@pytest.mark.parametrize("constant_memory", [False, True])
def test_hostile_text_is_written_as_quoted_string_cells_never_formulas(
    tmp_path: Path, constant_memory: bool
) -> None:
    names = [f"{h} Corp" if i % 2 else h for i, h in enumerate(HOSTILE)]
    table = _accounts(account_id=HOSTILE, name=names)
    path = tmp_path / "hostile.xlsx"
    write_workbook(
        _portfolio(("Accounts", table)), path, constant_memory=constant_memory
    )

    for xml in _worksheets_xml(path):
        assert not re.search(rb"<f[ >]", xml)
    accounts_xml = _worksheets_xml(path)[0].decode()
    cell_types = re.findall(r'<c r="A(\d+)"[^>]*? t="(\w+)"', accounts_xml)
    expected_type = "inlineStr" if constant_memory else "s"
    assert [t for row, t in cell_types if row != "1"] == [expected_type] * len(HOSTILE)
    rows = _cells(path, "Accounts")
    assert [r[0] for r in rows[1:]] == HOSTILE
    assert [r[1] for r in rows[1:]] == names
    ws = openpyxl.load_workbook(path)["Accounts"]
    assert all(ws.cell(row=i, column=1).quotePrefix for i in range(2, len(HOSTILE) + 2))


def test_plain_text_is_not_quote_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "plain.xlsx"
    write_workbook(
        _portfolio(("Accounts", _accounts(account_id=["A1"], name=["Acme"]))), path
    )
    assert openpyxl.load_workbook(path)["Accounts"]["A2"].quotePrefix is False


def _revenue(amounts: list[Decimal]) -> Table:
    n = len(amounts)
    return Table(
        Table.for_sheet("Revenue").columns,
        {
            "account_id": ["A1"] * n,
            "period": ["2024", "2024-Q3", "2024-07"][:n] + ["2023"] * max(0, n - 3),
            "product": [None] * n,
            "amount": amounts,
            "currency": [None] * n,
            "extra": [{} for _ in range(n)],
        },
    )


def test_money_is_a_formatted_number_when_exact_else_exact_text(tmp_path: Path) -> None:
    amounts = [
        Decimal("12345678901234.56"),
        Decimal("99999999999999.99"),
        Decimal("0.10"),
    ]
    path = tmp_path / "money.xlsx"
    portfolio = _portfolio(
        ("Accounts", _accounts(account_id=["A1"], name=["Acme"])),
        ("Revenue", _revenue(amounts)),
    )
    write_workbook(portfolio, path)

    rows = _cells(path, "Revenue")
    # 12345678901234.56 is the double nearest to itself; 99999999999999.99 is not
    # (the nearest double prints as ...99.98), so it is kept as text.
    assert [r[3] for r in rows[1:]] == [12345678901234.56, "99999999999999.99", 0.1]
    ws = openpyxl.load_workbook(path)["Revenue"]
    assert ws["D2"].number_format == "#,##0.00"
    assert [r[1] for r in rows[1:]] == ["2024", "2024-Q3", "2024-07"]


def test_negative_inexact_money_is_quoted_text(tmp_path: Path) -> None:
    profit = Table.for_sheet("Profit")
    profit.append(
        {
            "account_id": "A1",
            "period": "2024",
            "net_revenue": Decimal("-99999999999999.99"),
        }
    )
    path = tmp_path / "negative.xlsx"
    write_workbook(
        _portfolio(
            ("Accounts", _accounts(account_id=["A1"], name=["x"])), ("Profit", profit)
        ),
        path,
    )
    assert _cells(path, "Profit")[1][4] == "-99999999999999.99"
    assert openpyxl.load_workbook(path)["Profit"]["E2"].quotePrefix is True


def test_dates_bools_and_numbers_keep_their_types(tmp_path: Path) -> None:
    table = _accounts(
        account_id=["A1", "A2"],
        name=["Acme", "Beta"],
        key_account=[True, False],
        customer_since=[dt.date(1900, 1, 1), dt.date(2199, 12, 31)],
    )
    tasks = Table.for_sheet("Tasks")
    tasks.append({"task_id": "T1", "name": "go", "duration_days": 2**60})
    tasks.append(
        {
            "task_id": "T2",
            "name": "x",
            "duration_days": 3,
            "percent_complete": 0.1 + 0.2,
        }
    )
    path = tmp_path / "types.xlsx"
    write_workbook(_portfolio(("Accounts", table), ("Tasks", tasks)), path)

    rows = _cells(path, "Accounts")
    assert [r[7] for r in rows[1:]] == ["yes", "no"]
    assert [r[8] for r in rows[1:]] == [dt.date(1900, 1, 1), dt.date(2199, 12, 31)]
    assert openpyxl.load_workbook(path)["Accounts"]["I2"].number_format == "yyyy-mm-dd"
    task_rows = _cells(path, "Tasks")
    # 2**60 is not exact as a double, so it is written as its digits.
    assert task_rows[1][6] == "1152921504606846976"
    assert task_rows[2][8] == 0.30000000000000004
    tasks_xml = _worksheets_xml(path)[-1]
    assert b"<v>0.30000000000000004</v>" in tasks_xml


def test_text_of_32767_characters_is_kept_whole(tmp_path: Path) -> None:
    long_name = "é" * 32_766 + "z"
    path = tmp_path / "long.xlsx"
    write_workbook(
        _portfolio(("Accounts", _accounts(account_id=["A1"], name=[long_name]))), path
    )
    assert _cells(path, "Accounts")[1][1] == long_name


def test_text_over_excels_utf16_limit_is_refused_not_truncated(tmp_path: Path) -> None:
    # 20,000 astral characters are 40,000 UTF-16 units: Excel cannot hold them.
    table = _accounts(account_id=["A1"], name=["𝄞" * 20_000])
    with pytest.raises(ExportError, match=r"Accounts row 2, column name: .*32767"):
        write_workbook(_portfolio(("Accounts", table)), tmp_path / "too-long.xlsx")


def test_extra_columns_are_the_union_of_row_keys_in_first_seen_order() -> None:
    table = _accounts(account_id=["A1", "A2", "A3"], name=["a", "b", "c"])
    table.data["extra"] = [{"Région": "Nord"}, {}, {"CRM id": "9", "Région": "Sud"}]
    grid = sheet_grid(SHEETS["Accounts"], table)
    assert grid.headers[-2:] == ["Région", "CRM id"]
    assert [row[-2:] for row in grid.rows()] == [
        ["Nord", None],
        [None, None],
        ["Sud", "9"],
    ]


def _long_raci() -> Table:
    rows = [
        ("Plan", "A1", "KAM", "A/R"),
        ("Plan", "A1", "CFO", "C"),
        ("Review", None, "CFO", "A"),
        ("Review", None, "Sponsor", "I"),
        ("Kick-off", "A1", "", None),
    ]
    table = Table.for_sheet("Responsibilities")
    for activity, account, role, code in rows:
        table.append(
            {"activity": activity, "account_id": account, "role": role, "code": code}
        )
    return table


def test_wide_sheet_is_pivoted_back_to_one_column_per_role() -> None:
    grid = sheet_grid(SHEETS["Responsibilities"], _long_raci())
    assert grid.headers == ["activity", "account_id", "KAM", "CFO", "Sponsor"]
    assert list(grid.rows()) == [
        ["Plan", "A1", "A/R", "C", None],
        ["Review", None, None, "A", "I"],
        ["Kick-off", "A1", None, None, None],
    ]


def test_wide_sheet_in_the_workbook_has_role_headers(tmp_path: Path) -> None:
    path = tmp_path / "raci.xlsx"
    write_workbook(
        _portfolio(
            ("Accounts", _accounts(account_id=["A1"], name=["a"])),
            ("Responsibilities", _long_raci()),
        ),
        path,
    )
    assert _cells(path, "Responsibilities") == [
        ["activity", "account_id", "KAM", "CFO", "Sponsor"],
        ["Plan", "A1", "A/R", "C", ""],
        ["Review", "", "", "A", "I"],
        ["Kick-off", "A1", "", "", ""],
    ]


def test_accounts_sheet_is_written_even_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_workbook(Portfolio(), path)
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Accounts"]
    assert _cells(path, "Accounts") == [list(SHEETS["Accounts"].column_names)]


def test_sheets_follow_the_template_order(tmp_path: Path) -> None:
    path = tmp_path / "order.xlsx"
    portfolio = _portfolio(
        ("Tasks", Table.for_sheet("Tasks")),
        ("Accounts", Table.for_sheet("Accounts")),
        ("Settings", Table.for_sheet("Settings")),
        ("Team", Table.for_sheet("Team")),
    )
    write_workbook(portfolio, path)
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names == ["Accounts", "Settings", "Team", "Tasks"]


def test_a_sheet_longer_than_excel_allows_is_refused_with_advice(
    tmp_path: Path,
) -> None:
    n = 1_048_576  # one more than fits below the header
    columns = Table.for_sheet("MRR").columns
    data: dict[str, list[object]] = {c: [None] * n for c in columns}
    mrr = Table(columns, data)
    with pytest.raises(ExportError, match=r"MRR has 1,048,576 rows.*CSV"):
        write_workbook(_portfolio(("MRR", mrr)), tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_unwritable_path_raises_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="could not write"):
        write_workbook(Portfolio(), tmp_path / "missing-dir" / "x.xlsx")


def test_csv_folder_has_one_file_per_sheet_with_plain_values(tmp_path: Path) -> None:
    table = _accounts(
        account_id=["=1+2", "A2"],
        name=["Acme, Inc.", "line\nbreak"],
        key_account=[True, None],
        customer_since=[dt.date(2020, 2, 29), None],
    )
    revenue = _revenue([Decimal("99999999999999.99"), Decimal("5.00")])
    write_csv_folder(
        _portfolio(("Accounts", table), ("Revenue", revenue)), tmp_path / "out"
    )

    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "Accounts.csv",
        "Revenue.csv",
    ]
    with (tmp_path / "out" / "Accounts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(SHEETS["Accounts"].column_names)
    assert rows[1][:2] == ["=1+2", "Acme, Inc."]
    assert rows[1][7:9] == ["yes", "2020-02-29"]
    assert rows[2][1] == "line\nbreak"
    assert rows[2][7:9] == ["", ""]
    with (tmp_path / "out" / "Revenue.csv").open(encoding="utf-8", newline="") as f:
        amounts = [r[3] for r in csv.reader(f)]
    assert amounts == ["amount", "99999999999999.99", "5.00"]


def test_wide_sheet_refuses_extra_columns_that_would_come_back_as_roles() -> None:
    table = _long_raci()
    table.data["extra"][1] = {"Note": "x"}
    with pytest.raises(ExportError, match=r"Responsibilities row 2: extra columns"):
        sheet_grid(SHEETS["Responsibilities"], table)


def test_csv_folder_that_cannot_be_created_raises_export_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ExportError, match="could not create folder"):
        write_csv_folder(Portfolio(), tmp_path / "file" / "out")
