"""XYZ: how steady each account's value is over the sub-periods of a range.

The coefficient of variation ``CV = σ / μ`` of an account's values over every month
(or quarter, when the data has quarters) of the range, a sub-period without a row
counting as 0; σ is the population standard deviation. X when CV < 0.5, Y when
0.5 ≤ CV < 1.0, Z when CV ≥ 1.0. It needs at least :data:`MIN_SUBPERIODS`
sub-periods; yearly data has none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
) -> tuple[dict[str, tuple[float, str]], list[str]]:
    """account_id -> (cv, X/Y/Z) over the range, and warnings.

    ``values``: the values table already restricted to the range; ``periods``: its
    periods. Accounts whose total is not positive get no XYZ class. Returns no classes
    and a warning "not enough periods" when the data is yearly or the range has fewer
    than six sub-periods.
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
    sub = sub.group_by("account_id", "period").agg(v=sub.value.sum().cast("float64"))
    # Two passes (mean, then squared deviations) keep σ exact for steady accounts,
    # where Σx²/n − μ² would leave rounding noise.
    means = sub.group_by("account_id").agg(total=sub.v.sum(), present=sub.v.count())
    means = means.mutate(mean=means.total / n)
    joined = sub.join(means, "account_id")
    dev = joined.mutate(d2=(joined.v - joined.mean) * (joined.v - joined.mean))
    stats = dev.group_by("account_id").agg(
        ss=dev.d2.sum(), mean=dev.mean.max(), present=dev.present.max()
    )
    data = stats.to_pyarrow()
    out: dict[str, tuple[float, str]] = {}
    for account, ss, mean, present in zip(
        data.column("account_id").to_pylist(),
        data.column("ss").to_pylist(),
        data.column("mean").to_pylist(),
        data.column("present").to_pylist(),
        strict=True,
    ):
        if mean is None or mean <= 0:
            continue
        # Sub-periods without a row are zeros: each adds μ² to the squared deviations.
        variance = (ss + (n - present) * mean * mean) / n
        cv = math.sqrt(max(variance, 0.0)) / mean
        out[account] = (cv, xyz_class(cv))
    return out, []
