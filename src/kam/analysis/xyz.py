"""XYZ: how steady each account's value is over the sub-periods of a range.

The coefficient of variation ``CV = σ / μ`` of an account's values over every month
(or quarter, when the data has quarters) of the range, a sub-period without a row
counting as 0; σ is the population standard deviation. X when CV < 0.5, Y when
0.5 ≤ CV < 1.0, Z when CV ≥ 1.0, decided from exact sums (an account exactly on a
boundary takes the higher letter on every backend). It needs at least
:data:`MIN_SUBPERIODS` sub-periods; yearly data has none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import ibis.expr.types as ir

from kam.analysis.periods import Grain, Period, PeriodRange, grain_labels, label_for
from kam.analysis.preagg import relabel

__all__ = ["MIN_SUBPERIODS", "X_BELOW", "Y_BELOW", "xyz_class", "xyz_classes"]

MIN_SUBPERIODS = 6
X_BELOW = 0.5
Y_BELOW = 1.0


def xyz_class(cv: float) -> str:
    """X below 0.5, Y from 0.5 to below 1.0, Z from 1.0."""
    if cv < X_BELOW:
        return "X"
    return "Y" if cv < Y_BELOW else "Z"


def _sub_grain(periods: Sequence[Period]) -> Grain | None:
    grains = {p.grain for p in periods}
    if "year" in grains:
        return None
    return "quarter" if "quarter" in grains else "month"


def xyz_classes(
    values: ir.Table,
    periods: Sequence[Period],
    rng: PeriodRange,
    *,
    fiscal_year_start: int = 1,
    sheet: str = "Revenue",
    unique: bool = False,
) -> tuple[dict[str, tuple[float, str]], list[str]]:
    """account_id -> (cv, X/Y/Z) over the range, and warnings.

    ``values``: the values table already restricted to the range; ``periods``: its
    periods; ``unique``: it holds one row per account and period (the engine's
    sums), which need not be summed again when they are the sub-periods. Accounts
    whose total is not positive get no XYZ class. Returns no classes and a warning
    "not enough periods" when the data is yearly or the range has fewer than six
    sub-periods.
    """
    grain = _sub_grain(periods)
    if grain is None:
        return {}, [
            f"XYZ: not enough periods: the {sheet} sheet has rows by year in "
            f"{rng.text}; XYZ needs monthly or quarterly values"
        ]
    n = len(grain_labels(rng.first, rng.last, grain, fiscal_year_start))
    if n < MIN_SUBPERIODS:
        return {}, [
            f"XYZ: not enough periods: {n} {grain}s in {rng.text}, "
            f"{MIN_SUBPERIODS} are needed"
        ]
    labels = {
        p.text: label_for(p, grain, fiscal_year_start, sheet=sheet) for p in periods
    }
    sub = relabel(values, labels)
    if unique and all(label == text for text, label in labels.items()):
        # One row per account and sub-period already (the engine's sums).
        sub = sub.select("account_id", "period", v=sub.value)
    else:
        sub = sub.group_by("account_id", "period").agg(v=sub.value.sum())
    # Exact sums (decimals), so that the class of an account whose CV sits on a
    # boundary does not depend on the order a parallel backend adds floats in.
    # (Ibis types a product of decimals with the factors' scale: say it has four.)
    square = (sub.v * sub.v).cast("decimal(38, 4)")
    stats = sub.group_by("account_id").agg(s1=sub.v.sum(), s2=square.sum())
    data = stats.to_pyarrow()
    out: dict[str, tuple[float, str]] = {}
    for account, s1, s2 in zip(
        data.column("account_id").to_pylist(),
        data.column("s1").to_pylist(),
        data.column("s2").to_pylist(),
        strict=True,
    ):
        if s1 is None or s1 <= 0:
            continue
        out[account] = _cv_class(_units(s1, 2), _units(s2, 4), n)
    return out, []


def _units(amount: Decimal | int | float, places: int) -> int:
    """A sum of money (``places`` = 2) or of its squares (4) in whole hundredths
    (ten-thousandths), exactly."""
    exact = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return int(exact.scaleb(places))


def _cv_class(s1: int, s2: int, n: int) -> tuple[float, str]:
    """CV and class from ``s1 = Σ x`` (cents) and ``s2 = Σ x²`` (cents²) over ``n``
    sub-periods (those without a row are zeros and add nothing to either sum).

    ``n² σ² = n·s2 − s1²`` and ``n μ = s1``, so ``CV = √(n·s2 − s1²) / s1``; the
    class compares the integers themselves (CV < 0.5 ⇔ 4 d < s1², CV < 1 ⇔
    d < s1²), exactly at the boundaries.
    """
    d = max(n * s2 - s1 * s1, 0)
    square = s1 * s1
    cls = "X" if 4 * d < square else ("Y" if d < square else "Z")
    return math.sqrt(d) / s1, cls
