"""Periods, fiscal years, grains and ranges."""

from __future__ import annotations

from datetime import date

import pytest

from kam.analysis.periods import (
    PeriodRange,
    default_range,
    fiscal_year_of_month,
    fiscal_year_span,
    grain_labels,
    label_for,
    month_index,
    month_label,
    parse_period,
    resolve_range,
    select_periods,
)
from kam.errors import InputError, ParameterError


def months(first: str, last: str) -> list[str]:
    a = parse_period(first).span()[0]
    b = parse_period(last).span()[0]
    return [month_label(i) for i in range(a, b + 1)]


def periods(*texts: str) -> list:
    return [parse_period(t) for t in texts]


def test_parse_period_knows_years_quarters_and_months() -> None:
    assert parse_period("2024").grain == "year"
    assert parse_period("2024-q3") == parse_period("2024-Q3")
    assert parse_period("2024-Q3").span() == (
        month_index(2024, 7),
        month_index(2024, 9),
    )
    assert parse_period(" 2024-02 ").span() == (month_index(2024, 2),) * 2


@pytest.mark.parametrize("bad", ["24", "2024-13", "2024-Q5", "2024/01", "", "2024-1"])
def test_parse_period_rejects_malformed_text_naming_it(bad: str) -> None:
    with pytest.raises(InputError, match="expected YYYY, YYYY-Qn or YYYY-MM"):
        parse_period(bad, what="Revenue period")


def test_fiscal_year_is_the_calendar_year_when_it_starts_in_january() -> None:
    assert fiscal_year_of_month(month_index(2024, 1), 1) == 2024
    assert fiscal_year_of_month(month_index(2024, 12), 1) == 2024
    assert fiscal_year_span(2024, 1) == (month_index(2024, 1), month_index(2024, 12))


def test_fiscal_year_is_named_by_the_year_it_ends_in() -> None:
    # FY 2025 starting in July runs from July 2024 to June 2025.
    assert fiscal_year_span(2025, 7) == (month_index(2024, 7), month_index(2025, 6))
    assert fiscal_year_of_month(month_index(2024, 7), 7) == 2025
    assert fiscal_year_of_month(month_index(2024, 6), 7) == 2024


def test_fiscal_year_start_outside_1_to_12_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="fiscal_year_start"):
        fiscal_year_span(2024, 13)


def test_months_are_labelled_at_coarser_grains() -> None:
    june = parse_period("2024-06")
    assert label_for(june, "month") == "2024-06"
    assert label_for(june, "quarter") == "2024-Q2"
    assert label_for(june, "year") == "2024"
    assert label_for(parse_period("2024-07"), "year", 7) == "2025"
    assert label_for(parse_period("2024-Q3"), "year", 4) == "2025"


def test_a_year_cannot_be_split_into_quarters() -> None:
    with pytest.raises(ParameterError, match="rows by year") as info:
        label_for(parse_period("2023"), "quarter", sheet="Revenue")
    assert info.value.parameter == "grain"
    assert "Revenue" in str(info.value)


def test_a_quarter_straddling_two_fiscal_years_is_an_error() -> None:
    with pytest.raises(InputError, match="straddle"):
        label_for(parse_period("2024-Q1"), "year", 2)


def test_grain_labels_cover_the_range() -> None:
    first, last = month_index(2023, 11), month_index(2024, 2)
    assert grain_labels(first, last, "month") == months("2023-11", "2024-02")
    assert grain_labels(first, last, "quarter") == ["2023-Q4", "2024-Q1"]
    assert grain_labels(first, last, "year") == ["2023", "2024"]
    assert grain_labels(first, last, "year", 7) == ["2024"]


def test_explicit_range_runs_from_the_start_of_from_to_the_end_of_to() -> None:
    data = periods("2023-01")
    rng, warnings = resolve_range(data, period_from="2023", period_to="2025-06")
    assert (rng.first, rng.last) == (month_index(2023, 1), month_index(2025, 6))
    assert rng.text == "2023 – 2025-06"
    assert warnings == []


def test_range_from_a_fiscal_year_starts_in_its_first_month() -> None:
    rng, _ = resolve_range(periods("2024-06"), period_from="2024", fiscal_year_start=4)
    assert rng.first == month_index(2023, 4)


def test_range_with_from_after_to_is_rejected() -> None:
    with pytest.raises(ParameterError, match="period_to"):
        resolve_range(periods("2023"), period_from="2024", period_to="2023-06")


def test_malformed_range_bound_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match="period_from"):
        resolve_range(periods("2023"), period_from="last year")


def test_default_range_is_the_last_complete_fiscal_year() -> None:
    data = periods(*months("2022-01", "2025-06"))
    rng, warnings = default_range(data)
    assert (rng.label_from, rng.label_to) == ("2024", "2024")
    assert warnings == []


def test_default_range_counts_a_year_complete_on_its_last_day() -> None:
    data = periods(*months("2022-01", "2025-06"))
    on_last_day, _ = default_range(data, as_of=date(2023, 12, 31))
    day_before, _ = default_range(data, as_of=date(2023, 12, 30))
    assert on_last_day.label_to == "2023"
    assert day_before.label_to == "2022"


def test_default_range_of_three_years_with_shifted_fiscal_year() -> None:
    data = periods(*months("2020-07", "2025-02"))
    rng, warnings = default_range(data, fiscal_year_start=7, years=3)
    # Complete fiscal years by February 2025: FY 2022, 2023 and 2024 (ends June 2024).
    assert (rng.label_from, rng.label_to) == ("2022", "2024")
    assert rng.first == month_index(2021, 7)
    assert warnings == []


def test_default_range_uses_fewer_years_with_a_warning() -> None:
    rng, warnings = default_range(periods("2023", "2024"), years=3)
    assert (rng.label_from, rng.label_to) == ("2023", "2024")
    assert warnings == [
        "the data holds only 2 complete fiscal years (2023–2024); 3 were asked for"
    ]


def test_default_range_without_a_complete_year_uses_all_data_with_a_warning() -> None:
    rng, warnings = default_range(periods("2024-02", "2024-05"))
    assert rng.text == "2024-02 – 2024-05"
    assert "no complete fiscal year" in warnings[0]


def test_default_range_skips_empty_years_at_the_end() -> None:
    rng, _ = default_range(periods("2022", "2025-01"), as_of=date(2025, 3, 1))
    assert rng.label_to == "2022"


def test_default_range_before_all_data_is_an_error() -> None:
    with pytest.raises(InputError, match="no data on or before"):
        default_range(periods("2024"), as_of=date(2020, 1, 1))


def test_select_periods_keeps_rows_inside_and_refuses_cut_rows() -> None:
    data = periods("2023", "2024-03", "2024-Q2", "2025-01")
    rng = PeriodRange(month_index(2023, 1), month_index(2024, 6), "2023", "2024-06")
    assert [p.text for p in select_periods(data, rng)] == ["2023", "2024-03", "2024-Q2"]
    cutting = PeriodRange(month_index(2023, 1), month_index(2024, 5), "2023", "2024-05")
    with pytest.raises(InputError, match="cuts Revenue rows of 2024-Q2"):
        select_periods(data, cutting, sheet="Revenue")
