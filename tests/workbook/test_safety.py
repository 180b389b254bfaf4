"""Checks made before a parser sees an .xlsx file."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from kam.config import Limits
from kam.errors import UnsafeFileError
from kam.workbook.safety import SheetPart, check_xlsx, column_number, has_doctype
from tests.workbook.corpus import ACCOUNTS, write_xlsx


@pytest.mark.parametrize(
    ("letters", "number"),
    [("A", 1), ("Z", 26), ("AA", 27), ("GR", 200), ("XFD", 16384)],
)
def test_column_letters_become_numbers(letters: str, number: int) -> None:
    assert column_number(letters) == number


@pytest.mark.parametrize(
    ("xml", "found"),
    [
        (b'<?xml version="1.0"?><worksheet/>', False),
        (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><!DOCTYPE a><a/>', True),
        (b"  <!doctype a [<!ENTITY x 'y'>]><a/>", True),
        (b"<a><![CDATA[<!DOCTYPE is text here]]></a>", False),
        (codecs.BOM_UTF16_BE + "<!DOCTYPE a><a/>".encode("utf-16-be"), True),
        (b"<?xml version='1.0'?><!-- never closed", None),
    ],
)
def test_doctype_is_found_only_in_the_prolog(xml: bytes, found: bool | None) -> None:
    assert has_doctype(xml) is found


def test_a_good_workbook_passes_and_lists_its_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "ok.xlsx", {"Accounts": ACCOUNTS, "Notes & more": [["x"]]}
    )
    sheets = check_xlsx(path, limits=Limits(), max_rows=10)
    assert sheets == [
        SheetPart("Accounts", "xl/worksheets/sheet1.xml"),
        SheetPart("Notes & more", "xl/worksheets/sheet2.xml"),
    ]


def test_dimension_limits_apply_only_to_wanted_sheets(tmp_path: Path) -> None:
    rows = [["x"]] * 30
    path = write_xlsx(tmp_path / "long.xlsx", {"Accounts": ACCOUNTS, "Notes": rows})
    check_xlsx(
        path, limits=Limits(), max_rows=10, wanted=lambda name: name == "Accounts"
    )
    with pytest.raises(
        UnsafeFileError,
        match=r"sheet 'Notes' \(xl/worksheets/sheet2.xml\) reaches row 30",
    ):
        check_xlsx(path, limits=Limits(), max_rows=10)


def test_a_workbook_with_as_many_columns_as_allowed_passes(tmp_path: Path) -> None:
    wide = [[f"c{i}" for i in range(200)]]
    path = write_xlsx(tmp_path / "wide.xlsx", {"Accounts": wide})
    check_xlsx(path, limits=Limits(), max_rows=10)
    wider = [[f"c{i}" for i in range(201)]]
    path = write_xlsx(tmp_path / "wider.xlsx", {"Accounts": wider})
    with pytest.raises(UnsafeFileError, match="reaches column GS"):
        check_xlsx(path, limits=Limits(), max_rows=10)
