"""Shared calendar, money and table helpers of the demo portfolio."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from kam.model import MONEY_QUANTUM, SHEETS, Table, store_columns

#: The date the demo workbook describes.
AS_OF = date(2026, 10, 31)

#: First month of the MRR and revenue history.
FIRST_MONTH = (2023, 1)

#: Number of months from 2023-01 to 2026-10 inclusive.
MONTH_COUNT = 46

#: Our company, its currency and the domain of every invented e-mail address.
COMPANY = "Nimbara Cloud — Health"
CURRENCY = "USD"
DOMAIN = "nimbara.example"


def month_label(index: int) -> str:
    """The ``YYYY-MM`` label of month ``index`` (0 = 2023-01)."""
    year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + index, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_start(index: int) -> date:
    """The first day of month ``index``."""
    year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + index, 12)
    return date(year, month + 1, 1)


def month_end(index: int) -> date:
    """The last day of month ``index``."""
    return month_start(index + 1) - timedelta(days=1)


def month_index(day: date) -> int:
    """The month index of ``day`` (negative before 2023-01)."""
    return (day.year - FIRST_MONTH[0]) * 12 + day.month - FIRST_MONTH[1]


MONTHS: tuple[str, ...] = tuple(month_label(i) for i in range(MONTH_COUNT))


def money(value: float | int | Decimal) -> Decimal:
    """An amount as the model's canonical money value (Decimal to the cent)."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def dollars(value: float) -> Decimal:
    """An amount rounded to whole dollars (list prices are whole), as money."""
    return money(Decimal(round(value)))


def sub_rng(seed: int, topic: str) -> random.Random:
    """An independent generator per topic, so one part's draws never shift another's.

    Seeding with a string is stable across processes (it is hashed with SHA-512,
    not with the randomised ``hash``).
    """
    return random.Random(f"kam-demo:{seed}:{topic}")


def make_table(sheet_name: str, rows: Iterable[Mapping[str, object]]) -> Table:
    """A canonical table of ``sheet_name`` holding ``rows`` (``extra`` = ``{}``)."""
    return Table.from_rows(store_columns(SHEETS[sheet_name]), rows)


def add_working_days(day: date, count: int) -> date:
    """The working day (Mon–Fri) ``count`` working days after ``day``."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += timedelta(days=step)
        if current.weekday() < 5:
            remaining -= 1
    return current
