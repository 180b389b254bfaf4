"""Cell converters: raw cell values to the canonical value of each :class:`Kind`.

Conversion runs column by column with one small function per kind, because a
pydantic model per row is far too slow for a 100k-row sheet. Raw values come from
calamine (``str``, ``float``, ``bool``, ``datetime.date``, ``datetime.datetime``,
``datetime.time``, ``datetime.timedelta``) or from CSV (always ``str``); ``""`` and
text made only of spaces are blank.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import cast

from kam.model import MONEY_QUANTUM, Column, Kind

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "ColumnResult",
    "Invalid",
    "cell_text",
    "convert_column",
    "converter",
    "is_blank",
    "shown",
]

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
#: NUMERIC(18, 2) holds amounts below 10^16.
_MONEY_LIMIT = Decimal(10) ** 16

_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER_RE = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR_RE = re.compile(r"\d{4}")
_TRUE = frozenset({"yes", "true", "1", "x", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})


class Invalid(Exception):
    """A cell that cannot be converted; the message is in the user's words."""


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None``, ``""`` or text made only of spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """The cell as plain text: 12.0 -> '12', dates in ISO form, TRUE/FALSE."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def shown(value: object, limit: int = 80) -> str:
    """The value as the user typed it, truncated for messages."""
    text = cell_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _q(value: object) -> str:
    """The value quoted for a message: text in quotes, numbers and dates bare."""
    text = shown(value)
    if isinstance(value, str):
        return repr(text)
    return text


def _num(x: float | Decimal) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _range_check(value: float | Decimal, col: Column, raw: object) -> None:
    lo, hi = col.minimum, col.maximum
    if lo is not None and hi is not None:
        if value < lo or value > hi:
            raise Invalid(f"{_q(raw)} is outside {_num(lo)}–{_num(hi)}")
    elif lo is not None and value < lo:
        raise Invalid(f"{_q(raw)} is below the minimum {_num(lo)}")
    elif hi is not None and value > hi:
        raise Invalid(f"{_q(raw)} is above the maximum {_num(hi)}")


Converter = Callable[[object], object]


def _text(col: Column, cell_chars: int) -> Converter:
    def conv(v: object) -> object:
        text = cell_text(v).strip()
        if len(text) > cell_chars:
            raise Invalid(
                f"the text is {len(text)} characters long; at most {cell_chars}"
            )
        return text

    return conv


def _int(col: Column, cell_chars: int) -> Converter:
    def conv(v: object) -> object:
        if isinstance(v, float) and not isinstance(v, bool):
            if not v.is_integer():
                raise Invalid(f"{_q(v)} is not a whole number")
            n = int(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            n = v
        elif isinstance(v, str) and _INT_RE.fullmatch(s := v.strip()):
            n = int(s.split(".")[0])
        else:
            raise Invalid(f"{_q(v)} is not a whole number")
        _range_check(n, col, v)
        return n

    return conv


def _number(col: Column, cell_chars: int) -> Converter:
    def conv(v: object) -> object:
        if isinstance(v, float | int) and not isinstance(v, bool):
            x = float(v)
        elif isinstance(v, str) and _NUMBER_RE.fullmatch(s := v.strip()):
            x = float(s)
        else:
            raise Invalid(f"{_q(v)} is not a number")
        if not math.isfinite(x):
            raise Invalid(f"{_q(v)} is not a finite number")
        _range_check(x, col, v)
        return x

    return conv


class _MoneyConv:
    """Money converter; remembers the raw values it had to round to cents."""

    def __init__(self, col: Column) -> None:
        self.col = col
        self.rounded: set[object] = set()
        self.lo = None if col.minimum is None else Decimal(repr(col.minimum))
        self.hi = None if col.maximum is None else Decimal(repr(col.maximum))

    def __call__(self, v: object) -> object:
        cls = v.__class__
        if cls is float:
            if not math.isfinite(v):  # type: ignore[arg-type]
                raise Invalid(f"{_q(v)} is not an amount")
            d = Decimal(repr(v))
        elif cls is str and _NUMBER_RE.fullmatch(s := v.strip()):  # type: ignore[attr-defined]
            d = Decimal(s)
        elif cls is int:
            d = Decimal(v)  # type: ignore[arg-type]
        else:
            raise Invalid(f"{_q(v)} is not an amount")
        if not -_MONEY_LIMIT < d < _MONEY_LIMIT:
            raise Invalid(f"{_q(v)} is too large for an amount")
        q = d.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)
        if q != d:
            self.rounded.add(v)
        lo, hi = self.lo, self.hi
        if (lo is not None and q < lo) or (hi is not None and q > hi):
            _range_check(q, self.col, v)
        return q


def _date_value(v: object) -> dt.date:
    if isinstance(v, dt.datetime):
        if v.time() != dt.time():
            raise Invalid(f"{_q(v)} has a time of day; expected a date")
        d = v.date()
    elif isinstance(v, dt.date):
        d = v
    elif isinstance(v, str) and (m := _DATE_RE.fullmatch(v.strip())):
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise Invalid(f"{_q(v)} is not a valid date") from exc
    else:
        raise Invalid(f"{_q(v)} is not a date (YYYY-MM-DD)")
    if not FIRST_DATE <= d <= LAST_DATE:
        raise Invalid(f"{_q(v)} is outside 1900-01-01–2199-12-31")
    return d


def _date(col: Column, cell_chars: int) -> Converter:
    return _date_value


def _year_month(v: object, year: int, month: int) -> str:
    if not 1 <= month <= 12:
        raise Invalid(f"{_q(v)} has no month {month}")
    if not FIRST_DATE.year <= year <= LAST_DATE.year:
        raise Invalid(f"{_q(v)} is outside the years 1900–2199")
    return f"{year:04d}-{month:02d}"


def _month_value(v: object) -> str:
    if isinstance(v, dt.date):
        d = v.date() if isinstance(v, dt.datetime) else v
        return _year_month(v, d.year, d.month)
    if isinstance(v, str):
        s = v.strip()
        if m := _MONTH_RE.fullmatch(s):
            return _year_month(v, int(m[1]), int(m[2]))
        if _DATE_RE.fullmatch(s):
            d = _date_value(s)
            return _year_month(v, d.year, d.month)
    raise Invalid(f"{_q(v)} is not a month (YYYY-MM)")


def _month(col: Column, cell_chars: int) -> Converter:
    return _month_value


def _period_value(v: object) -> str:
    if isinstance(v, float | int) and not isinstance(v, bool):
        if float(v).is_integer() and 1900 <= v <= 2199:
            return str(int(v))
        raise Invalid(f"{_q(v)} is not a period (YYYY, YYYY-Qn or YYYY-MM)")
    if isinstance(v, str):
        s = v.strip()
        if _YEAR_RE.fullmatch(s):
            if not 1900 <= int(s) <= 2199:
                raise Invalid(f"{_q(v)} is outside the years 1900–2199")
            return s
        if m := _QUARTER_RE.fullmatch(s):
            if not 1900 <= int(m[1]) <= 2199:
                raise Invalid(f"{_q(v)} is outside the years 1900–2199")
            return f"{m[1]}-Q{m[2]}"
    try:
        return _month_value(v)
    except Invalid:
        raise Invalid(f"{_q(v)} is not a period (YYYY, YYYY-Qn or YYYY-MM)") from None


def _period(col: Column, cell_chars: int) -> Converter:
    return _period_value


def _bool_value(v: object) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, float | int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().casefold()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise Invalid(f"{_q(v)} is not yes/no, true/false, 1/0 or x/blank")


def _bool(col: Column, cell_chars: int) -> Converter:
    return _bool_value


def _enum_key(text: str) -> str:
    return "_".join(text.strip().casefold().replace("-", " ").split())


def _enum(col: Column, cell_chars: int) -> Converter:
    canon = {_enum_key(c): c for c in col.choices}
    if col.choices == ("R", "A", "C", "I", "A/R"):
        canon[_enum_key("R/A")] = "A/R"

    def conv(v: object) -> object:
        found = canon.get(_enum_key(cell_text(v)))
        if found is None:
            raise Invalid(f"{_q(v)} is not one of {', '.join(col.choices)}")
        return found

    return conv


_FACTORIES: dict[Kind, Callable[[Column, int], Converter]] = {
    Kind.TEXT: _text,
    Kind.ID: _text,
    Kind.INT: _int,
    Kind.NUMBER: _number,
    Kind.DATE: _date,
    Kind.MONTH: _month,
    Kind.PERIOD: _period,
    Kind.BOOL: _bool,
    Kind.ENUM: _enum,
}


def converter(col: Column, *, cell_chars: int = 32_767) -> Converter:
    """A function converting one non-blank cell of ``col``; raises :class:`Invalid`.

    Ranges (``minimum``/``maximum``) are checked; blanks and defaults are not (see
    :func:`convert_column`).
    """
    if col.kind is Kind.MONEY:
        return _MoneyConv(col)
    return _FACTORIES[col.kind](col, cell_chars)


@dataclass
class ColumnResult:
    """A converted column.

    ``values``: canonical values (``None`` for blanks and for bad cells);
    ``errors``: ``(index, message)`` of each bad cell, in order; ``rounded``: the
    money cells that had more than 2 decimals and were rounded half-even.
    """

    values: list[object]
    errors: list[tuple[int, str]]
    rounded: list[int] = field(default_factory=list)


_MISS = object()

# Raw values whose conversion depends only on their value, so that equal cells can
# share one conversion. bool is left out (True == 1 == 1.0 would collide) and so are
# zeros (-0.0 == 0 but converts to a different amount).
_CACHEABLE = frozenset({str, int, float, dt.date, dt.datetime, dt.time, dt.timedelta})


def convert_column(
    col: Column, cells: Sequence[object], *, cell_chars: int = 32_767
) -> ColumnResult:
    """Convert one column of raw cells; blanks take ``col.default``.

    A blank cell in a required column is an error. Each distinct value is converted
    once, since ids, months, plans and amounts repeat down a column; equal cells
    then share one converted object.
    """
    conv = converter(col, cell_chars=cell_chars)
    distinct = set(cells)
    if all(v.__class__ is str for v in distinct):
        # CSV, and text columns of xlsx: map through a table of distinct values,
        # which runs at C speed.
        texts = cast("set[str]", distinct)
        by_text = {v: (_safe(conv, v) if v.strip() else None) for v in texts}
        values: list[object] = list(map(by_text.__getitem__, cast("list[str]", cells)))
        clean = all(
            r is not None and r.__class__ is not Invalid for r in by_text.values()
        )
    else:
        values = _convert_mixed(conv, cells)
        clean = False
    errors: list[tuple[int, str]] = []
    if not clean:
        _settle(col, values, errors)
    rounded: list[int] = []
    if isinstance(conv, _MoneyConv) and conv.rounded:
        rounded = [
            i
            for i, v in enumerate(cells)
            if (v.__class__ is str or v.__class__ is float) and v in conv.rounded
        ]
    return ColumnResult(values, errors, rounded)


def _convert_mixed(conv: Converter, cells: Sequence[object]) -> list[object]:
    """Convert cells of several types (xlsx), once per distinct cacheable value."""
    cache: dict[object, object] = {}
    values: list[object] = []
    append = values.append
    for v in cells:
        cls = v.__class__
        if cls is str:
            r = cache.get(v, _MISS)
            if r is _MISS:
                r = cache[v] = _safe(conv, v) if v.strip() else None  # type: ignore[attr-defined]
        elif v is None:
            r = None
        elif cls in _CACHEABLE and v != 0:
            r = cache.get(v, _MISS)
            if r is _MISS:
                r = cache[v] = _safe(conv, v)
        else:
            r = _safe(conv, v)
        append(r)
    return values


def _settle(col: Column, values: list[object], errors: list[tuple[int, str]]) -> None:
    """Blanks take the default (or are an error when required); bad cells -> None."""
    default = col.default
    for i, r in enumerate(values):
        if r is None:
            if default is not None:
                values[i] = default
            elif col.required:
                errors.append((i, "a value is required here"))
        elif r.__class__ is Invalid:
            errors.append((i, str(r)))
            values[i] = None


def _safe(conv: Converter, v: object) -> object:
    try:
        return conv(v)
    except Invalid as exc:
        return exc
