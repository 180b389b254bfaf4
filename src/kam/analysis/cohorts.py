"""Cohort tables: who is still with us, and how much of the first value remains
(analyses.md §5).

An account's cohort is the first period (month, quarter or fiscal year) in which it
has a value (MRR at the period's closing month, or revenue summed over the period,
see :func:`kam.analysis.movements.period_values`). For each cohort and age (periods
since the cohort's period) the backend counts the accounts with a value and sums
their value; the table is assembled here:

- ``logo_retention`` = accounts with a value at that age / accounts of the cohort;
- ``revenue_retention`` = the cohort's value at that age / its value at age 0.

At age 0 logo retention is 100 % by definition. Cells past the last period of the
data are blank (``None``); a cell inside the data where no account is left is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.movements import (
    MRR_COHORT_CELLS,
    dec,
    index_label,
    period_values,
)
from kam.analysis.periods import Grain
from kam.analysis.preagg import MRR_MOVEMENTS
from kam.analysis.result import AnalysisResult
from kam.analysis.retention import (
    FISCAL_YEAR,
    FROM,
    GRAIN,
    METRIC,
    RETENTION_METRICS,
    TO,
    period_bounds,
)
from kam.analysis.spec import Analysis, Parameter
from kam.errors import ParameterError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "cohorts"]

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cohort", "the first period with a value (YYYY-MM, YYYY-Qn or YYYY)"),
    ("age", "periods since the cohort's period (0 = the cohort's period)"),
    ("period", "the period of the cell"),
    (
        "accounts",
        "accounts of the cohort with a value in the period (blank past the data)",
    ),
    ("cohort_accounts", "accounts in the cohort"),
    ("value", "the cohort's value in the period (exact decimal; blank past the data)"),
    ("cohort_value", "the cohort's value at age 0"),
    ("logo_retention", "accounts / cohort_accounts (blank past the data)"),
    ("revenue_retention", "value / cohort_value (blank past the data)"),
)


def cohorts(
    tables: Mapping[str, ir.Table],
    *,
    metric: str = "mrr",
    grain: Grain | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    max_age: int | None = None,
    fiscal_year_start: int = 1,
) -> AnalysisResult:
    """Cohort retention tables by first period.

    ``metric``: mrr or revenue; ``grain``: default month for MRR, year for revenue.
    ``period_from``/``period_to``: the cohorts shown (default: every period);
    ``max_age``: the oldest age shown (default: all). Rows: :data:`OUTPUT_COLUMNS`,
    by cohort then age, a full triangle-and-blank rectangle. Tables: ``logo`` and
    ``revenue`` (one row per cohort, ``cohort``, ``accounts``, then ``age_0``,
    ``age_1``… shares) for heat maps.
    """
    if metric not in RETENTION_METRICS:
        raise ParameterError("metric", f"{metric!r} is not one of mrr, revenue")
    if max_age is not None and max_age < 0:
        raise ParameterError("max_age", f"{max_age} is negative")
    used: Grain = grain or ("month" if metric == "mrr" else "year")
    values, periods = period_values(
        tables, metric=metric, grain=used, fiscal_year_start=fiscal_year_start
    )
    chosen = period_bounds(periods, used, period_from, period_to, fiscal_year_start)
    last = periods[-1]
    monthly = metric == "mrr" and used == "month"
    if monthly and MRR_COHORT_CELLS in tables:
        # The engine's cells (whole portfolio): the sums below, made once per data
        # version.
        cc = tables[MRR_COHORT_CELLS]
        cc = cc.filter(cc.cohort.between(chosen[0], chosen[-1]) & (cc.pidx <= last))
        cc = cc.mutate(age=cc.pidx - cc.cohort)
        if max_age is not None:
            cc = cc.filter(cc.age <= max_age)
        cells = cc.select("cohort", "age", "accounts", "value").to_pyarrow().to_pylist()
    elif monthly and MRR_MOVEMENTS in tables:
        # The engine's monthly events carry each account's cohort: its months with
        # MRR are the events with an end value (the churns end at zero).
        mv = tables[MRR_MOVEMENTS]
        mv = mv.filter(mv.end > 0)
        t = mv.select("account_id", "pidx", value=mv.end, cohort=mv.cohort)
    else:
        w = ibis.window(group_by=values.account_id)
        t = values.mutate(cohort=values.pidx.min().over(w))
    if not (monthly and MRR_COHORT_CELLS in tables):
        t = t.filter(t.cohort.between(chosen[0], chosen[-1]))
        t = t.mutate(age=t.pidx - t.cohort)
        if max_age is not None:
            t = t.filter(t.age <= max_age)
        cells = (
            t.group_by(["cohort", "age"])
            .agg(accounts=t.count(), value=t.value.sum())
            .to_pyarrow()
            .to_pylist()
        )
    got = {(int(c["cohort"]), int(c["age"])): c for c in cells}
    oldest = max(last - chosen[0], 0)
    if max_age is not None:
        oldest = min(oldest, max_age)
    rows: list[dict[str, object]] = []
    logo: list[dict[str, object]] = []
    revenue: list[dict[str, object]] = []
    for c in chosen:
        base = got.get((c, 0))
        if base is None:
            continue
        n0 = int(base["accounts"])
        v0 = dec(base["value"])
        logo_row: dict[str, object] = {"cohort": index_label(c, used), "accounts": n0}
        rev_row: dict[str, object] = {"cohort": index_label(c, used), "value": v0}
        for age in range(oldest + 1):
            inside = c + age <= last
            cell = got.get((c, age))
            n = (int(cell["accounts"]) if cell else 0) if inside else None
            v = (dec(cell["value"]) if cell else Decimal("0.00")) if inside else None
            lr = n / n0 if n is not None else None
            rr = float(v / v0) if v is not None and v0 else None
            rows.append(
                {
                    "cohort": index_label(c, used),
                    "age": age,
                    "period": index_label(c + age, used),
                    "accounts": n,
                    "cohort_accounts": n0,
                    "value": v,
                    "cohort_value": v0,
                    "logo_retention": lr,
                    "revenue_retention": rr,
                }
            )
            logo_row[f"age_{age}"] = lr
            rev_row[f"age_{age}"] = rr
        logo.append(logo_row)
        revenue.append(rev_row)
    summary: dict[str, object] = {
        "metric": metric,
        "grain": used,
        "cohorts": len(logo),
        "ages": oldest + 1,
        "headline": f"{len(logo)} cohorts by {used} of {metric}, up to age {oldest}",
    }
    parameters: dict[str, object] = {
        "metric": metric,
        "grain": used,
        "period_from": index_label(chosen[0], used),
        "period_to": index_label(chosen[-1], used),
        "max_age": max_age,
        "fiscal_year_start": fiscal_year_start,
    }
    return AnalysisResult(
        "cohorts",
        parameters,
        summary,
        rows,
        {"logo": logo, "revenue": revenue},
        [],
    )


ANALYSIS = Analysis(
    name="cohorts",
    title="Cohorts",
    description="Logo and revenue retention by cohort of first period.",
    parameters=(
        METRIC,
        GRAIN,
        FROM,
        TO,
        Parameter(
            "max_age", "int", None, "the oldest age shown (default: all)", minimum=0
        ),
        FISCAL_YEAR,
    ),
    needs=(),
    output_columns=OUTPUT_COLUMNS,
    run=cohorts,
)
