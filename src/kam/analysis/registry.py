"""The registry of analyses: name → function, parameters, description, output columns.

One registry feeds the CLI, the web pages, the API, the deck and the documentation.
Parameters arrive as text (``--set threshold=0.9``, a form field) or as Python values;
:meth:`Parameter.parse` turns either into the value the function takes, and names the
parameter and its accepted range when it cannot. Workbook settings
(``pareto_threshold``, ``abc_cutoffs``, ``fiscal_year_start``, ``as_of``) become
defaults through ``run(..., defaults=settings)``: each parameter knows the Settings
key that supplies its default.

    >>> from kam.analysis.registry import REGISTRY
    >>> REGISTRY["pareto"].parameter("threshold").parse("0.9")
    0.9
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir

from kam.analysis import (
    abc_analysis,
    at_risk,
    cohorts,
    division_map,
    health,
    mrr,
    mrr_bridge,
    onboarding,
    pareto,
    plans,
    profit,
    responsibilities,
    retention,
    satisfaction,
    scoring,
    slipping,
    stakeholders,
    timeline,
    upsell,
)
from kam.analysis.periods import GRAINS
from kam.analysis.preagg import METRICS
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.errors import MissingDataError, NotFoundError
from kam.model import SHEETS

__all__ = ["REGISTRY", "Analysis", "Parameter", "get", "run"]

_METRIC = Parameter(
    "metric", "choice", "revenue", "what to rank accounts by", choices=METRICS
)
_TO = Parameter("period_to", "period", None, "last period of the range")
_FY = Parameter(
    "fiscal_year_start",
    "int",
    1,
    "first month of the fiscal year (1 = calendar year; a fiscal year is named by "
    "the calendar year it ends in)",
    minimum=1,
    maximum=12,
    setting="fiscal_year_start",
)
_AS_OF = Parameter(
    "as_of",
    "date",
    None,
    "date the data describes: fiscal years ended by then are complete (default: the "
    "last period with data)",
    setting="as_of",
)

PARETO = Analysis(
    name="pareto",
    title="Pareto",
    description="How concentrated revenue is, and who the vital few accounts are.",
    parameters=(
        _METRIC,
        Parameter(
            "period_from",
            "period",
            None,
            "first period of the range (default: the last complete fiscal year)",
        ),
        _TO,
        Parameter(
            "threshold",
            "float",
            0.80,
            "cumulative share the vital few reach",
            minimum=0,
            maximum=1,
            exclusive=True,
            setting="pareto_threshold",
        ),
        Parameter(
            "include_zero",
            "bool",
            True,
            "add active accounts without any value, at 0",
        ),
        _FY,
        _AS_OF,
    ),
    needs=(),
    output_columns=pareto.OUTPUT_COLUMNS,
    run=pareto.pareto,
)

ABC = Analysis(
    name="abc",
    title="ABC (multi-year)",
    description="A, B and C classes per period and pooled, with migration.",
    parameters=(
        _METRIC,
        Parameter(
            "period_from",
            "period",
            None,
            "first period of the range (default: the last three complete fiscal years)",
        ),
        _TO,
        Parameter(
            "grain",
            "choice",
            "year",
            "one class per account per period of this grain",
            choices=GRAINS,
        ),
        Parameter(
            "cutoffs",
            "floats",
            (0.80, 0.95),
            "cumulative shares that end classes A and B",
            minimum=0,
            maximum=1,
            exclusive=True,
            setting="abc_cutoffs",
            length=2,
        ),
        Parameter(
            "boundary",
            "choice",
            "upper",
            "upper: the account crossing a cut-off joins the higher class; strict: "
            "its cumulative share must be within the cut-off",
            choices=abc_analysis.BOUNDARIES,
        ),
        Parameter(
            "basis",
            "choice",
            "value",
            "value: cumulative share of value; count: share of accounts by rank",
            choices=abc_analysis.BASES,
        ),
        Parameter(
            "count_cutoffs",
            "floats",
            (0.20, 0.50),
            "shares of accounts that end classes A and B (basis=count)",
            minimum=0,
            maximum=1,
            exclusive=True,
            length=2,
        ),
        Parameter("xyz", "bool", False, "add XYZ variability classes (CV of months)"),
        _FY,
        _AS_OF,
    ),
    needs=(),
    output_columns=abc_analysis.OUTPUT_COLUMNS,
    run=abc_analysis.abc,
)

#: Every analysis by name.
REGISTRY: dict[str, Analysis] = {
    a.name: a
    for a in (
        PARETO,
        ABC,
        scoring.ANALYSIS,
        profit.ANALYSIS,
        stakeholders.ANALYSIS,
        plans.ANALYSIS,
        timeline.ANALYSIS,
        division_map.ANALYSIS,
        responsibilities.ANALYSIS,
        mrr.ANALYSIS,
        mrr_bridge.ANALYSIS,
        retention.ANALYSIS,
        cohorts.ANALYSIS,
        slipping.ANALYSIS,
        upsell.ANALYSIS,
        onboarding.ANALYSIS,
        satisfaction.ANALYSIS,
        health.ANALYSIS,
        at_risk.ANALYSIS,
    )
}


def get(name: str) -> Analysis:
    """The analysis called ``name``; NotFoundError lists the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise NotFoundError(
            f"there is no analysis called {name!r} (known: {known})"
        ) from None


def run(
    name: str,
    tables: Mapping[str, ir.Table],
    params: Mapping[str, object] | None = None,
    *,
    defaults: Mapping[str, object] | None = None,
) -> AnalysisResult:
    """Run an analysis on ``tables`` (Ibis tables keyed by store table name).

    ``params``: text or Python values by parameter name; ``defaults``: the workbook's
    settings (``Settings`` key → value) or parameter defaults by name. Raises
    ParameterError for an unknown or invalid parameter, MissingDataError when a needed
    sheet is not among ``tables``.
    """
    analysis = get(name)
    values = analysis.resolve(params, defaults)
    for sheet in analysis.sheets_needed(values):
        if SHEETS[sheet].table not in tables:
            why = f" (metric={values['metric']})" if "metric" in values else ""
            raise MissingDataError(f"{analysis.name} needs the {sheet} sheet{why}")
    return analysis.run(tables, **values)
