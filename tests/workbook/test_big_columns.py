"""Big sheets stay lean: shared values, compact row numbers, both CSV readers agree."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from kam.errors import WorkbookError
from kam.model import SHEETS
from kam.workbook import columns as columns_module
from kam.workbook import load_workbook, read_workbook
from kam.workbook.columns import NO_EXTRA, LineNumbers, all_distinct
from kam.workbook.convert import convert_column
from tests.workbook.corpus import write_xlsx


def _column(sheet: str, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in SHEETS[sheet].columns if c.name == name)


def _portfolio_folder(tmp_path: Path, *, quoted: bool = False) -> Path:
    folder = tmp_path / ("quoted" if quoted else "plain")
    folder.mkdir()
    name = '"Acme, Inc."' if quoted else "Acme Inc"
    (folder / "Accounts.csv").write_text(
        f"account_id,name\nA1,{name}\nA2,Globex\n", encoding="utf-8"
    )
    plan = '"starter"' if quoted else "starter"
    (folder / "MRR.csv").write_text(
        "account_id,month,plan,mrr\n"
        "A1,2024-01,starter,10.50\n"
        "A2,2024-01,starter,10.50\n"
        f"A1,2024-02,{plan},12\n",
        encoding="utf-8",
    )
    return folder


def test_equal_ids_and_amounts_share_one_object_after_validation(
    tmp_path: Path,
) -> None:
    mrr = load_workbook(_portfolio_folder(tmp_path)).table("MRR")
    ids = mrr.column("account_id")
    amounts = mrr.column("mrr")
    plans = mrr.column("plan")
    assert ids == ["A1", "A2", "A1"]
    assert ids[0] is ids[2]
    assert amounts[:2] == [Decimal("10.50"), Decimal("10.50")]
    assert amounts[0] is amounts[1]
    assert plans[0] is plans[1] is plans[2]


def test_equal_texts_from_an_xlsx_sheet_share_one_object(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "Accounts": [["account_id", "name"], ["A1", "Acme"]],
            "MRR": [
                ["account_id", "month", "plan", "mrr"],
                ["A1", "2024-01", "starter", 10.5],
                ["A1", "2024-02", "starter", 10.5],
            ],
        },
    )
    mrr = load_workbook(path).table("MRR")
    ids, amounts = mrr.column("account_id"), mrr.column("mrr")
    assert ids[0] is ids[1]
    assert amounts == [Decimal("10.50"), Decimal("10.50")]
    assert amounts[0] is amounts[1]


def test_a_plain_csv_and_a_quoted_one_read_the_same(tmp_path: Path) -> None:
    plain = read_workbook(_portfolio_folder(tmp_path))
    quoted = read_workbook(_portfolio_folder(tmp_path, quoted=True))
    fast, slow = plain.sheets["MRR"], quoted.sheets["MRR"]
    assert fast.headers == slow.headers == ["account_id", "month", "plan", "mrr"]
    assert fast.rows == slow.rows
    assert fast.rows[2] == ["A1", "2024-02", "starter", "12"]
    assert fast.row_numbers == slow.row_numbers == [2, 3, 4]
    assert quoted.sheets["Accounts"].rows[0] == ["A1", "Acme, Inc."]


def test_rows_of_blank_fields_are_skipped_and_later_rows_keep_their_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_text(
        "account_id,name\r\nA1,Acme\r\n , \r\nA2,Globex\r\n,\r\nA3,Initech\r\n",
        encoding="utf-8",
    )
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.rows == [["A1", "Acme"], ["A2", "Globex"], ["A3", "Initech"]]
    assert sheet.row_numbers == [2, 4, 6]


def test_a_lone_carriage_return_ends_a_line_as_excel_and_the_stdlib_read_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_bytes(b"account_id,name\r\nA1,Acme\r\r\nA2,Globex\rA3,Initech\n")
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.rows == [["A1", "Acme"], ["A2", "Globex"], ["A3", "Initech"]]
    assert sheet.row_numbers == [2, 4, 5]


def test_a_short_line_is_padded_with_blank_cells(tmp_path: Path) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_text("account_id,name,region\nA1,Acme,EU\nA2\n", encoding="utf-8")
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.columns == [["A1", "A2"], ["Acme", ""], ["EU", ""]]


def test_a_semicolon_csv_with_a_bom_is_read_by_columns(tmp_path: Path) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_bytes(b"\xef\xbb\xbfaccount_id;name\nA1;Acme\nA2;Globex\n")
    sheet = read_workbook(path).sheets["Accounts"]
    assert sheet.headers == ["account_id", "name"]
    assert sheet.rows == [["A1", "Acme"], ["A2", "Globex"]]


def test_a_bad_utf8_byte_far_down_a_big_file_is_reported_on_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    good = b"".join(b"A%d,Name %d\n" % (i, i) for i in range(2, 70_001))
    path.write_bytes(b"account_id,name\n" + good + b"A70001,Caf\xe9\nA70002,Last\n")
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path)
    (problem,) = caught.value.problems
    assert problem.row == 70_001
    assert "line 70001: byte 0xe9 is not valid utf-8" in problem.message


def test_an_over_long_field_without_quotes_is_reported_on_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_text(
        "account_id,name\nA1,Acme\nA2,Globex\nA3," + "x" * (200 * 1024) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path)
    (problem,) = caught.value.problems
    assert problem.row == 4
    assert "longer than 128 KiB" in problem.message


def test_consecutive_row_numbers_behave_like_the_list_they_stand_for() -> None:
    lines = LineNumbers(2, 4)
    assert lines == [2, 3, 4, 5]
    assert lines != [2, 3, 4]
    assert list(lines) == [2, 3, 4, 5]
    assert (lines[0], lines[-1], len(lines)) == (2, 5, 4)
    assert [lines[i] for i in (3, 1)] == [5, 3]
    assert 6 not in lines


def test_the_shared_empty_extra_mapping_is_read_only_and_copies_are_plain() -> None:
    assert NO_EXTRA == {}
    assert isinstance(NO_EXTRA, dict)
    with pytest.raises(TypeError):
        NO_EXTRA["note"] = "leaks into every row"
    with pytest.raises(TypeError):
        NO_EXTRA.update(note="x")
    assert NO_EXTRA == {}
    copied = copy.deepcopy(NO_EXTRA)
    copied["note"] = "fine"
    assert copied == {"note": "fine"}
    assert type(pickle.loads(pickle.dumps(NO_EXTRA))) is dict


def test_rows_without_extra_columns_share_the_read_only_mapping(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Accounts.csv"
    path.write_text("account_id,name,note\nA1,Acme,\nA2,Globex,vip\n", "utf-8")
    extra = load_workbook(path).table("Accounts").column("extra")
    assert extra == [{}, {"note": "vip"}]
    assert extra[0] is NO_EXTRA


def test_true_and_one_in_one_whole_number_column_are_told_apart() -> None:
    result = convert_column(_column("Products", "tier"), [1.0, True, 1, "1"])
    assert result.values == [1, None, 1, 1]
    assert [i for i, _ in result.errors] == [1]


def test_minus_zero_and_zero_amounts_keep_their_own_sign() -> None:
    result = convert_column(_column("MRR", "mrr"), [0.0, -0.0, "1.5", "1.5"])
    assert [str(v) for v in result.values] == ["0.00", "-0.00", "1.50", "1.50"]
    assert result.errors == []


def test_key_codes_find_a_duplicate_among_distinct_rows() -> None:
    accounts = ["A1", "A2", "A1", "A2"]
    months = ["2024-01", "2024-01", "2024-02", "2024-02"]
    assert all_distinct([accounts, months])
    assert not all_distinct([accounts, ["2024-01", "2024-01", "2024-02", "2024-01"]])
    assert not all_distinct([["A1", None, None], ["x", "y", "y"]])


def test_dictionary_codes_are_read_from_the_arrow_buffer_past_an_offset() -> None:
    import pyarrow as pa

    from kam.workbook.csv_fast import _codes

    # Dictionary in order of first appearance: x=0, b=1, a=2; the slice drops "x".
    indices = pa.array(["x", "b", "a", "b", "x"]).dictionary_encode().indices
    assert _codes(indices).tolist() == [0, 1, 2, 1, 0]
    assert _codes(indices.slice(1, 3)).tolist() == [1, 2, 1]


def test_each_column_of_a_validated_table_is_its_own_list(tmp_path: Path) -> None:
    # Accounts has many optional columns absent from the file, blank in every row.
    portfolio = load_workbook(_portfolio_folder(tmp_path))
    for table in portfolio.tables.values():
        lists = [table.data[c] for c in table.columns]
        assert len({id(values) for values in lists}) == len(lists)
    accounts = portfolio.table("Accounts")
    accounts.append({"account_id": "A3", "name": "Initech"})
    assert accounts.column("account_id") == ["A1", "A2", "A3"]
    assert accounts.column("name") == ["Acme Inc", "Globex", "Initech"]
    assert accounts.column("industry") == [None, None, None]
    assert len(accounts) == 3


@pytest.mark.parametrize("flags_per_row", [0, 8, 1000])
def test_key_codes_with_a_constant_column_by_sort_or_by_flags(
    monkeypatch: pytest.MonkeyPatch, flags_per_row: int
) -> None:
    # 0: always the sort; 1000: always one flag per combination.
    monkeypatch.setattr(columns_module, "_FLAGS_PER_ROW", flags_per_row)
    accounts = ["A1", "A1", "A2", "A2", "A3"]
    blank = [None] * 5  # one value throughout: adds nothing to the key
    assert all_distinct([accounts, ["x", "y", "x", "y", "x"], blank])
    assert not all_distinct([accounts, ["x", "y", "x", "x", "y"], blank])
    assert not all_distinct([accounts, blank, ["p", "q", "p", "p", "q"]])
    assert all_distinct([["A1"], [None]])
    assert not all_distinct([["A1", "A1"], [None, None]])


def test_key_checks_leave_the_garbage_collector_as_they_found_it(
    tmp_path: Path,
) -> None:
    import gc

    folder = _portfolio_folder(tmp_path)
    assert gc.isenabled()
    assert load_workbook(folder).table("MRR").column("month")[2] == "2024-02"
    assert gc.isenabled()
    gc.disable()
    try:
        load_workbook(folder)
        assert not gc.isenabled()
    finally:
        gc.enable()
