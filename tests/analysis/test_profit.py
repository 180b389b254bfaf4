"""The profit matrix (analyses.md §7) on tiny tables with hand-computed results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.profit import profit_matrix
from kam.analysis.registry import run
from kam.errors import InputError, ParameterError

MONEY = pa.decimal128(18, 2)
COLUMNS = (
    "list_revenue",
    "net_revenue",
    "cogs",
    "cost_to_serve",
    "cts_presale",
    "cts_production",
    "cts_distribution",
    "cts_postsale",
)

#: account, product, list, net, cogs, cost to serve.
PORTFOLIO = [
    ("A", "P1", 120, 100, 40, 10),
    ("B", "P1", 100, 100, 30, 50),
    ("C", "P2", 200, 150, 100, 80),
    ("D", "P2", 50, 40, 10, 5),
]


@pytest.fixture
def con() -> Iterator[Any]:
    c = ibis.duckdb.connect()
    yield c
    c.disconnect()


def _money(values: Sequence[object]) -> pa.Array:
    return pa.array([None if v is None else Decimal(str(v)) for v in values], MONEY)


def profit_table(
    con: Any, rows: Sequence[Sequence[object]], period: str = "2024"
) -> Any:
    """Rows of (account, product, list, net, cogs, cts[, presale, production,
    distribution, postsale])."""
    full = [tuple(r) + (None,) * (10 - len(r)) for r in rows]
    data: dict[str, pa.Array] = {
        "account_id": pa.array([r[0] for r in full], pa.string()),
        "period": pa.array([period] * len(full), pa.string()),
        "product": pa.array([r[1] for r in full], pa.string()),
    }
    for i, name in enumerate(COLUMNS, 2):
        data[name] = _money([r[i] for r in full])
    return con.create_table(f"profit_{len(con.list_tables())}", pa.table(data))


def by_account(result: Any) -> dict[str, dict[str, object]]:
    return {str(r["account_id"]): r for r in result.rows}


def filled_cells(result: Any) -> dict[tuple[str, int], tuple[int, Decimal, Decimal]]:
    """The action grid's cells holding a pair: (pairs, net revenue, profit)."""
    return {
        (g["customer_class"], g["product_class"]): (
            g["pairs"],
            g["net_revenue"],
            g["profit"],
        )
        for g in result.tables["grid"]
        if g["pairs"]
    }


def test_npi_cts_and_profit_per_account(con: Any) -> None:
    rows = by_account(profit_matrix(profit_table(con, PORTFOLIO)))
    assert rows["A"]["profit"] == Decimal("50.00")  # 100 − 40 − 10
    assert rows["A"]["npi"] == pytest.approx(100 / 120)
    assert rows["A"]["cts_share"] == pytest.approx(0.10)
    assert rows["C"]["profit"] == Decimal("-30.00")  # 150 − 100 − 80
    assert rows["C"]["margin"] == pytest.approx(-0.2)


def test_quadrants_at_the_medians(con: Any) -> None:
    result = profit_matrix(profit_table(con, PORTFOLIO))
    # NPI: A .8333, B 1.0, C .75, D .8 → median (.8 + .8333)/2 = .81667
    # CTS%: A .10, B .50, C .5333, D .125 → median (.125 + .5)/2 = .3125
    assert result.summary["npi_cutoff"] == pytest.approx((0.8 + 100 / 120) / 2)
    assert result.summary["cts_cutoff"] == pytest.approx(0.3125)
    quadrants = {a: r["quadrant"] for a, r in by_account(result).items()}
    assert quadrants == {
        "A": "passive",
        "B": "carriage trade",
        "C": "aggressive",
        "D": "bargain basement",
    }


def test_set_cut_offs_replace_the_medians(con: Any) -> None:
    result = profit_matrix(
        profit_table(con, PORTFOLIO), npi_cutoff=0.5, cts_cutoff=0.05
    )
    # Every NPI ≥ .5 and every CTS% ≥ .05: all high price, high cost.
    assert {r["quadrant"] for r in result.rows} == {"carriage trade"}


def test_whale_curve_peak_loss_makers_and_erosion(con: Any) -> None:
    result = profit_matrix(profit_table(con, PORTFOLIO))
    # By profit: A 50, D 25, B 20, C −30; total 65; running 50, 75, 95, 65.
    assert [r["account_id"] for r in result.rows] == ["A", "D", "B", "C"]
    shares = [r["cum_profit_share"] for r in result.rows]
    assert shares == pytest.approx([50 / 65, 75 / 65, 95 / 65, 1.0])
    s = result.summary
    assert s["peak_share"] == pytest.approx(95 / 65)
    assert s["peak_accounts"] == 3
    assert s["loss_makers"] == 1
    assert s["profit_eroded"] == "30.00"
    assert s["total_profit"] == "65.00"


