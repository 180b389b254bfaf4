"""Cohort tables: shares by hand, blank cells past the data, age 0 at 100 %."""

from __future__ import annotations

import random
from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.cohorts import cohorts
from kam.errors import ParameterError
from tests.analysis.golden import make_tables

CON = ibis.duckdb.connect()
D = Decimal

ROWS: list[tuple[object, ...]] = [
    ("A", "2024-01", "base", 10),
    ("B", "2024-01", "base", 30),
    ("A", "2024-02", "base", 10),
    ("C", "2024-02", "base", 20),
    ("A", "2024-03", "base", 5),
    ("B", "2024-03", "base", 30),
    ("C", "2024-03", "base", 20),
]


def test_heat_map_tables_hold_the_shares_and_blank_cells() -> None:
    # Cohort 2024-01 (A, B; 40): Feb 1 of 2 and 10 / 40; Mar 2 of 2, 35 / 40.
    # Cohort 2024-02 (C; 20): Mar 1 of 1, 20 / 20; 2024-04 is past the data.
    result = cohorts(make_tables(CON, {"mrr": ROWS}))
    logo = {r["cohort"]: r for r in result.tables["logo"]}
    revenue = {r["cohort"]: r for r in result.tables["revenue"]}
    assert logo["2024-01"] == {
        "cohort": "2024-01",
        "accounts": 2,
        "age_0": 1.0,
        "age_1": 0.5,
        "age_2": 1.0,
    }
    assert revenue["2024-01"]["age_2"] == pytest.approx(0.875)
    assert revenue["2024-01"]["value"] == D("40.00")
    assert logo["2024-02"]["age_2"] is None
    assert revenue["2024-02"]["age_1"] == pytest.approx(1.0)


def test_yearly_cohorts_of_revenue_and_max_age() -> None:
    revenue = [
        ("A", "2022", "P", 100),
        ("A", "2023", "P", 50),
        ("B", "2023", "P", 40),
        ("B", "2024", "P", 60),
    ]
    result = cohorts(
        make_tables(CON, {"revenue": revenue}), metric="revenue", max_age=1
    )
    rows = [
        (r["cohort"], r["age"], r["logo_retention"], r["revenue_retention"])
        for r in result.rows
    ]
    # 2022: A 100 → 2023 50 (logo 1, revenue .5); 2023: B 40 → 2024 60 (1, 1.5);
    # 2024: nobody starts then.
    assert rows == [
        ("2022", 0, 1.0, 1.0),
        ("2022", 1, 1.0, 0.5),
        ("2023", 0, 1.0, 1.0),
        ("2023", 1, 1.0, 1.5),
    ]


def test_negative_max_age_is_refused() -> None:
    with pytest.raises(ParameterError):
        cohorts(make_tables(CON, {"mrr": ROWS}), max_age=-1)


HIST = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.integers(0, 5), st.integers(1, 9_999)),
    min_size=1,
    max_size=20,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=10, deadline=None)
@given(HIST, st.randoms(use_true_random=False))
def test_age_zero_is_always_full_and_row_order_does_not_matter(
    hist: list[tuple[str, int, int]], rnd: random.Random
) -> None:
    rows = [(a, f"2024-{m + 1:02d}", "p", D(c) / 100) for a, m, c in hist]
    result = cohorts(make_tables(CON, {"mrr": rows}))
    for r in result.rows:
        if r["age"] == 0:
            assert r["logo_retention"] == 1.0
            assert r["revenue_retention"] == 1.0
        elif r["logo_retention"] is not None:
            assert 0 <= r["logo_retention"] <= 1  # type: ignore[operator]
    rnd.shuffle(rows)
    assert list(cohorts(make_tables(CON, {"mrr": rows})).rows) == list(result.rows)
