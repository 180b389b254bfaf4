"""Periods, grains, fiscal years and period ranges.

A period of the data is ``'YYYY'`` (a whole fiscal year), ``'YYYY-Qn'`` (a calendar
quarter) or ``'YYYY-MM'`` (a month). Internally every period is a span of month
indices (``year * 12 + month - 1``, inclusive at both ends), so that ranges, fiscal
years and grains compare as integers.

Fiscal years are **named by the calendar year in which they end** (the convention of
most companies with a shifted year: with ``fiscal_year_start = 7``, FY 2025 runs from
July 2024 to June 2025). With ``fiscal_year_start = 1`` the fiscal year is the calendar
year. A ``'YYYY'`` row of the data is fiscal year ``YYYY``.

Grains: ``year`` (fiscal years, labelled ``'YYYY'``), ``quarter`` (calendar quarters,
``'YYYY-Qn'``) and ``month`` (``'YYYY-MM'``). A row can be labelled at its own grain
or a coarser one; asking for a finer grain than a row has is an error.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from kam.errors import InputError, ParameterError

__all__ = [
    "GRAINS",
    "Grain",
    "Period",
    "PeriodRange",
    "default_range",
    "fiscal_year_of_month",
    "fiscal_year_span",
    "grain_labels",
    "grain_span",
    "label_for",
    "month_index",
    "month_label",
    "parse_period",
    "resolve_range",
    "select_periods",
]

Grain = Literal["year", "quarter", "month"]
GRAINS: tuple[Grain, ...] = ("year", "quarter", "month")
_FINENESS = {"year": 0, "quarter": 1, "month": 2}
_GRAIN_WORDS = {"year": "years", "quarter": "quarters", "month": "months"}

_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def month_index(year: int, month: int) -> int:
    """The month ``year-month`` as one integer (consecutive months differ by 1)."""
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """``'YYYY-MM'`` of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _check_fy_start(fiscal_year_start: int) -> None:
    if not 1 <= fiscal_year_start <= 12:
        raise ParameterError(
            "fiscal_year_start",
            f"{fiscal_year_start} is not a month number from 1 to 12",
        )


def fiscal_year_of_month(index: int, fiscal_year_start: int = 1) -> int:
    """The fiscal year (named by the calendar year it ends in) of a month index."""
    _check_fy_start(fiscal_year_start)
    year, month = divmod(index, 12)
    return (
        year + 1 if fiscal_year_start > 1 and month + 1 >= fiscal_year_start else year
    )


def fiscal_year_span(fiscal_year: int, fiscal_year_start: int = 1) -> tuple[int, int]:
    """First and last month index of a fiscal year."""
    _check_fy_start(fiscal_year_start)
    first = month_index(fiscal_year, fiscal_year_start)
    if fiscal_year_start > 1:
        first -= 12
    return first, first + 11


@dataclass(frozen=True)
class Period:
    """One parsed period: its text, grain, year and quarter/month number (0 = year)."""

    text: str
    grain: Grain
    year: int
    number: int

    def span(self, fiscal_year_start: int = 1) -> tuple[int, int]:
        """First and last month index the period covers."""
        if self.grain == "year":
            return fiscal_year_span(self.year, fiscal_year_start)
        if self.grain == "quarter":
            first = month_index(self.year, 3 * self.number - 2)
            return first, first + 2
        m = month_index(self.year, self.number)
        return m, m


def parse_period(text: str, *, what: str = "period") -> Period:
    """Parse ``'YYYY'``, ``'YYYY-Qn'`` or ``'YYYY-MM'``; InputError names ``what``."""
    cleaned = str(text).strip().upper()
    match = _PERIOD.match(cleaned)
    if match is None:
        raise InputError(
            f"{what}: {text!r} is not a period (expected YYYY, YYYY-Qn or YYYY-MM)"
        )
    year = int(match.group(1))
    if match.group(2):
        return Period(cleaned, "quarter", year, int(match.group(2)))
    if match.group(3):
        return Period(cleaned, "month", year, int(match.group(3)))
    return Period(cleaned, "year", year, 0)