def test_zero_net_revenue_is_listed_apart(con: Any) -> None:
    result = profit_matrix(profit_table(con, [*PORTFOLIO, ("E", "P1", 10, 0, 0, 0)]))
    assert "E" not in by_account(result)
    assert result.tables["excluded"] == [
        {"account_id": "E", "name": None, "net_revenue": Decimal("0.00")}
    ]
    assert result.summary["excluded"] == 1


def test_negative_cogs_is_refused_naming_the_row(con: Any) -> None:
    with pytest.raises(InputError, match="account B, period 2024, product P1: cogs"):
        profit_matrix(profit_table(con, [*PORTFOLIO[:1], ("B", "P1", 100, 100, -5, 1)]))


def test_cost_to_serve_parts_are_summed_and_must_agree(con: Any) -> None:
    parts = ("A", "P1", 120, 100, 40, None, 1, 2, 3, 4)
    rows = by_account(profit_matrix(profit_table(con, [parts])))
    assert rows["A"]["cost_to_serve"] == Decimal("10.00")  # 1 + 2 + 3 + 4
    assert rows["A"]["profit"] == Decimal("50.00")
    wrong = ("A", "P1", 120, 100, 40, 11, 1, 2, 3, 4)
    with pytest.raises(InputError, match=r"cost_to_serve 11\.00 is not the sum"):
        profit_matrix(profit_table(con, [wrong]))


def test_missing_cost_to_serve_is_refused_unless_assumed_zero(con: Any) -> None:
    rows = [*PORTFOLIO, ("E", "P1", 10, 10, 2, None)]
    with pytest.raises(InputError, match="1 rows have no cost_to_serve"):
        profit_matrix(profit_table(con, rows))
    result = profit_matrix(profit_table(con, rows), assume_zero_cts=True)
    assert by_account(result)["E"]["profit"] == Decimal("8.00")
    assert any("assumed zero on 1 rows" in w for w in result.warnings)


def test_customer_classes_are_quartiles_of_profit(con: Any) -> None:
    result = profit_matrix(profit_table(con, PORTFOLIO))
    assert [r["customer_class"] for r in result.rows] == ["A", "B", "C", "D"]


def test_action_grid_has_sixteen_cells_with_default_corner_policies(
    con: Any,
) -> None:
    result = profit_matrix(profit_table(con, PORTFOLIO))
    grid = {(g["customer_class"], g["product_class"]): g for g in result.tables["grid"]}
    assert len(grid) == 16
    assert grid[("A", 1)]["policy"] == "perfection / never miss"
    assert grid[("D", 4)]["policy"] == "tough it out / outsource"
    # P1: net 200, profit 50 + 20 = 70 → 35 %; P2: net 190, profit 25 − 30 = −5.
    # P1 is product class 1, P2 class 2. A buys P1 → cell A1; C buys P2 → D2.
    assert grid[("A", 1)]["net_revenue"] == Decimal("100.00")
    assert grid[("D", 2)]["profit"] == Decimal("-30.00")
    assert grid[("B", 2)]["pairs"] == 1
    assert grid[("A", 2)]["pairs"] == 0


def test_policy_labels_are_configurable(con: Any) -> None:
    result = profit_matrix(profit_table(con, PORTFOLIO), policies={"b3": "call daily"})
    cells = {
        (g["customer_class"], g["product_class"]): g for g in result.tables["grid"]
    }
    assert cells[("B", 3)]["policy"] == "call daily"
    with pytest.raises(ParameterError, match="E9"):
        profit_matrix(profit_table(con, PORTFOLIO), policies={"E9": "x"})


def test_registry_runs_profit_with_text_parameters(con: Any) -> None:
    result = run(
        "profit", {"profit": profit_table(con, PORTFOLIO)}, {"npi_cutoff": "0.9"}
    )
    # NPI ≥ .9 only for B (1.0).
    high = [
        r["account_id"]
        for r in result.rows
        if r["quadrant"] in {"passive", "carriage trade"}
    ]
    assert high == ["B"]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 500), st.integers(0, 300), st.integers(0, 300)),
        min_size=1,
        max_size=8,
    )
)
def test_quadrants_follow_the_cut_offs_and_the_curve_ends_at_one(
    accounts: list[tuple[int, int, int]],
) -> None:
    con = ibis.duckdb.connect()
    try:
        rows = [
            (f"A{i}", "P1", net + 50, net, cogs, cts)
            for i, (net, cogs, cts) in enumerate(accounts)
        ]
        result = profit_matrix(profit_table(con, rows))
    finally:
        con.disconnect()
    npi_cut, cts_cut = result.summary["npi_cutoff"], result.summary["cts_cutoff"]
    assert isinstance(npi_cut, float)
    assert isinstance(cts_cut, float)
    for r in result.rows:
        npi, cts = r["npi"], r["cts_share"]
        assert isinstance(npi, float)
        assert isinstance(cts, float)
        high_price, high_cost = npi >= npi_cut, cts >= cts_cut
        expected = {
            (True, False): "passive",
            (True, True): "carriage trade",
            (False, False): "bargain basement",
            (False, True): "aggressive",
        }[(high_price, high_cost)]
        assert r["quadrant"] == expected
    total = sum(Decimal(str(r["profit"])) for r in result.rows)
    if total > 0:
        assert result.rows[-1]["cum_profit_share"] == pytest.approx(1.0)


