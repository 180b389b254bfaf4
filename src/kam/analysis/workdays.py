"""Working-day calendars for schedules: day indexes ↔ dates.

A schedule counts time in working days from day 0, the project start. Index ``i``
is the morning of the ``i``-th working day after the start; a task of duration
``d`` that starts at ``i`` ends at ``i + d`` (exclusive), i.e. at the end of working
day ``i + d − 1``. Weekends (Saturday and Sunday by default) and the listed holidays
are not working days.

The conversions are arithmetic on date ordinals (whole weeks × working days per
week, plus the days of the last week, minus the holidays before the date found by
bisection), so their cost does not grow with the distance between the dates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from kam.errors import ParameterError

__all__ = ["Calendar", "parse_holidays"]

#: ``roll_forward`` gives up after this many days without a working day.
_HORIZON = 3660


def parse_holidays(value: object) -> frozenset[date]:
    """Holidays from text (``2026-12-25, 2026-12-26``), dates, or nothing.

    Raises ParameterError naming the parameter ``holidays`` and the bad item.
    """
    if value is None:
        return frozenset()
    items: Iterable[object]
    if isinstance(value, str):
        items = [p for p in value.replace(";", ",").split(",") if p.strip()]
    elif isinstance(value, Iterable):
        items = value
    else:
        items = [value]
    out: set[date] = set()
    for item in items:
        if isinstance(item, date):
            out.add(item)
            continue
        try:
            out.add(date.fromisoformat(str(item).strip()))
        except ValueError as exc:
            raise ParameterError(
                "holidays", f"{item!r} is not a date (YYYY-MM-DD)"
            ) from exc
    return frozenset(out)


@dataclass(frozen=True)
class _Days:
    """A calendar's working days as arithmetic on date ordinals.

    ``week``: the working days of a week, as offsets from Monday (0–6);
    ``before``: working days of a week before each offset (``before[7]`` = per
    week); ``holidays``: sorted ordinals of the holidays that fall on a working
    weekday (the others change nothing).
    """

    week: tuple[int, ...]
    before: tuple[int, ...]
    holidays: tuple[int, ...]

    def count(self, ordinal: int) -> int:
        """Working days before ``ordinal`` (from ordinal 1, a Monday)."""
        weeks, rest = divmod(ordinal - 1, 7)
        return (
            weeks * self.before[7]
            + self.before[rest]
            - bisect_left(self.holidays, ordinal)
        )

    def nth(self, index: int) -> int:
        """The ordinal of the working day with ``index`` working days before it."""
        per_week = len(self.week)
        # The index among working weekdays grows with the holidays up to that
        # day; from ``index`` upwards the least fixed point is the working day.
        slot = index
        while True:
            weeks, rest = divmod(slot, per_week)
            ordinal = 1 + 7 * weeks + self.week[rest]
            after = index + bisect_right(self.holidays, ordinal)
            if after == slot:
                return ordinal
            slot = after


@dataclass(frozen=True)
class Calendar:
    """Working days: Monday–Friday minus ``holidays`` (``weekend`` = ISO weekdays
    that never work, 6 = Saturday, 7 = Sunday)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({6, 7})

    @cached_property
    def _days(self) -> _Days:
        week = tuple(d for d in range(7) if d + 1 not in self.weekend)
        if not week:
            raise ParameterError("holidays", "no working day within ten years")
        before = tuple(sum(1 for d in week if d < rest) for rest in range(8))
        holidays = sorted(
            d.toordinal() for d in self.holidays if d.isoweekday() not in self.weekend
        )
        return _Days(week, before, tuple(holidays))

    def is_working(self, day: date) -> bool:
        """True when ``day`` is a working day."""
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day."""
        days = self._days
        found = days.nth(days.count(day.toordinal()))
        if found - day.toordinal() >= _HORIZON:
            raise ParameterError("holidays", "no working day within ten years")
        return date.fromordinal(found)

    def date_at(self, start: date, index: int) -> date:
        """The working day ``index`` working days after ``start`` (a working day);
        a negative ``index`` counts backwards."""
        if index == 0:
            return start
        days, ordinal = self._days, start.toordinal()
        if index > 0:
            # The first working day after ``start`` has count(start + 1) before it.
            return date.fromordinal(days.nth(days.count(ordinal + 1) + index - 1))
        return date.fromordinal(days.nth(days.count(ordinal) + index))

    def index_of(self, start: date, day: date) -> int:
        """Working days from ``start`` to ``day``: the index of ``day`` when it is a
        working day, else of the next working day (negative before ``start``)."""
        days = self._days
        found, ordinal = self.roll_forward(day).toordinal(), start.toordinal()
        if found >= ordinal:
            # Working days in (start, found].
            return days.count(found + 1) - days.count(ordinal + 1)
        # Minus the working days in [found, start).
        return days.count(found) - days.count(ordinal)