def label_for(
    period: Period, grain: Grain, fiscal_year_start: int = 1, *, sheet: str = "data"
) -> str:
    """The label of ``period`` at ``grain`` (a fiscal year, a quarter or a month).

    Raises ParameterError (parameter ``grain``) when the row is coarser than the grain,
    and InputError when a calendar quarter straddles two fiscal years.
    """
    if _FINENESS[period.grain] < _FINENESS[grain]:
        raise ParameterError(
            "grain",
            f"the {sheet} sheet has rows by {period.grain} (e.g. {period.text}); a "
            f"{period.grain} cannot be split into {_GRAIN_WORDS[grain]}: use "
            f"grain={period.grain} or a coarser one",
        )
    first, last = period.span(fiscal_year_start)
    if grain == "year":
        if period.grain == "year":
            return period.text
        fy = fiscal_year_of_month(first, fiscal_year_start)
        if fiscal_year_of_month(last, fiscal_year_start) != fy:
            raise InputError(
                f"{sheet} rows of quarter {period.text} straddle two fiscal years "
                f"(the fiscal year starts in month {fiscal_year_start}); give months "
                "instead of quarters"
            )
        return f"{fy:04d}"
    if grain == "quarter":
        year, month0 = divmod(first, 12)
        return f"{year:04d}-Q{month0 // 3 + 1}"
    return month_label(first)


