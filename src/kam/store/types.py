"""Column types of the store and the conversion of canonical values for bulk loads.

Money is exact everywhere. PostgreSQL holds it as ``NUMERIC(18,2)``. SQLite has no
decimal type: SQLAlchemy's ``Numeric`` on SQLite goes through binary floats (and
warns), so :class:`Money` stores whole cents in an integer column there. Either way
the Python value is a ``Decimal`` quantized to 0.01.

The bulk loader bypasses SQLAlchemy's bind processing (it feeds the DBAPI directly
for speed), so :func:`bulk_converter` gives, per column kind and dialect, the same
conversion the column types apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Float, Integer, Numeric, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from kam.errors import StoreError
from kam.model import MONEY_QUANTUM, Kind

__all__ = [
    "Money",
    "bulk_converter",
    "dump_extra",
    "load_extra",
    "sql_type",
    "to_money",
]

#: Largest amount NUMERIC(18,2) holds; SQLite cents obey the same bound so that a
#: store can move between the two engines.
MONEY_LIMIT = Decimal("9999999999999999.99")


def to_money(value: object) -> Decimal:
    """``value`` as a Decimal quantized to cents; refuses what is not an amount."""
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, int | str) and not isinstance(value, bool):
            d = Decimal(value)
        elif isinstance(value, float):
            d = Decimal(repr(value))
        else:
            raise StoreError(f"money value {value!r} is not an amount")
        q = d.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)
    except InvalidOperation as e:
        raise StoreError(f"money value {value!r} is not a finite amount") from e
    if abs(q) > MONEY_LIMIT:
        raise StoreError(f"money value {value!r} exceeds {MONEY_LIMIT}")
    return q


def _cents(value: object) -> int:
    return int(to_money(value).scaleb(2))


class Money(TypeDecorator[Decimal]):
    """Exact money: NUMERIC(18,2) on PostgreSQL, integer cents on SQLite."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _cents(value)
        return to_money(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2)
        return Decimal(value).quantize(MONEY_QUANTUM)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


def sql_type(kind: Kind) -> TypeEngine[Any]:
    """The column type that holds values of ``kind``."""
    if kind is Kind.INT:
        return Integer()
    if kind is Kind.NUMBER:
        return Float()
    if kind is Kind.MONEY:
        return Money()
    if kind is Kind.DATE:
        return Date()
    if kind is Kind.BOOL:
        return Boolean()
    return Text()


def dump_extra(extra: object) -> str | None:
    """The stored form of a row's extra columns: sorted JSON, None when empty."""
    if not extra:
        return None
    if not isinstance(extra, Mapping):
        raise StoreError(f"extra columns must be a mapping, got {extra!r}")
    return json.dumps(dict(extra), sort_keys=True, ensure_ascii=False)


def load_extra(text: str | None) -> dict[str, str]:
    """The extra columns of a stored row (``{}`` when NULL)."""
    if not text:
        return {}
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise StoreError(f"stored extra columns are not an object: {text[:80]!r}")
    return {str(k): str(v) for k, v in loaded.items()}


def _none_or(fn: Callable[[Any], object]) -> Callable[[object], object]:
    def convert(value: object) -> object:
        return None if value is None else fn(value)

    return convert


def _iso(value: date) -> str:
    # SQLAlchemy's SQLite Date type stores and parses exactly this form.
    return value.isoformat()


def bulk_converter(
    kind: Kind | None, dialect_name: str
) -> Callable[[object], object] | None:
    """A function turning a canonical value into what the DBAPI bulk load needs.

    ``kind`` None means the extra column. ``None`` is returned when values pass as
    they are (text on both engines), so callers can skip a per-value call.
    """
    if kind is None:
        return dump_extra
    sqlite = dialect_name == "sqlite"
    if kind is Kind.MONEY:
        return _none_or(_cents if sqlite else to_money)
    if kind is Kind.DATE and sqlite:
        return _none_or(_iso)
    if kind is Kind.BOOL and sqlite:
        return _none_or(int)
    return None
