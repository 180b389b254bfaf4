"""Working-day calendars for schedules: day indexes ↔ dates.

A schedule counts time in working days from day 0, the project start. Index ``i``
is the morning of the ``i``-th working day after the start; a task of duration
``d`` that starts at ``i`` ends at ``i + d`` (exclusive), i.e. at the end of working
day ``i + d − 1``. Weekends (Saturday and Sunday by default) and the listed holidays
are not working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from kam.errors import ParameterError

__all__ = ["Calendar", "parse_holidays"]

_ONE = timedelta(days=1)


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
class Calendar:
    """Working days: Monday–Friday minus ``holidays`` (``weekend`` = ISO weekdays
    that never work, 6 = Saturday, 7 = Sunday)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({6, 7})

    def is_working(self, day: date) -> bool:
        """True when ``day`` is a working day."""
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day."""
        for _ in range(3660):
            if self.is_working(day):
                return day
            day += _ONE
        raise ParameterError("holidays", "no working day within ten years")

    def date_at(self, start: date, index: int) -> date:
        """The working day ``index`` working days after ``start`` (a working day);
        a negative ``index`` counts backwards."""
        step = _ONE if index >= 0 else -_ONE
        remaining = abs(index)
        day = start
        while remaining:
            day += step
            if self.is_working(day):
                remaining -= 1
        return day

    def index_of(self, start: date, day: date) -> int:
        """Working days from ``start`` to ``day``: the index of ``day`` when it is a
        working day, else of the next working day (negative before ``start``)."""
        day = self.roll_forward(day)
        count = 0
        if day >= start:
            current = start
            while current < day:
                current += _ONE
                if self.is_working(current):
                    count += 1
            return count
        current = start
        while current > day:
            current -= _ONE
            if self.is_working(current):
                count -= 1
        return count
