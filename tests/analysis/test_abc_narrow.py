"""Narrow money while ranking (kam.analysis.preagg.narrow_money): the facts learnt of
a values table say whether every sum fits in ``decimal(18, 2)``; Pareto and ABC give
the same results either way, on DuckDB, PostgreSQL and PySpark."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import pytest

from kam.analysis.abc_analysis import abc_classes
from kam.analysis.preagg import (
    forget_facts,
    learn_facts,
    metric_values,
    narrow_money,
)
from tests.analysis.golden import CASES, GoldenCase, check_case, make_table, make_tables
from tests.engine.test_golden_backends import (  # noqa: F401  (fixtures)
    _SparkViews,
    postgres_backend,
    spark_backend,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

CON = ibis.duckdb.connect()
RANKED = [c for c in CASES if c.analysis in ("abc", "pareto")]


def test_facts_hold_the_sum_of_absolute_values() -> None:
    t = make_table(
        CON, "values", [("A", "2024", "5.00"), ("B", "2024", "-3.25"), ("A", "2025", 2)]
    )
    try:
        facts = learn_facts(t)
        # |5| + |−3.25| + |2|
        assert facts.magnitude == Decimal("10.25")
        assert str(narrow_money(t)) == "decimal(18, 2)"
    finally:
        forget_facts(t)
    assert narrow_money(t) is None  # nothing known any more


def test_no_narrowing_when_the_sums_could_reach_sixteen_digits() -> None:
    # 6e15 + 4e15 = 1e16 is one cent more than decimal(18, 2) holds.
    t = make_table(
        CON,
        "values",
        [("A", "2024", "6000000000000000.00"), ("B", "2024", "4000000000000000.00")],
    )
    try:
        assert learn_facts(t).magnitude == Decimal("10000000000000000.00")
        assert narrow_money(t) is None
    finally:
        forget_facts(t)


def test_abc_keeps_exact_sums_beyond_eighteen_digits_with_facts_learnt() -> None:
    # Two years of 6e15 and 5e15: each year fits decimal(18, 2), the pooled sums
    # (1.2e16, 1e16) and the totals do not, so the values stay wide.
    rows = [
        ("A", "2023", "6000000000000000.00"),
        ("A", "2024", "6000000000000000.00"),
        ("B", "2023", "5000000000000000.00"),
        ("B", "2024", "5000000000000000.00"),
    ]
    t = make_table(CON, "revenue", [(a, p, "P", v) for a, p, v in rows])
    values = metric_values({"revenue": t}, "revenue")
    learn_facts(values)
    try:
        result = abc_classes(values, period_from="2023", period_to="2024")
    finally:
        forget_facts(values)
    pooled = [r for r in result.rows if r["period"] == "pooled"]
    assert [(r["account_id"], r["value"]) for r in pooled] == [
        ("A", Decimal("12000000000000000.00")),
        ("B", Decimal("10000000000000000.00")),
    ]
    # A holds 12/22 of the pooled value: B's share before it is 0.545… < 0.80 → A.
    assert [r["class"] for r in pooled] == ["A", "A"]
    assert result.summary["total"] == "22000000000000000.00"


def _check_with_facts(case: GoldenCase, con: Any) -> None:
    """``case`` on ``con`` with the facts of its values table learnt (as the engine
    does), so that the ranking runs on decimal(18, 2)."""
    tables = make_tables(con, case.tables)
    metric = str(case.params.get("metric", "revenue"))
    values = metric_values(tables, metric)
    learn_facts(values)
    try:
        assert str(narrow_money(values)) == "decimal(18, 2)"
        check_case(case, _Made(tables))
    finally:
        forget_facts(values)


class _Made:
    """A stand-in backend for :func:`check_case` that hands back tables made
    already (whose facts are learnt) instead of creating new ones."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = tables

    def create_table(self, name: str, data: Any) -> Any:
        kind = name.split("_")[1]
        return self.tables[kind]


@pytest.mark.parametrize("case", RANKED, ids=[c.name for c in RANKED])
def test_golden_case_with_narrowed_values_on_duckdb(case: GoldenCase) -> None:
    _check_with_facts(case, CON)


@pytest.mark.postgres
@pytest.mark.parametrize("case", RANKED, ids=[c.name for c in RANKED])
def test_golden_case_with_narrowed_values_on_postgresql(
    case: GoldenCase,
    postgres_backend: Any,  # noqa: F811
) -> None:
    _check_with_facts(case, postgres_backend)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("case", RANKED, ids=[c.name for c in RANKED])
def test_golden_case_with_narrowed_values_on_pyspark(
    case: GoldenCase,
    spark_backend: _SparkViews,  # noqa: F811
) -> None:
    _check_with_facts(case, spark_backend)
