"""Working-day calendars: the arithmetic against the day-by-day definition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.workdays import Calendar
from kam.errors import ParameterError

_ONE = timedelta(days=1)


# The definition, one day at a time (the calendar's first implementation).
def _working(day: date, holidays: frozenset[date], weekend: frozenset[int]) -> bool:
    return day.isoweekday() not in weekend and day not in holidays


def _roll_forward(
    day: date, holidays: frozenset[date], weekend: frozenset[int]
) -> date:
    while not _working(day, holidays, weekend):
        day += _ONE
    return day


def _date_at(
    start: date, index: int, holidays: frozenset[date], weekend: frozenset[int]
) -> date:
    step = _ONE if index >= 0 else -_ONE
    remaining, day = abs(index), start
    while remaining:
        day += step
        if _working(day, holidays, weekend):
            remaining -= 1
    return day


def _index_of(
    start: date, day: date, holidays: frozenset[date], weekend: frozenset[int]
) -> int:
    day = _roll_forward(day, holidays, weekend)
    count, current = 0, start
    while current < day:
        current += _ONE
        count += _working(current, holidays, weekend)
    while current > day:
        current -= _ONE
        count -= _working(current, holidays, weekend)
    return count


_BASE = date(2026, 1, 1)
# Dates within two years of 2026-01-01; holidays in the same window, dense enough
# that many dates and whole runs of days are holidays.
_DAYS = st.integers(-730, 730).map(lambda n: _BASE + timedelta(days=n))
_HOLIDAYS = st.frozensets(_DAYS, max_size=80) | st.builds(
    lambda first, n: frozenset(first + timedelta(days=i) for i in range(n)),
    _DAYS,
    st.integers(1, 40),
)
# Any weekend that leaves at least one working day in the week.
_WEEKENDS = st.just(frozenset({6, 7})) | st.frozensets(st.integers(1, 7), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    start=_DAYS,
    index=st.integers(-400, 400),
    holidays=_HOLIDAYS,
    weekend=_WEEKENDS,
)
def test_date_at_matches_the_day_by_day_count(
    start: date, index: int, holidays: frozenset[date], weekend: frozenset[int]
) -> None:
    cal = Calendar(holidays, weekend)
    assert cal.date_at(start, index) == _date_at(start, index, holidays, weekend)


@settings(max_examples=300, deadline=None)
@given(start=_DAYS, day=_DAYS, holidays=_HOLIDAYS, weekend=_WEEKENDS)
def test_index_of_and_roll_forward_match_the_day_by_day_count(
    start: date, day: date, holidays: frozenset[date], weekend: frozenset[int]
) -> None:
    cal = Calendar(holidays, weekend)
    assert cal.roll_forward(day) == _roll_forward(day, holidays, weekend)
    assert cal.index_of(start, day) == _index_of(start, day, holidays, weekend)


@settings(max_examples=200, deadline=None)
@given(start=_DAYS, index=st.integers(-400, 400), holidays=_HOLIDAYS)
def test_index_of_inverts_date_at_from_a_working_day(
    start: date, index: int, holidays: frozenset[date]
) -> None:
    cal = Calendar(holidays)
    first = cal.roll_forward(start)
    assert cal.index_of(first, cal.date_at(first, index)) == index


def test_christmas_holidays_by_hand() -> None:
    # Fri 25 and Mon 28 December 2026 are holidays; Sat 26 and Sun 27 a weekend.
    cal = Calendar(frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    thursday = date(2026, 12, 24)
    assert cal.date_at(thursday, 1) == date(2026, 12, 29)  # Tuesday
    assert cal.date_at(date(2026, 12, 29), -1) == thursday
    assert cal.roll_forward(date(2026, 12, 25)) == date(2026, 12, 29)
    assert cal.index_of(thursday, date(2026, 12, 26)) == 1  # rolls to Tuesday
    # Starting on the holiday itself: the next working day is Tuesday.
    assert cal.date_at(date(2026, 12, 25), 1) == date(2026, 12, 29)
    assert cal.date_at(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_a_year_of_working_days_by_hand() -> None:
    # 2026 starts on a Thursday: 52 whole weeks (260 weekdays) and Thu 31 Dec, so
    # 261 weekdays. From Thu 1 Jan 2026 (excluded) to Fri 1 Jan 2027 (included):
    # 261 − 1 (1 Jan 2026) + 1 (1 Jan 2027) = 261.
    cal = Calendar()
    assert cal.index_of(date(2026, 1, 1), date(2027, 1, 1)) == 261
    assert cal.date_at(date(2026, 1, 1), 261) == date(2027, 1, 1)
    assert cal.date_at(date(2027, 1, 1), -261) == date(2026, 1, 1)
    # Ten holidays on weekdays push the date two weeks on.
    mondays = frozenset(date(2026, 3, 2) + timedelta(weeks=i) for i in range(10))
    assert Calendar(mondays).date_at(date(2026, 1, 1), 261) == date(2027, 1, 15)


def test_no_working_day_within_ten_years_is_an_error() -> None:
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(3700))
    with pytest.raises(ParameterError, match="no working day"):
        Calendar(every_day).roll_forward(date(2026, 1, 1))
    with pytest.raises(ParameterError, match="no working day"):
        Calendar(weekend=frozenset(range(1, 8))).roll_forward(date(2026, 1, 1))
    # 3,659 days off still leave the 3,660th (Tue 8 Jan 2036), within reach.
    almost = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(3659))
    assert Calendar(almost).roll_forward(date(2026, 1, 1)) == date(2036, 1, 8)
