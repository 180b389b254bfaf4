"""Cell converters: accepted and rejected inputs of every kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.model import Column, Kind
from kam.workbook.convert import Invalid, cell_text, convert_column, converter


def conv(kind: Kind, value: object, **kw: object) -> object:
    return converter(Column("c", kind, **kw))(value)  # type: ignore[arg-type]


def bad(kind: Kind, value: object, **kw: object) -> str:
    with pytest.raises(Invalid) as info:
        conv(kind, value, **kw)
    return str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" A1 ", "A1"), (12.0, "12"), (12.5, "12.5"), ("007", "007"), (True, "TRUE")],
)
def test_id_is_trimmed_text_and_whole_numbers_lose_their_point(
    raw: object, expected: str
) -> None:
    assert conv(Kind.ID, raw) == expected


def test_text_renders_numbers_and_dates_plainly() -> None:
    assert conv(Kind.TEXT, 3.0) == "3"
    assert conv(Kind.TEXT, 0.25) == "0.25"
    assert conv(Kind.TEXT, dt.datetime(2024, 3, 5)) == "2024-03-05"
    assert conv(Kind.TEXT, "n/a") == "n/a"


def test_text_longer_than_the_cell_limit_is_rejected() -> None:
    col = Column("c", Kind.TEXT)
    assert converter(col, cell_chars=5)("abcde") == "abcde"
    with pytest.raises(Invalid, match="6 characters long; at most 5"):
        converter(col, cell_chars=5)("abcdef")


def test_int_accepts_whole_floats_and_text() -> None:
    assert conv(Kind.INT, 12.0) == 12
    assert conv(Kind.INT, " -3 ") == -3
    assert conv(Kind.INT, "12.0") == 12


@pytest.mark.parametrize("raw", [12.5, "12.5", "twelve", True, "1e3"])
def test_int_rejects_fractions_words_and_booleans(raw: object) -> None:
    assert "is not a whole number" in bad(Kind.INT, raw)


def test_number_accepts_floats_and_decimal_text() -> None:
    assert conv(Kind.NUMBER, "0.8") == 0.8
    assert conv(Kind.NUMBER, "-1.5e2") == -150.0
    assert conv(Kind.NUMBER, 7.0) == 7.0


@pytest.mark.parametrize("raw", ["n/a", "1_000", "nan", "inf", float("nan"), False])
def test_number_rejects_text_underscores_and_non_finite_values(raw: object) -> None:
    assert "number" in bad(Kind.NUMBER, raw)


def test_number_range_names_both_ends() -> None:
    assert bad(Kind.NUMBER, 12.0, minimum=1, maximum=10) == "12 is outside 1–10"
    assert bad(Kind.NUMBER, "0", minimum=1, maximum=10) == "'0' is outside 1–10"
    assert conv(Kind.NUMBER, 10.0, minimum=1, maximum=10) == 10.0


def test_money_is_exact_to_the_cent() -> None:
    assert conv(Kind.MONEY, 0.1) == Decimal("0.10")
    assert conv(Kind.MONEY, "1234.56") == Decimal("1234.56")
    assert conv(Kind.MONEY, "-12") == Decimal("-12.00")
    # 2.675 is 2.67499999... in binary; repr gives '2.675', rounded half-even: 2.68
    assert conv(Kind.MONEY, 2.675) == Decimal("2.68")
    assert conv(Kind.MONEY, "2.665") == Decimal("2.66")


@pytest.mark.parametrize("raw", ["12,50", "$12", "1e400", "abc", True, float("inf")])
def test_money_rejects_anything_but_a_plain_amount(raw: object) -> None:
    message = bad(Kind.MONEY, raw)
    assert "amount" in message


def test_negative_money_below_the_minimum_is_rejected() -> None:
    assert bad(Kind.MONEY, -5.0, minimum=0.0) == "-5 is below the minimum 0"


def test_money_column_counts_the_cells_it_rounded() -> None:
    col = Column("amount", Kind.MONEY)
    result = convert_column(col, [1.005, "2.50", "3.125", 4.0, "3.125"])
    assert result.values == [
        Decimal("1.00"),
        Decimal("2.50"),
        Decimal("3.12"),
        Decimal("4.00"),
        Decimal("3.12"),
    ]
    assert result.rounded == [0, 2, 4]
    assert result.errors == []


def test_date_from_excel_dates_and_iso_text() -> None:
    assert conv(Kind.DATE, dt.date(2024, 2, 29)) == dt.date(2024, 2, 29)
    assert conv(Kind.DATE, dt.datetime(2024, 2, 29)) == dt.date(2024, 2, 29)
    assert conv(Kind.DATE, " 2024-02-29 ") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (dt.datetime(2024, 1, 1, 9, 30), "time of day"),
        ("2023-02-29", "not a valid date"),
        ("29/02/2024", "not a date"),
        (45000.0, "not a date"),
        ("1899-12-31", "outside 1900-01-01–2199-12-31"),
        (dt.date(2200, 1, 1), "outside 1900-01-01–2199-12-31"),
    ],
)
def test_date_rejects_times_impossible_days_other_formats_and_far_years(
    raw: object, words: str
) -> None:
    assert words in bad(Kind.DATE, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2024-03", "2024-03"), ("2024-3", "2024-03"), (dt.date(2024, 3, 31), "2024-03")],
)
def test_month_from_text_or_date(raw: object, expected: str) -> None:
    assert conv(Kind.MONTH, raw) == expected


@pytest.mark.parametrize("raw", ["2024-13", "2024", "March 2024", 202403.0])
def test_month_rejects_non_months(raw: object) -> None:
    with pytest.raises(Invalid):
        conv(Kind.MONTH, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024", "2024"),
        (2024.0, "2024"),
        ("2024-q3", "2024-Q3"),
        ("2024-07", "2024-07"),
        (dt.date(2024, 7, 15), "2024-07"),
    ],
)
def test_period_is_a_year_a_quarter_or_a_month(raw: object, expected: str) -> None:
    assert conv(Kind.PERIOD, raw) == expected


@pytest.mark.parametrize("raw", ["2024-Q5", "2024-Q0", "24", 2024.5, "FY24"])
def test_period_rejects_other_shapes(raw: object) -> None:
    assert "is not a period" in bad(Kind.PERIOD, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes", True),
        ("no", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("x", True),
        ("X", True),
        (True, True),
        (0.0, False),
    ],
)
def test_bool_accepts_the_usual_spellings(raw: object, expected: bool) -> None:
    assert conv(Kind.BOOL, raw) is expected


@pytest.mark.parametrize("raw", ["maybe", 2.0, "ok"])
def test_bool_rejects_anything_else(raw: object) -> None:
    assert "yes/no" in bad(Kind.BOOL, raw)


def test_enum_matches_ignoring_case_and_returns_the_canonical_choice() -> None:
    choices = ("watch", "at_risk", "critical")
    assert conv(Kind.ENUM, "AT_RISK", choices=choices) == "at_risk"
    assert conv(Kind.ENUM, "At risk", choices=choices) == "at_risk"
    assert conv(Kind.ENUM, "nps", choices=("NPS", "CSAT")) == "NPS"
    assert bad(Kind.ENUM, "urgent", choices=choices) == (
        "'urgent' is not one of watch, at_risk, critical"
    )


def test_raci_code_accepts_r_slash_a_as_a_slash_r() -> None:
    choices = ("R", "A", "C", "I", "A/R")
    assert conv(Kind.ENUM, "r/a", choices=choices) == "A/R"
    assert conv(Kind.ENUM, "a/r", choices=choices) == "A/R"


def test_blank_cells_take_the_default_or_are_required() -> None:
    status = Column(
        "status", Kind.ENUM, choices=("active", "churned"), default="active"
    )
    assert convert_column(status, ["", "churned", "  "]).values == [
        "active",
        "churned",
        "active",
    ]
    name = Column("name", Kind.TEXT, required=True)
    result = convert_column(name, ["Acme", "", None])
    assert result.values == ["Acme", None, None]
    assert result.errors == [
        (1, "a value is required here"),
        (2, "a value is required here"),
    ]


def test_a_column_reports_each_bad_cell_by_position() -> None:
    col = Column("score", Kind.NUMBER, minimum=1, maximum=10)
    result = convert_column(col, [5.0, "n/a", 12.0, "n/a", ""])
    assert result.values == [5.0, None, None, None, None]
    assert result.errors == [
        (1, "'n/a' is not a number"),
        (2, "12 is outside 1–10"),
        (3, "'n/a' is not a number"),
    ]


def test_cell_text_keeps_what_the_user_sees() -> None:
    assert cell_text(12.0) == "12"
    assert cell_text(False) == "FALSE"
    assert cell_text(dt.datetime(2024, 1, 2, 3, 4)) == "2024-01-02 03:04:00"
