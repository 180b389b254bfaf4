"""A corpus of bad files: each is refused with the reason, or reported by location.

The hostile workbooks (bombs, stray cells) go through the same path as any upload:
the zip checks, then the parser child; the test process must survive them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kam.config import Limits
from kam.errors import Problem, UnsafeFileError, WorkbookError
from kam.workbook import load_workbook
from tests.workbook import corpus

Builder = Callable[[Path], Path]

REFUSED: list[tuple[Builder, dict[str, object], str]] = [
    (corpus.not_a_zip, {}, "not an Excel workbook (.xlsx)"),
    (corpus.old_xls, {}, "not an Excel workbook (.xlsx): it looks like an old .xls"),
    (corpus.empty_file, {}, "not an Excel workbook (.xlsx)"),
    (corpus.truncated_zip, {}, "truncated or damaged"),
    (corpus.zip_without_workbook, {}, "no xl/workbook.xml part"),
    (corpus.big_part, {"entry_bytes": 500_000}, "part xl/media/blob.bin unpacks to"),
    (corpus.big_part, {"unzipped_bytes": 500_000}, "unpacks to more than"),
    (corpus.ratio_bomb, {}, "part xl/media/zeros.bin is compressed"),
    (corpus.many_entries, {"zip_entries": 20}, "entries; at most 20"),
    (corpus.xml_bomb, {}, "part xl/sharedStrings.xml contains a DOCTYPE"),
    (corpus.doctype_after_comment, {}, "part docProps/custom.xml contains a DOCTYPE"),
    (corpus.doctype_in_utf16, {}, "part docProps/extra.xml contains a DOCTYPE"),
    (corpus.stray_cell_xfd, {}, "reaches column XFD (column 16384); at most 200"),
    (corpus.tall_dimension, {"rows_cli": 1000}, "reaches row 500000; at most 1000"),
    (corpus.base, {"file_bytes": 100}, "the largest workbook accepted is 100 bytes"),
]


@pytest.mark.parametrize(
    ("build", "limits", "reason"),
    REFUSED,
    ids=[f"{b.__name__}-{'-'.join(k) or 'default'}" for b, k, _ in REFUSED],
)
def test_unsafe_file_is_refused_with_its_reason(
    tmp_path: Path, build: Builder, limits: dict[str, object], reason: str
) -> None:
    path = build(tmp_path)
    with pytest.raises(UnsafeFileError) as info:
        load_workbook(path, limits=Limits(**limits))  # type: ignore[arg-type]
    assert reason in str(info.value)
    assert info.value.problems[0].message == info.value.args[0]


def test_stray_cell_without_dimension_kills_only_the_parser_child(
    tmp_path: Path,
) -> None:
    path = corpus.stray_cell_without_dimension(tmp_path)
    limits = Limits(parser_memory_bytes=512 * 2**20)
    with pytest.raises(UnsafeFileError) as info:
        load_workbook(path, limits=limits)
    assert "could not be parsed within 512 MiB and 60 s (it needed more memory)" in (
        str(info.value)
    )
    assert os.getpid() > 0  # still here: the abort happened in the child


def test_a_parser_that_runs_out_of_time_is_stopped(tmp_path: Path) -> None:
    path = corpus.base(tmp_path)
    with pytest.raises(UnsafeFileError, match="took too long"):
        load_workbook(path, limits=Limits(parser_seconds=0.001))


def test_two_sheets_with_the_same_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError) as info:
        load_workbook(corpus.twin_sheets(tmp_path))
    assert "two sheets are named Accounts" in info.value.problems[0].message


def where(p: Problem) -> tuple[str | None, int | None, str | None]:
    return (p.sheet, p.row, p.column)


CELL_ERRORS: list[
    tuple[Builder, list[tuple[str | None, int | None, str | None]], str]
] = [
    (
        corpus.missing_required_column,
        [("Accounts", 1, "name")],
        "required column 'name'",
    ),
    (corpus.duplicate_header, [("Accounts", 1, "NAME")], "duplicate header 'NAME'"),
    (corpus.text_in_number_column, [("Scores", 2, "score")], "'n/a' is not a number"),
    (corpus.negative_amount, [("Revenue", 3, "amount")], "-250 is below the minimum 0"),
    (
        corpus.date_out_of_range,
        [("Accounts", 2, "customer_since")],
        "'1850-01-01' is outside 1900-01-01–2199-12-31",
    ),
    (
        corpus.unknown_enumeration,
        [("Accounts", 3, "status")],
        "'paused' is not one of active, churned, prospect",
    ),
    (
        corpus.duplicate_ids,
        [("Accounts", 2, "account_id"), ("Accounts", 4, "account_id")],
        "duplicate account_id 'A1' (also in row 4)",
    ),
    (
        corpus.dangling_reference,
        [("MRR", 3, "account_id")],
        "'A9' is not an account of the Accounts sheet",
    ),
    (
        corpus.reports_to_cycle,
        [("Stakeholders", 2, "reports_to")],
        "reports-to cycle: S1 → S2 → S1 (rows 2, 3)",
    ),
    (
        corpus.account_parent_cycle,
        [("Accounts", 2, "parent_account_id")],
        "parent-account cycle: A1 → A2 → A1 (rows 2, 3)",
    ),
    (
        corpus.weights_not_summing,
        [("Criteria", 2, "weight")],
        "the weights of section harmony sum to 80",
    ),
    (corpus.score_out_of_range, [("Scores", 3, "score")], "0 is outside 1–10"),
    (
        corpus.csv_without_accounts,
        [("Accounts", None, None)],
        "the Accounts sheet is required",
    ),
    (
        corpus.csv_bad_cells,
        [("Revenue", 3, "period"), ("Revenue", 4, "amount")],
        "'2024-Q5' is not a period",
    ),
]


@pytest.mark.parametrize(
    ("build", "places", "first_message"),
    CELL_ERRORS,
    ids=[b.__name__ for b, _, _ in CELL_ERRORS],
)
def test_bad_content_is_reported_by_sheet_row_and_column(
    tmp_path: Path,
    build: Builder,
    places: list[tuple[str | None, int | None, str | None]],
    first_message: str,
) -> None:
    with pytest.raises(WorkbookError) as info:
        load_workbook(build(tmp_path))
    assert not isinstance(info.value, UnsafeFileError)
    assert [where(p) for p in info.value.problems] == places
    assert first_message in info.value.problems[0].message


CSV_ERRORS: list[tuple[Builder, dict[str, int], int, str]] = [
    (corpus.csv_invalid_utf8, {}, 3, "is not valid utf-8; save the file as UTF-8"),
    (
        corpus.csv_unmatched_quote,
        {},
        3,
        'unmatched quote (") in the record starting on line 3',
    ),
    (corpus.csv_oversized_field, {"csv_field_bytes": 1024}, 3, "longer than 1 KiB"),
    (corpus.csv_nul_bytes, {}, 2, "NUL character"),
]


@pytest.mark.parametrize(
    ("build", "limits", "line", "reason"),
    CSV_ERRORS,
    ids=[b.__name__ for b, *_ in CSV_ERRORS],
)
def test_unreadable_csv_names_the_line(
    tmp_path: Path, build: Builder, limits: dict[str, int], line: int, reason: str
) -> None:
    with pytest.raises(WorkbookError) as info:
        load_workbook(build(tmp_path), limits=Limits(**limits))  # type: ignore[arg-type]
    problem = info.value.problems[0]
    assert (problem.sheet, problem.row) == ("Accounts", line)
    assert reason in problem.message


def test_invalid_utf8_is_read_with_the_right_encoding(tmp_path: Path) -> None:
    p = load_workbook(corpus.csv_invalid_utf8(tmp_path), encoding="cp1252")
    assert p.table("Accounts").column("name") == ["Acme", "Zoë"]


@pytest.mark.parametrize(
    "build", [corpus.csv_with_bom, corpus.csv_utf16, corpus.csv_semicolons]
)
def test_csv_the_way_excel_writes_it_is_accepted(
    tmp_path: Path, build: Builder
) -> None:
    p = load_workbook(build(tmp_path))
    accounts = p.table("Accounts")
    assert accounts.column("account_id") == ["A1", "A2"]
    assert accounts.column("name") == ["Zoë & Co", "Globex"]


def test_semicolon_csv_keeps_commas_inside_cells(tmp_path: Path) -> None:
    p = load_workbook(corpus.csv_semicolons(tmp_path))
    assert p.table("Accounts").column("industry") == ["health, care", None]