def test_classes_split_equal_profits_at_a_quartile_by_account_id(con: Any) -> None:
    # Profits: A 50, B 30, C 30, D 30 (P1 30 + P2 0), E 10, F −5; total 145.
    # NTILE(4) of 6 accounts: 2, 2, 1, 1 → A B | C D | E | F; B, C and D tie at
    # 30, and account_id decides that B is class A while C and D are class B.
    rows = [
        ("C", "P1", 100, 100, 60, 10),
        ("A", "P1", 100, 100, 40, 10),
        ("D", "P1", 60, 60, 20, 10),
        ("B", "P1", 100, 100, 50, 20),
        ("D", "P2", 40, 40, 30, 10),
        ("E", "P2", 50, 50, 30, 10),
        ("F", "P2", 20, 20, 20, 5),
    ]
    result = profit_matrix(profit_table(con, rows))
    got = [(r["rank"], r["account_id"], r["customer_class"]) for r in result.rows]
    assert got == [
        (1, "A", "A"),
        (2, "B", "A"),
        (3, "C", "B"),
        (4, "D", "B"),
        (5, "E", "C"),
        (6, "F", "D"),
    ]
    # Running profit 50, 80, 110, 140, 150, 145: the peak (150) is at account 5.
    shares = [r["cum_profit_share"] for r in result.rows]
    assert shares == [50 / 145, 80 / 145, 110 / 145, 140 / 145, 150 / 145, 1.0]
    assert [r["account_share"] for r in result.rows] == [k / 6 for k in range(1, 7)]
    s = result.summary
    assert (s["total_profit"], s["peak_profit"], s["profit_eroded"]) == (
        "145.00",
        "150.00",
        "5.00",
    )
    assert (s["peak_accounts"], s["loss_makers"]) == (5, 1)
    # P1: net 360, profit 140 (class 1); P2: net 110, profit 5 (class 2).
    assert filled_cells(result) == {
        ("A", 1): (2, Decimal("200.00"), Decimal("80.00")),
        ("B", 1): (2, Decimal("160.00"), Decimal("60.00")),
        ("B", 2): (1, Decimal("40.00"), Decimal("0.00")),
        ("C", 2): (1, Decimal("50.00"), Decimal("10.00")),
        ("D", 2): (1, Decimal("20.00"), Decimal("-5.00")),
    }


def test_fewer_accounts_than_classes_leave_the_last_classes_empty(con: Any) -> None:
    rows = [("A", "P1", 100, 100, 40, 10), ("B", "P1", 100, 100, 70, 10)]
    result = profit_matrix(profit_table(con, rows))
    assert [r["customer_class"] for r in result.rows] == ["A", "B"]
    grid = {(g["customer_class"], g["product_class"]): g for g in result.tables["grid"]}
    assert grid[("A", 1)]["profit"] == Decimal("50.00")
    assert grid[("B", 1)]["profit"] == Decimal("20.00")
    assert sum(g["pairs"] for g in grid.values()) == 2


def test_no_account_with_net_revenue_gives_an_empty_curve(con: Any) -> None:
    rows = [("A", "P1", 10, 0, 1, 1), ("B", "P2", 5, 0, 0, 0)]
    result = profit_matrix(profit_table(con, rows))
    assert list(result.rows) == []
    assert [r["account_id"] for r in result.tables["excluded"]] == ["A", "B"]
    s = result.summary
    assert (s["accounts"], s["total_profit"], s["peak_accounts"]) == (0, "0.00", 0)
    assert s["peak_share"] is None
    assert sum(g["pairs"] for g in result.tables["grid"]) == 0


#: The grid from the per-product columns of the per-account query (up to eight
#: products) and from the flat account–product query (more products).
GRID_PATHS = pytest.mark.parametrize("pivot_most", [8, 0], ids=["pivot", "flat"])


