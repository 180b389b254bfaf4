"""Revenue and ABC class per account, for the selection table of the scoring matrix.

Reuses the ABC rules of :mod:`kam.analysis.abc_analysis` (``upper`` boundary, value
basis) on the revenue pooled over one range (default: the last complete fiscal year).

The classes depend on every account (window functions over the portfolio), and with
the default parameters the range is one calendar year: the engine keeps each calendar
year's classes and revenue once per data version
(:data:`kam.analysis.class_tables.YEAR_CLASSES`), which :func:`account_classes` reads
instead of classifying again when they answer for its range and cut-offs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import check_cutoffs, classified
from kam.analysis.class_tables import year_classes_at
from kam.analysis.preagg import metric_values, period_sums, scoped_values

__all__ = [
    "AccountClasses",
    "account_classes",
]


@dataclass(frozen=True)
class AccountClasses:
    """``table``: ``account_id, revenue, abc_class`` (accounts with revenue > 0), or
    ``None`` when there is no Revenue sheet; ``range``: the range analysed, as text;
    ``warnings``: how it was chosen, or why classes are blank."""

    table: ir.Table | None
    range: str | None
    warnings: list[str]


def account_classes(
    tables: Mapping[str, ir.Table],
    *,
    period_from: str | None = None,
    period_to: str | None = None,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AccountClasses:
    """Revenue over the range and the pooled ABC class of each account.

    Without a ``revenue`` table the result has no table and a warning saying that
    class and revenue stay blank. Raises what :func:`scoped_values` raises (a range
    without rows, negative revenue) and ParameterError for bad cut-offs.
    """
    cuts = check_cutoffs(cutoffs)
    if "revenue" not in tables:
        return AccountClasses(
            None,
            None,
            ["no Revenue sheet: the ABC class and revenue columns are blank"],
        )
    values = metric_values(tables, "revenue")
    scope = scoped_values(
        values,
        metric="revenue",
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        default_years=1,
    )
    stored = year_classes_at(tables, scope.range, fiscal_year_start, cuts, revenue=True)
    if stored is not None:
        return AccountClasses(stored, scope.range.text, list(scope.warnings))
    # Summed through period_sums (as Pareto does): a whole year in range is read
    # from the engine's per-year table, one row per account, instead of its months.
    pooled = period_sums(values, [p.text for p in scope.periods])
    pooled = pooled.filter(pooled.value > 0).mutate(period=ibis.literal("pooled"))
    classes = classified(pooled, cuts=cuts)
    table = classes.select(
        "account_id", revenue=classes.value, abc_class=classes["class"]
    )
    return AccountClasses(table, scope.range.text, list(scope.warnings))
