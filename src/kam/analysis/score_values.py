"""Score values: the precision every score is kept at (:data:`SCALE`), exact
decimals from backend floats (:func:`decimals`), and the small Ibis helpers the score
modules share (:func:`ones`, :func:`x_column`).

Scores are floats in the backend and are rounded to :data:`SCALE` decimals before
they become exact decimals, so a score with at most 6 decimals comes out exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

__all__ = ["SCALE", "decimals", "ones", "x_column"]

#: Decimals kept in every score; ties are judged at this precision.
SCALE = 6
_TWO = Decimal("0.01")


def ones(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 where ``condition`` holds, else 0 (PostgreSQL cannot cast a boolean to
    bigint, so counting uses CASE)."""
    return ibis.cases((condition, 1), else_=0)


def x_column(i: int) -> str:
    """Name of the wide column holding criterion number ``i``'s score."""
    return f"x_{i}"


def decimals(values: Sequence[float | None]) -> list[Decimal | None]:
    """Backend floats rounded to :data:`SCALE` as exact decimals (at least 2 places).

    Each distinct value is converted once: a portfolio has few distinct scores.
    """
    cache: dict[float, Decimal] = {}
    out: list[Decimal | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        d = cache.get(v)
        if d is None:
            d = Decimal(f"{v:.{SCALE}f}").normalize()
            if d.as_tuple().exponent > -2:  # type: ignore[operator]
                d = d.quantize(_TWO)
            cache[v] = d
        out.append(d)
    return out
