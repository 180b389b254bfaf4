"""The template: every sheet and header, comments, validation, instructions."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from kam.model import SETTINGS_DEFAULTS, SHEETS
from kam.workbook.read import load_workbook
from kam.workbook.template import write_template

FORMULA = re.compile(rb"<f[ >]")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kam-template.xlsx"
    write_template(path)
    return path


def _sheet_xml(path: Path) -> dict[str, str]:
    """Worksheet XML by sheet name (names from workbook.xml, in order)."""
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        return {
            name: z.read(f"xl/worksheets/sheet{i}.xml").decode()
            for i, name in enumerate(names, start=1)
        }


def _validations(xml: str) -> dict[str, str]:
    """Column letter -> the dataValidation element that covers it."""
    found = {}
    for element in re.findall(
        r"<dataValidation [^>]*?(?:/>|>.*?</dataValidation>)", xml
    ):
        sqref = re.search(r'sqref="([A-Z]+)2:[A-Z]+10001"', element)
        assert sqref is not None, element
        found[sqref.group(1)] = element
    return found


def test_template_has_instructions_first_then_accounts_then_settings(
    template: Path,
) -> None:
    names = CalamineWorkbook.from_path(str(template)).sheet_names
    assert names[:3] == ["Instructions", "Accounts", "Settings"]
    assert sorted(names[1:]) == sorted(SHEETS)


def test_every_sheet_has_the_model_headers_and_no_rows(template: Path) -> None:
    book = CalamineWorkbook.from_path(str(template))
    for name, sheet in SHEETS.items():
        rows = book.get_sheet_by_name(name).to_python()
        expected = list(sheet.column_names)
        if sheet.wide:
            expected += ["KAM", "Sales director", "Solution architect"]
        assert rows == [expected], name


def test_openpyxl_reads_headers_comments_and_frozen_row(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    ws = book["Stakeholders"]
    assert ws.freeze_panes == "A2"
    headers = {cell.value: cell for cell in ws[1]}
    assert headers["decision_power"].font.b is True
    assert headers["title"].font.b is not True
    assert headers["decision_power"].comment.text.startswith("Required.")
    assert "from 1 to 5" in headers["decision_power"].comment.text
    assert headers["title"].comment.text.startswith("Optional.")
    assert "Refers to Units.unit_id" in headers["unit_id"].comment.text


def test_read_only_openpyxl_sees_every_header(template: Path) -> None:
    book = openpyxl.load_workbook(template, read_only=True)
    try:
        header = next(book["MRR"].iter_rows(max_row=1, values_only=True))
        assert list(header) == ["account_id", "month", "plan", "mrr"]
    finally:
        book.close()


def test_every_header_cell_has_a_comment(template: Path) -> None:
    with zipfile.ZipFile(template) as z:
        comments = [n for n in z.namelist() if n.startswith("xl/comments")]
        refs = sum(
            len(re.findall(r'<comment ref="[A-Z]+1"', z.read(n).decode()))
            for n in comments
        )
    columns = sum(len(s.columns) + (3 if s.wide else 0) for s in SHEETS.values())
    assert refs == columns


def test_enumerations_and_bools_get_list_validation(template: Path) -> None:
    accounts = _validations(_sheet_xml(template)["Accounts"])
    # key_account is column H, status column J.
    assert 'type="list"' in accounts["H"]
    assert '<formula1>"yes,no"</formula1>' in accounts["H"]
    assert '<formula1>"active,churned,prospect"</formula1>' in accounts["J"]


def test_bounded_numbers_get_range_validation(template: Path) -> None:
    stakeholders = _validations(_sheet_xml(template)["Stakeholders"])
    # decision_power (H) is a whole number 1-5; attitude (J) one from -2 to 2.
    assert 'type="whole"' in stakeholders["H"]
    assert "<formula1>1</formula1><formula2>5</formula2>" in stakeholders["H"]
    assert "<formula1>-2</formula1><formula2>2</formula2>" in stakeholders["J"]
    coverage = _validations(_sheet_xml(template)["Coverage"])
    # probability (G) is a decimal from 0 to 1.
    assert 'type="decimal"' in coverage["G"]
    assert "<formula1>0</formula1><formula2>1</formula2>" in coverage["G"]


def test_dates_are_validated_between_1900_and_2199(template: Path) -> None:
    risks = _validations(_sheet_xml(template)["Risks"])
    # flagged_on is column B; 1 is 1900-01-01 and 109574 is 2199-12-31 in Excel.
    assert 'type="date"' in risks["B"]
    assert "<formula1>1</formula1><formula2>109574</formula2>" in risks["B"]


def test_every_column_has_an_input_message(template: Path) -> None:
    xml = _sheet_xml(template)
    for name, sheet in SHEETS.items():
        found = _validations(xml[name])
        assert len(found) == len(sheet.columns) + (3 if sheet.wide else 0), name
        assert all(
            'showInputMessage="1"' in v and "prompt=" in v for v in found.values()
        )


def test_responsibility_role_columns_accept_raci_codes(template: Path) -> None:
    found = _validations(_sheet_xml(template)["Responsibilities"])
    for letter in "CDE":
        assert '<formula1>"R,A,C,I,A/R"</formula1>' in found[letter]


def test_instructions_list_every_sheet_column_and_known_setting(template: Path) -> None:
    rows = CalamineWorkbook.from_path(str(template)).get_sheet_by_name("Instructions")
    cells = rows.to_python()
    listed = {(r[0], r[1]) for r in cells if len(r) > 1}
    for name, sheet in SHEETS.items():
        for column in sheet.columns:
            assert (name, column.name) in listed, (name, column.name)
    settings = {r[0]: r[1] for r in cells if r and r[0] in SETTINGS_DEFAULTS}
    assert settings["currency"] == "USD"
    assert settings["abc_cutoffs"] == "0.80,0.95"
    decision_power = next(
        r for r in cells if r[:2] == ["Stakeholders", "decision_power"]
    )
    assert decision_power[2:5] == ["yes", "int", "a whole number from 1 to 5"]


def test_template_has_no_formula_anywhere(template: Path) -> None:
    with zipfile.ZipFile(template) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not FORMULA.search(z.read(name)), name


def test_empty_template_imports_as_an_empty_portfolio(template: Path) -> None:
    portfolio = load_workbook(template)
    assert set(portfolio.tables) == set(SHEETS)
    assert all(len(t) == 0 for t in portfolio.tables.values())
    # The Instructions sheet is the template's own; it raises no notice.
    assert portfolio.warnings == []
