"""Pareto curve: worked check, ties, zeros, rejections and invariants."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.pareto import gini, in_rank_order, pareto, pareto_curve
from kam.analysis.preagg import metric_values, mrr_by_month, revenue_by_period
from kam.errors import InputError, ParameterError
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()

WORKED = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]


def values(rows: list[tuple[str, str, object]]) -> ibis.Table:
    return make_table(CON, "values", rows)


def worked() -> ibis.Table:
    return values([(f"A{i:02d}", "2024", v) for i, v in enumerate(WORKED, 1)])


def test_worked_check_gives_k_4_at_85_percent() -> None:
    result = pareto_curve(worked())
    assert result.summary["k"] == 4
    assert result.summary["cum_share_at_k"] == pytest.approx(0.85)
    assert [r["vital_few"] for r in result.rows] == [True] * 4 + [False] * 6
    assert (
        result.summary["headline"] == "4 of 10 accounts (40 %) make 85.0 % of revenue"
    )


def test_worked_check_concentration_figures() -> None:
    summary = pareto_curve(worked()).summary
    # HHI: .4² + .25² + .12² + .08² + .05² + .04² + .025² + .02² + .01² + .005²
    #    = .16 + .0625 + .0144 + .0064 + .0025 + .0016 + .000625 + .0004 + .0001
    #      + .000025 = .24855
    assert summary["hhi"] == pytest.approx(0.24855, abs=1e-12)
    # Gini with x ascending (5, 10, 20, 25, 40, 50, 80, 120, 250, 400) and weights
    # 2i − n − 1 = −9, −7, …, 9:
    # −45 − 70 − 100 − 75 − 40 + 50 + 240 + 600 + 1750 + 3600 = 5910;
    # G = 5910 / (n Σx) = 5910 / (10 · 1000) = 0.591.
    assert summary["gini"] == pytest.approx(0.591, abs=1e-12)
    assert summary["top1_share"] == pytest.approx(0.40)
    assert summary["top5_share"] == pytest.approx(0.90)
    assert summary["top10_share"] == pytest.approx(1.0)
    assert summary["total"] == "1000.00"


def test_gini_is_zero_for_equal_values_and_n_minus_1_over_n_for_one_holder() -> None:
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert gini([9.0, 0.0, 0.0]) == pytest.approx(2 / 3)


def test_rows_carry_rank_share_cumulative_share_and_rank_percent() -> None:
    row = pareto_curve(worked()).rows[2]
    assert row["rank"] == 3
    assert row["account_id"] == "A03"
    assert row["value"] == Decimal("120.00")
    assert row["share"] == pytest.approx(0.12)
    assert row["cum_share"] == pytest.approx(0.77)
    assert row["rank_pct"] == pytest.approx(0.3)


def test_equal_values_are_ordered_by_account_id() -> None:
    result = pareto_curve(
        values([("B", "2024", 10), ("C", "2024", 30), ("A", "2024", 10)])
    )
    assert [r["account_id"] for r in result.rows] == ["C", "A", "B"]


def test_periods_and_products_are_summed_per_account() -> None:
    revenue = make_table(
        CON,
        "revenue",
        [
            ("A", "2024-01", "P1", 10),
            ("A", "2024-Q2", "P2", 20),
            ("B", "2024", "P1", 5),
        ],
    )
    result = pareto(
        {"revenue": revenue}, period_from="2024", period_to="2024", include_zero=False
    )
    assert [(r["account_id"], r["value"]) for r in result.rows] == [
        ("A", Decimal("30.00")),
        ("B", Decimal("5.00")),
    ]


def accounts(rows: list[tuple[str, str, str]]) -> ibis.Table:
    return make_table(CON, "accounts", rows)


def test_include_zero_adds_active_accounts_without_rows_at_zero() -> None:
    acc = accounts(
        [("A", "Alpha", "active"), ("Z", "Zeta", "active"), ("Y", "Ypsilon", "churned")]
    )
    result = pareto_curve(values([("A", "2024", 10)]), accounts=acc)
    assert [(r["account_id"], r["name"], r["value"]) for r in result.rows] == [
        ("A", "Alpha", Decimal("10.00")),
        ("Z", "Zeta", Decimal("0.00")),
    ]
    assert result.summary["k_share"] == pytest.approx(0.5)
    without = pareto_curve(
        values([("A", "2024", 10)]), accounts=acc, include_zero=False
    )
    assert [r["account_id"] for r in without.rows] == ["A"]


def test_a_single_account_is_the_whole_vital_few() -> None:
    summary = pareto_curve(values([("A", "2024", 7)])).summary
    assert (summary["k"], summary["hhi"], summary["gini"]) == (1, 1.0, 0.0)
    assert summary["headline"] == "1 of 1 accounts (100 %) make 100.0 % of revenue"


def test_default_range_is_the_last_complete_year() -> None:
    rows = [("A", "2023", 100), ("B", "2024", 50), ("A", "2025-01", 999)]
    result = pareto_curve(values(rows))
    assert result.parameters["period_from"] == "2024"
    assert [r["account_id"] for r in result.rows] == ["B"]


def test_no_rows_in_the_range_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no rows in 2020"):
        pareto_curve(values([("A", "2024", 1)]), period_from="2020", period_to="2020")


def test_a_zero_total_is_an_input_error() -> None:
    with pytest.raises(InputError, match="needs a positive total"):
        pareto_curve(values([("A", "2024", 0), ("B", "2024", 0)]))


def test_negative_values_are_rejected_naming_account_and_period() -> None:
    with pytest.raises(InputError, match=r"account B in 2024: -3\.00"):
        pareto_curve(values([("A", "2024", 10), ("B", "2024", -3)]))


def _profit_rows(
    rows: list[tuple[object, ...]],
) -> list[tuple[object, ...]]:
    """Rows of (account, period, product, net, cogs, cts); the list price and the
    cost-to-serve parts of the profit schema left blank."""
    return [(*r, None, None, None, None, None) for r in rows]


def test_negative_profit_is_rejected() -> None:
    profit = make_table(
        CON,
        "profit",
        _profit_rows(
            [("A", "2024", None, 100, 30, 20), ("B", "2024", None, 50, 40, 20)]
        ),
    )
    with pytest.raises(InputError, match=r"profit must not be negative.*account B"):
        pareto({"profit": profit}, metric="profit")


@pytest.mark.parametrize("threshold", [0, 1, 1.5, -0.2])
def test_threshold_outside_zero_one_is_a_parameter_error(threshold: float) -> None:
    with pytest.raises(
        ParameterError, match=r"parameter threshold: .* outside \(0, 1\)"
    ):
        pareto_curve(worked(), threshold=threshold)


def test_profit_metric_is_net_revenue_minus_cogs_minus_cost_to_serve() -> None:
    profit = make_table(
        CON,
        "profit",
        _profit_rows(
            [
                ("A", "2024", "P1", 100, 30, 20),
                ("A", "2024", "P2", 10, None, None),
                ("B", "2024", None, 80, 10, 10),
            ]
        ),
    )
    result = pareto({"profit": profit}, metric="profit", include_zero=False)
    # A: (100 − 30 − 20) + 10 = 60; B: 80 − 10 − 10 = 60; tie ordered by id.
    assert [(r["account_id"], r["value"]) for r in result.rows] == [
        ("A", Decimal("60.00")),
        ("B", Decimal("60.00")),
    ]
    net = pareto({"profit": profit}, metric="net_revenue", include_zero=False)
    assert net.summary["total"] == "190.00"


def test_derived_tables_give_the_same_result_as_the_raw_ones() -> None:
    revenue = make_table(
        CON,
        "revenue",
        [
            ("A", "2024-01", "P1", 10),
            ("A", "2024-01", "P2", 5),
            ("B", "2024-02", "P1", 4),
        ],
    )
    mrr = make_table(
        CON, "mrr", [("A", "2024-01", "base", 3), ("A", "2024-01", "addon", 2)]
    )
    by_period = revenue_by_period(revenue, grain="year")
    assert sorted(by_period.to_pyarrow().to_pylist(), key=str) == [
        {"account_id": "A", "period": "2024", "value": Decimal("15.00")},
        {"account_id": "B", "period": "2024", "value": Decimal("4.00")},
    ]
    raw = pareto({"revenue": revenue}, include_zero=False)
    derived = pareto({"revenue": revenue_by_period(revenue)}, include_zero=False)
    assert raw.rows == derived.rows
    assert mrr_by_month(mrr).to_pyarrow().to_pylist() == [
        {"account_id": "A", "month": "2024-01", "value": Decimal("5.00")}
    ]
    from_derived = metric_values({"mrr": mrr_by_month(mrr)}, "mrr").to_pyarrow()
    assert from_derived.to_pylist() == [
        {"account_id": "A", "period": "2024-01", "value": Decimal("5.00")}
    ]


amounts = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
    min_size=1,
    max_size=30,
).filter(lambda xs: sum(xs) > 0)


@settings(max_examples=25, deadline=None)
@given(amounts=amounts, seed=st.integers(0, 10**6))
def test_cumulative_share_rises_to_one_whatever_the_row_order(
    amounts: list[Decimal], seed: int
) -> None:
    rows = [(f"A{i:03d}", "2024", a) for i, a in enumerate(amounts)]
    first = pareto_curve(values(rows))
    cum = [r["cum_share"] for r in first.rows]
    assert all(b >= a for a, b in itertools.pairwise(cum))
    assert cum[-1] == pytest.approx(1.0, abs=1e-9)
    assert 1 <= first.summary["k"] <= len(rows)
    random.Random(seed).shuffle(rows)
    assert pareto_curve(values(rows)).rows == first.rows


def test_values_finer_than_cents_are_ranked_unrounded() -> None:
    # 0.004 and 0.003 round to 0.00: ranked on cents (e.g. after narrowing the sums
    # to decimal(18, 2)) the total would be zero and the curve refused. Unrounded,
    # the shares are 4/7 and 3/7.
    t = CON.create_table(
        "fine_values",
        ibis.memtable(
            {
                "account_id": ["F1", "F2"],
                "period": ["2024", "2024"],
                "value": [0.004, 0.003],
            }
        ),
        overwrite=True,
    )
    result = pareto_curve(t, threshold=0.5)
    assert [r["account_id"] for r in result.rows] == ["F1", "F2"]
    assert [r["share"] for r in result.rows] == pytest.approx([4 / 7, 3 / 7])
    assert result.summary["k"] == 1


@pytest.mark.parametrize(
    ("amounts", "threshold", "k"),
    [
        # Cumulative shares .7, .9, 1: the first account reaches .7 exactly.
        (["0.70", "0.20", "0.10"], 0.7, 1),
        # .3, .6, .8, 1: the second reaches .6 exactly; .61 needs the third.
        (["30", "30", "20", "20"], 0.6, 2),
        (["30", "30", "20", "20"], 0.61, 3),
        # Nobody below the first: it alone reaches any threshold under its share.
        (["5", "5"], 0.01, 1),
    ],
)
def test_vital_few_end_at_the_first_account_reaching_the_threshold(
    amounts: list[str], threshold: float, k: int
) -> None:
    rows = [(f"A{i}", "2024", Decimal(a)) for i, a in enumerate(amounts)]
    result = pareto_curve(values(rows), threshold=threshold)
    assert result.summary["k"] == k
    assert [r["vital_few"] for r in result.rows] == [r <= k for r in range(1, 5)][
        : len(amounts)
    ]


@settings(max_examples=25, deadline=None)
@given(amounts=amounts)
def test_hhi_gini_and_top_shares_match_their_definitions(
    amounts: list[Decimal],
) -> None:
    rows = [(f"A{i:03d}", "2024", a) for i, a in enumerate(amounts)]
    result = pareto_curve(values(rows))
    summary = result.summary
    # Independently: exact shares of the descending values, in Python.
    ranked = sorted(amounts, reverse=True)
    total = sum(ranked)
    shares = [float(v / total) for v in ranked]
    n = len(ranked)
    assert summary["total"] == str(total.quantize(Decimal("0.01")))
    assert summary["hhi"] == pytest.approx(sum(s * s for s in shares), abs=1e-12)
    assert summary["gini"] == pytest.approx(gini([float(v) for v in ranked]), abs=1e-9)
    for m in (1, 5, 10):
        top = float(sum(ranked[: min(m, n)]) / total)
        assert summary[f"top{m}_share"] == pytest.approx(top, abs=1e-12)
    # k: the first rank whose cumulative share (as the rows give it) reaches 0.8.
    cum_shares = [r["cum_share"] for r in result.rows]
    k = next((r for r, c in enumerate(cum_shares, 1) if c >= 0.8), n)
    assert summary["k"] == k
    assert [r["vital_few"] for r in result.rows] == [r <= k for r in range(1, n + 1)]


def test_rows_fetched_out_of_rank_order_are_sorted_and_sorted_ones_kept() -> None:
    shuffled = pa.table({"rank": [3, 1, 2], "account_id": ["C", "A", "B"]})
    assert in_rank_order(shuffled).to_pydict() == {
        "rank": [1, 2, 3],
        "account_id": ["A", "B", "C"],
    }
    ordered = pa.table({"rank": [1, 2, 3], "account_id": ["A", "B", "C"]})
    assert in_rank_order(ordered) is ordered
    one = pa.table({"rank": [1], "account_id": ["A"]})
    assert in_rank_order(one).to_pydict() == {"rank": [1], "account_id": ["A"]}