@GRID_PATHS
def test_products_are_classed_by_margin_with_blank_margins_last(
    con: Any, pivot_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kam.analysis.profit._PIVOT_MOST", pivot_most)
    # Profits: E 90 (blank product), A 70 − 5 = 65, D 60, B 50, C 30 → classes
    # E A | D | B | C. Product margins: '' 90/100, P1 70/100, P2 50/100, P3 30/100,
    # P4 60/200 (ties P3, which goes first by name), P5 net 0 (no margin, last).
    # NTILE(4) of 6 products: 2, 2, 1, 1.
    rows = [
        ("A", "P1", 110, 100, 20, 10),
        ("A", "P5", 10, 0, 0, 5),
        ("B", "P2", 110, 100, 40, 10),
        ("C", "P3", 110, 100, 60, 10),
        ("D", "P4", 210, 200, 120, 20),
        ("E", None, 110, 100, 10, 0),
    ]
    result = profit_matrix(profit_table(con, rows))
    assert [r["customer_class"] for r in result.rows] == ["A", "A", "B", "C", "D"]
    products = [
        (p["product"], p["product_class"], p["net_revenue"], p["profit"], p["margin"])
        for p in result.tables["products"]
    ]
    assert products == [
        ("", 1, Decimal("100.00"), Decimal("90.00"), pytest.approx(0.9)),
        ("P1", 1, Decimal("100.00"), Decimal("70.00"), pytest.approx(0.7)),
        ("P2", 2, Decimal("100.00"), Decimal("50.00"), pytest.approx(0.5)),
        ("P3", 2, Decimal("100.00"), Decimal("30.00"), pytest.approx(0.3)),
        ("P4", 3, Decimal("200.00"), Decimal("60.00"), pytest.approx(0.3)),
        ("P5", 4, Decimal("0.00"), Decimal("-5.00"), None),
    ]
    assert filled_cells(result) == {
        ("A", 1): (2, Decimal("200.00"), Decimal("160.00")),
        ("A", 4): (1, Decimal("0.00"), Decimal("-5.00")),
        ("B", 3): (1, Decimal("200.00"), Decimal("60.00")),
        ("C", 2): (1, Decimal("100.00"), Decimal("50.00")),
        ("D", 2): (1, Decimal("100.00"), Decimal("30.00")),
    }


@GRID_PATHS
def test_an_account_product_over_several_periods_is_one_pair(
    con: Any, pivot_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kam.analysis.profit._PIVOT_MOST", pivot_most)
    # A buys P1 in both months (net 2 × 100, profit 2 × 50), B once (50 − 20).
    jan = profit_table(con, [("A", "P1", 100, 100, 40, 10)], period="2024-01")
    feb = profit_table(
        con,
        [("A", "P1", 100, 100, 40, 10), ("B", "P1", 60, 50, 10, 10)],
        period="2024-02",
    )
    result = profit_matrix(jan.union(feb), period_from="2024-01", period_to="2024-02")
    assert [(r["account_id"], r["profit"]) for r in result.rows] == [
        ("A", Decimal("100.00")),
        ("B", Decimal("30.00")),
    ]
    assert filled_cells(result) == {
        ("A", 1): (1, Decimal("200.00"), Decimal("100.00")),
        ("B", 1): (1, Decimal("50.00"), Decimal("30.00")),
    }
    [p1] = result.tables["products"]
    assert (p1["net_revenue"], p1["profit"]) == (Decimal("250.00"), Decimal("130.00"))


def test_cost_to_serve_parts_the_source_lacks_count_as_blank(con: Any) -> None:
    # As the engine hands the sheet over: absent parts are typed blanks.
    t = profit_table(con, [*PORTFOLIO, ("E", "P1", 10, 10, 2, None)])
    blank = ibis.null("decimal(18, 2)")
    conformed = t.select(
        "account_id",
        "period",
        "product",
        "list_revenue",
        "net_revenue",
        "cogs",
        "cost_to_serve",
        cts_presale=blank,
        cts_production=blank,
        cts_distribution=blank,
        cts_postsale=blank,
    )
    with pytest.raises(InputError, match="1 rows have no cost_to_serve"):
        profit_matrix(conformed)
    rows = by_account(profit_matrix(conformed, assume_zero_cts=True))
    assert rows["E"]["profit"] == Decimal("8.00")  # 10 − 2 − 0
    assert rows["E"]["cost_to_serve"] == Decimal("0.00")
    assert rows["A"]["profit"] == Decimal("50.00")  # 100 − 40 − 10


def test_profits_of_hundreds_of_trillions_rank_and_sum_exactly(con: Any) -> None:
    # A: 600 trillion − 100 trillion = 500 trillion; B: 100 − 40 − 10 = 50.
    big = 600_000_000_000_000
    rows = [("B", "P1", 100, 100, 40, 10), ("A", "P2", big, big, big // 6, 0)]
    result = profit_matrix(profit_table(con, rows))
    assert [(r["account_id"], r["profit"]) for r in result.rows] == [
        ("A", Decimal("500000000000000.00")),
        ("B", Decimal("50.00")),
    ]
    assert result.summary["total_profit"] == "500000000000050.00"
    assert result.summary["peak_profit"] == "500000000000050.00"