def grain_labels(
    first: int, last: int, grain: Grain, fiscal_year_start: int = 1
) -> list[str]:
    """Labels of every ``grain`` period that overlaps months ``first``…``last``."""
    if grain == "year":
        lo = fiscal_year_of_month(first, fiscal_year_start)
        hi = fiscal_year_of_month(last, fiscal_year_start)
        return [f"{y:04d}" for y in range(lo, hi + 1)]
    if grain == "quarter":
        return [f"{q // 4:04d}-Q{q % 4 + 1}" for q in range(first // 3, last // 3 + 1)]
    return [month_label(m) for m in range(first, last + 1)]


def grain_span(label: str, fiscal_year_start: int = 1) -> tuple[int, int]:
    """First and last month of a grain label (a fiscal year, quarter or month)."""
    return parse_period(label).span(fiscal_year_start)


@dataclass(frozen=True)
class PeriodRange:
    """A range of months, inclusive, with the labels the user knows it by."""

    first: int
    last: int
    label_from: str
    label_to: str

    def covers(self, span: tuple[int, int]) -> bool:
        return self.first <= span[0] and span[1] <= self.last

    def overlaps(self, span: tuple[int, int]) -> bool:
        return span[0] <= self.last and self.first <= span[1]

    @property
    def text(self) -> str:
        if self.label_from == self.label_to:
            return self.label_from
        return f"{self.label_from} – {self.label_to}"


def _bound(text: object, name: str) -> Period:
    try:
        return parse_period(str(text), what=name)
    except InputError as exc:
        raise ParameterError(
            name, f"{text!r} is not a period (expected YYYY, YYYY-Qn or YYYY-MM)"
        ) from exc


def _spans(periods: Iterable[Period], fys: int) -> list[tuple[int, int]]:
    return [p.span(fys) for p in periods]


def resolve_range(
    periods: Sequence[Period],
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
    default_years: int = 1,
) -> tuple[PeriodRange, list[str]]:
    """The range to analyse, and warnings about how it was chosen.

    ``period_from`` starts at the first month of its period (``'2023'`` = the first
    month of FY 2023), ``period_to`` ends at the last month of its period. When both
    are missing the range is :func:`default_range` (``default_years`` complete fiscal
    years); when one is missing it extends to the edge of the data.
    """
    _check_fy_start(fiscal_year_start)
    if period_from is None and period_to is None:
        return default_range(
            periods,
            fiscal_year_start=fiscal_year_start,
            as_of=as_of,
            years=default_years,
        )
    spans = _spans(periods, fiscal_year_start)
    if period_from is not None:
        p = _bound(period_from, "period_from")
        first, label_from = p.span(fiscal_year_start)[0], p.text
    else:
        first = min(s[0] for s in spans)
        label_from = month_label(first)
    if period_to is not None:
        p = _bound(period_to, "period_to")
        last, label_to = p.span(fiscal_year_start)[1], p.text
    else:
        last = max(s[1] for s in spans)
        label_to = month_label(last)
    if first > last:
        raise ParameterError(
            "period_to",
            f"{label_to} ends before period_from {label_from} starts",
        )
    return PeriodRange(first, last, label_from, label_to), []


def _last_complete_month(as_of: date) -> int:
    """The last month fully passed on ``as_of`` (its own if it is its last day)."""
    index = month_index(as_of.year, as_of.month)
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    return index if as_of.day == last_day else index - 1


def default_range(
    periods: Sequence[Period],
    *,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
    years: int = 1,
) -> tuple[PeriodRange, list[str]]:
    """The last ``years`` complete fiscal years that hold data.

    A fiscal year is complete when it ended on or before ``as_of`` (default: when the
    last period with data reaches its last month). Fewer years are used, with a
    warning, when the data holds fewer; when it holds no complete fiscal year, all the
    data up to ``as_of`` is used, with a warning.
    """
    spans = _spans(periods, fiscal_year_start)
    if not spans:
        raise InputError("there is no data to choose a period range from")
    data_last = max(s[1] for s in spans)
    cutoff = data_last if as_of is None else _last_complete_month(as_of)
    data_first = min(s[0] for s in spans)
    if data_first > cutoff:
        raise InputError(
            f"no data on or before as_of {as_of}: the data starts in "
            f"{month_label(data_first)}"
        )
    fy_last = fiscal_year_of_month(cutoff, fiscal_year_start)
    if fiscal_year_span(fy_last, fiscal_year_start)[1] > cutoff:
        fy_last -= 1
    fy_first_data = fiscal_year_of_month(data_first, fiscal_year_start)
    # The last complete year must hold data: skip empty years at the end.
    while fy_last >= fy_first_data and not any(
        s[0] <= fiscal_year_span(fy_last, fiscal_year_start)[1]
        and fiscal_year_span(fy_last, fiscal_year_start)[0] <= s[1]
        for s in spans
    ):
        fy_last -= 1
    if fy_last < fy_first_data:
        last = min(data_last, cutoff)
        rng = PeriodRange(data_first, last, month_label(data_first), month_label(last))
        return rng, [
            f"the data holds no complete fiscal year; using all of it ({rng.text})"
        ]
    fy_first = max(fy_last - years + 1, fy_first_data)
    warnings: list[str] = []
    count = fy_last - fy_first + 1
    if count < years:
        warnings.append(
            f"the data holds only {count} complete fiscal "
            f"year{'s' if count != 1 else ''} ({fy_first}"
            + (f"–{fy_last}" if count > 1 else "")
            + f"); {years} were asked for"
        )
    first = fiscal_year_span(fy_first, fiscal_year_start)[0]
    last = fiscal_year_span(fy_last, fiscal_year_start)[1]
    return PeriodRange(first, last, f"{fy_first:04d}", f"{fy_last:04d}"), warnings


def select_periods(
    periods: Sequence[Period],
    rng: PeriodRange,
    *,
    fiscal_year_start: int = 1,
    sheet: str = "data",
) -> list[Period]:
    """The periods of the data inside ``rng``; a row the range cuts is an InputError."""
    chosen: list[Period] = []
    cut: list[str] = []
    for p in periods:
        span = p.span(fiscal_year_start)
        if rng.covers(span):
            chosen.append(p)
        elif rng.overlaps(span):
            cut.append(f"{p.text} ({month_label(span[0])} to {month_label(span[1])})")
    if cut:
        raise InputError(
            f"the range {rng.text} cuts {sheet} rows of "
            + ", ".join(sorted(cut))
            + "; choose a range that starts and ends on their boundaries"
        )
    return sorted(chosen, key=lambda p: (p.span(fiscal_year_start), p.text))
