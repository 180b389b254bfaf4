"""The profit matrix from the per-account figures the engine builds once per data
version (``_profit_accounts``, :func:`kam.analysis.profit_rows.profit_accounts`):
the table by hand, read only when the range keeps every Profit row and the products
match, and the same result as from the rows, on DuckDB and (when
``KAM_TEST_POSTGRES_URL`` is set) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import ibis
import pytest

from kam.analysis.registry import run
from kam.engine.core import derive
from tests.analysis.golden import make_table
from tests.conftest import postgres_backend_in_schema


def _row(
    account: str,
    period: str,
    product: str | None,
    list_: int,
    net: int,
    cogs: int | None,
    cts: int | None,
    parts: Sequence[int | None] = (None, None, None, None),
) -> tuple[object, ...]:
    """A Profit row in the golden column order (net, cogs, cts, list, parts)."""
    return (account, period, product, net, cogs, cts, list_, *parts)


#: Two periods, three products (one blank), one account with net revenue 0.
ROWS = [
    _row("A", "2024-01", "P1", 120, 100, 40, 10),
    _row("A", "2024-02", "P2", 60, 50, None, 5),  # blank cogs counts 0
    _row("B", "2024-01", "P1", 100, 100, 30, None, (20, 5, None, None)),
    _row("C", "2024-02", None, 200, 150, 100, 80),
    _row("D", "2024-01", "P2", 10, 0, 1, 1),
]


@pytest.fixture(params=["duckdb", "postgres"])
def con(request: pytest.FixtureRequest) -> Iterator[Any]:
    """In-memory DuckDB or a fresh PostgreSQL schema."""
    if request.param == "duckdb":
        duck = ibis.duckdb.connect()
        yield duck
        duck.disconnect()
        return
    with postgres_backend_in_schema("kam_profit") as pg:
        yield pg


def _prepared(con: Any, rows: Sequence[tuple[object, ...]]) -> Any:
    """``_profit_accounts`` of ``rows``, materialised as the engine keeps it."""
    built = derive({"Profit": make_table(con, "profit", rows)})["_profit_accounts"]
    return built.cache()


def _by_account(table: Any) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in table.to_pyarrow().to_pylist()}


def test_figures_per_account_by_hand(con: Any) -> None:
    got = _by_account(_prepared(con, ROWS))
    d = Decimal
    # Products sorted: '' (C's blank), P1, P2 → columns _0, _1, _2.
    # A: net 100 + 50, cogs 40 + 0, cts 10 + 5: profit 150 − 40 − 15 = 95.
    a = got["A"]
    assert (a["list_revenue"], a["net_revenue"], a["cogs"], a["cost_to_serve"]) == (
        d("180.00"),
        d("150.00"),
        d("40.00"),
        d("15.00"),
    )
    assert (a["profit"], a["units"], a["kept"], a["apart"]) == (d("95.00"), 9500, 1, 0)
    assert a["npi"] == pytest.approx(150 / 180)
    assert a["cts_share"] == pytest.approx(15 / 150)
    assert a["margin"] == pytest.approx(95 / 150)
    assert [a[f"pair_{i}"] for i in range(3)] == [0, 1, 1]
    assert [a[f"pair_net_{i}"] for i in (1, 2)] == [d("100.00"), d("50.00")]
    assert [a[f"pair_p_{i}"] for i in (1, 2)] == [d("50.00"), d("45.00")]
    # B: cost to serve from its parts 20 + 5; profit 100 − 30 − 25 = 45.
    b = got["B"]
    assert (b["cost_to_serve"], b["profit"], b["no_cts"], b["problems"]) == (
        d("25.00"),
        d("45.00"),
        0,
        0,
    )
    # C: the blank product is product 0; profit 150 − 100 − 80 = −30.
    c = got["C"]
    assert (c["pair_0"], c["pair_p_0"], c["units"]) == (1, d("-30.00"), -3000)
    # D: net revenue 0, listed apart: NPI 0 / 10 = 0, CTS % and margin blank.
    dd = got["D"]
    assert (dd["kept"], dd["apart"], dd["cts_share"], dd["margin"]) == (
        0,
        1,
        None,
        None,
    )
    assert dd["npi"] == pytest.approx(0.0)


def _result(con: Any, prepared: Any, rows: Sequence[Any], **params: object) -> Any:
    tables = {"profit": make_table(con, "profit", rows)}
    if prepared is not None:
        tables["_profit_accounts"] = prepared
    return run("profit", tables, {"fiscal_year_start": 1, **params})


def _profits(result: Any) -> list[tuple[str, Decimal]]:
    return [(r["account_id"], r["profit"]) for r in result.rows]


def test_the_figures_are_read_when_the_range_keeps_every_row(con: Any) -> None:
    # The prepared figures are of other data (every net revenue + 1000): the
    # profits show which was read.
    other = [(*r[:3], int(str(r[3])) + 1000, *r[4:]) for r in ROWS]
    prepared = _prepared(con, other)
    whole = {"period_from": "2024-01", "period_to": "2024-02"}
    assert _profits(_result(con, prepared, ROWS, **whole)) == [
        ("A", Decimal("2095.00")),
        ("B", Decimal("1045.00")),
        ("D", Decimal("998.00")),
        ("C", Decimal("970.00")),
    ]
    # January alone: the rows are read. A 100 − 40 − 10, B 45; D (net 0) apart.
    january = _result(con, prepared, ROWS, period_from="2024-01", period_to="2024-01")
    assert _profits(january) == [("A", Decimal("50.00")), ("B", Decimal("45.00"))]
    assert [r["account_id"] for r in january.tables["excluded"]] == ["D"]


def test_figures_of_other_products_are_not_read(con: Any) -> None:
    # The figures know products '', P1, P2 and P3; the sheet read has three of
    # them: the per-product columns would not line up, so the rows are read.
    extra = [*ROWS, _row("E", "2024-01", "P3", 10, 10, 1, 1)]
    prepared = _prepared(con, [(*r[:3], 999, *r[4:]) for r in extra])
    whole = {"period_from": "2024-01", "period_to": "2024-02"}
    result = _result(con, prepared, ROWS, **whole)
    assert _profits(result) == [
        ("A", Decimal("95.00")),
        ("B", Decimal("45.00")),
        ("C", Decimal("-30.00")),
    ]


def test_same_result_from_the_figures_and_from_the_rows(con: Any) -> None:
    whole = {"period_from": "2024-01", "period_to": "2024-02"}
    from_rows = _result(con, None, ROWS, **whole)
    from_figures = _result(con, _prepared(con, ROWS), ROWS, **whole)
    assert from_figures.to_json() == from_rows.to_json()
    # The hand-computed ranking: A 95, B 45, C −30 (D apart, net revenue 0).
    assert _profits(from_figures) == [
        ("A", Decimal("95.00")),
        ("B", Decimal("45.00")),
        ("C", Decimal("-30.00")),
    ]
    # Grid: three accounts in classes A, B, C; pairs A–P1, A–P2, B–P1, C–''.
    assert sum(int(str(g["pairs"])) for g in from_figures.tables["grid"]) == 4


def test_more_products_than_the_pivot_read_the_figures_and_flat_pairs(
    con: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three products, a pivot of two: the run sums the pairs from the rows and
    # reads the figures without their per-product columns.
    monkeypatch.setattr("kam.analysis.profit._PIVOT_MOST", 2)
    whole = {"period_from": "2024-01", "period_to": "2024-02"}
    from_rows = _result(con, None, ROWS, **whole)
    from_figures = _result(con, _prepared(con, ROWS), ROWS, **whole)
    assert from_figures.to_json() == from_rows.to_json()
    # Classes A (A), B (B), C (C); pairs A–P1, A–P2, B–P1, C–'' (profit −30).
    cells = {
        (g["customer_class"], g["pairs"], g["profit"])
        for g in from_figures.tables["grid"]
        if g["pairs"]
    }
    assert sum(n for _, n, _ in cells) == 4
    products = {p["product"]: p["profit"] for p in from_figures.tables["products"]}
    assert products == {
        "": Decimal("-30.00"),
        "P1": Decimal("95.00"),
        "P2": Decimal("45.00"),
    }
    # Figures of other data are read: the profits show it.
    other = [(*r[:3], int(str(r[3])) + 1000, *r[4:]) for r in ROWS]
    read = _result(con, _prepared(con, other), ROWS, **whole)
    assert _profits(read)[0] == ("A", Decimal("2095.00"))
