"""A Pareto over one calendar year reads the engine's stored yearly ranks
(kam.analysis.pareto_ranks): the same rows as ranking again, zero accounts
included, checked by hand and against the computed path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.analysis.preagg import metric_values
from kam.analysis.year_ranks import YEAR_RANKS, stored_year
from kam.engine.core import derive, open_engine
from kam.engine.sources import write_derived
from tests.analysis.golden import arrow_table
from tests.engine.test_golden_backends import (  # noqa: F401  (fixtures)
    _SparkViews,
    spark_backend,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

#: 2025 revenue: P 600, Q 250 (two rows), R 100, S 50 (total 1000); T's rows sum to
#: zero; U has revenue in 2024 only; V and W have no revenue. V is active, W
#: inactive, X has no status (active) and no revenue. S is missing from Accounts.
REVENUE = [
    ("P", "2025-03", "p1", 600),
    ("Q", "2025-01", "p1", 200),
    ("Q", "2025-Q4", "p2", 50),
    ("R", "2025", "p1", 100),
    ("S", "2025-12", "p1", 50),
    ("T", "2025-06", "p1", 0),
    ("U", "2024-05", "p1", 900),
    ("P", "2024-02", "p1", 100),
]
ACCOUNTS = [
    ("P", "Pine", "active"),
    ("Q", "Quay", None),
    ("R", "Reed", "active"),
    ("T", "Teal", "active"),
    ("U", "Umber", "active"),
    ("V", "Vale", "active"),
    ("W", "Wren", "churned"),
    ("X", "Xeno", None),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder: Path = tmp_path_factory.mktemp("pareto_ranks")
    pq.write_table(arrow_table("revenue", REVENUE), folder / "Revenue.parquet")
    pq.write_table(arrow_table("accounts", ACCOUNTS), folder / "Accounts.parquet")
    write_derived(folder, derive)
    e = open_engine(f"parquet:{folder}")
    yield e
    e.close()


def _stored(engine: Any) -> bool:
    tables = engine.analysis_tables("pareto")
    values = metric_values(tables, "revenue")
    return YEAR_RANKS in tables and stored_year(values, "2025") is not None


def test_the_year_is_read_from_the_stored_ranks(engine: Any) -> None:
    assert _stored(engine)
    # Ranks stored for the calendar years of the data only.
    values = metric_values(engine.analysis_tables("pareto"), "revenue")
    assert stored_year(values, "2023") is None


def test_rows_by_hand_with_the_zero_accounts(engine: Any) -> None:
    result = engine.run(
        "pareto", {"period_from": "2025-01", "period_to": "2025-12", "threshold": 0.8}
    )
    rows = list(result.rows)
    # Ranked: P, Q, R, S; then at zero by id: T (rows summing to 0), U (no row in
    # 2025, active), V (active), X (no status); W is inactive.
    assert [r["account_id"] for r in rows] == ["P", "Q", "R", "S", "T", "U", "V", "X"]
    assert [r["rank"] for r in rows] == list(range(1, 9))
    assert [r["name"] for r in rows] == [
        "Pine", "Quay", "Reed", None, "Teal", "Umber", "Vale", "Xeno"
    ]  # fmt: skip
    assert [r["value"] for r in rows[:5]] == [
        Decimal("600.00"), Decimal("250.00"), Decimal("100.00"), Decimal("50.00"),
        Decimal("0.00"),
    ]  # fmt: skip
    assert [r["share"] for r in rows] == pytest.approx(
        [0.6, 0.25, 0.1, 0.05, 0, 0, 0, 0]
    )
    assert [r["cum_share"] for r in rows] == pytest.approx(
        [0.6, 0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0]
    )
    assert [r["rank_pct"] for r in rows] == pytest.approx([i / 8 for i in range(1, 9)])
    # Before P 0 and before Q 0.6 are below 0.8; before R 0.85 is not.
    assert [r["vital_few"] for r in rows] == [True, True] + [False] * 6
    s = result.summary
    assert (s["accounts"], s["k"], s["total"]) == (8, 2, "1000.00")
    assert s["hhi"] == pytest.approx(0.6**2 + 0.25**2 + 0.1**2 + 0.05**2)
    # Gini from the descending values: Σ (n + 1 − 2r) x_r / (n Σ x).
    xs = [600, 250, 100, 50, 0, 0, 0, 0]
    gini = sum((9 - 2 * r) * x for r, x in enumerate(xs, 1)) / (8 * 1000)
    assert s["gini"] == pytest.approx(gini)


def test_without_zero_accounts_only_the_rows_summing_to_zero_stay(engine: Any) -> None:
    result = engine.run(
        "pareto",
        {"period_from": "2025-01", "period_to": "2025-12", "include_zero": "false"},
    )
    rows = list(result.rows)
    assert [r["account_id"] for r in rows] == ["P", "Q", "R", "S", "T"]
    assert [r["rank_pct"] for r in rows] == pytest.approx([i / 5 for i in range(1, 6)])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"include_zero": "false"},
        {"threshold": 0.5},
        {"period_from": "2024-01", "period_to": "2024-12"},
        {"period_from": "2024-01", "period_to": "2025-12"},
    ],
)
def test_the_same_as_ranking_again(engine: Any, params: dict[str, object]) -> None:
    """A reader restricted to every account ranks its own rows (no stored ranks):
    the stored path gives the same result."""
    every = [a[0] for a in ACCOUNTS] + ["S"]
    stored = engine.run("pareto", params).to_dict()
    again = engine.run("pareto", params, accounts=every).to_dict()
    assert stored == again


def test_a_year_without_positive_revenue_is_still_rejected(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "zero"
    folder.mkdir()
    rows = [("A", "2024-01", "p1", 0), ("B", "2023-01", "p1", 10)]
    pq.write_table(arrow_table("revenue", rows), folder / "Revenue.parquet")
    pq.write_table(
        pa.table({"account_id": ["A", "B"], "name": ["a", "b"]}),
        folder / "Accounts.parquet",
    )
    engine = open_engine(f"parquet:{folder}")
    try:
        with pytest.raises(Exception, match="positive total"):
            engine.run("pareto", {"period_from": "2024-01", "period_to": "2024-12"})
    finally:
        engine.close()


def test_inside_postgresql_the_ranks_built_later_give_the_same_curve(
    postgres_url: str,
) -> None:
    """A store on PostgreSQL named as the source runs there: the ranks are built
    when a reader other than Pareto and ABC first needs the tables, and the curve
    read from them (sorted after the fetch: PostgreSQL keeps no order) is the one
    ranked before."""
    from kam.model import SHEETS, Portfolio, Table, store_columns
    from kam.store.repository import Store

    def table(sheet: str, rows: list[dict[str, object]]) -> Table:
        return Table.from_rows(store_columns(SHEETS[sheet]), rows)

    accounts = [
        {"account_id": a, "name": f"N{a}", "status": status}
        for a, _, status in ACCOUNTS
    ]
    revenue = [
        {"account_id": a, "period": p, "product": prod, "amount": Decimal(v)}
        for a, p, prod, v in REVENUE
    ]
    # Enough accounts that a backend without order would show it.
    revenue += [
        {"account_id": f"Z{i:03d}", "period": "2025-02", "product": "p1",
         "amount": Decimal(i % 37 + 1)}
        for i in range(300)
    ]  # fmt: skip
    accounts += [
        {"account_id": a, "name": f"N{a}", "status": "active"}
        for a in ["S", *(f"Z{i:03d}" for i in range(300))]
    ]
    portfolio = Portfolio(
        {"Accounts": table("Accounts", accounts), "Revenue": table("Revenue", revenue)}
    )
    store = Store(postgres_url)
    store.upgrade()
    store.import_portfolio(portfolio)
    store.dispose()
    engine = open_engine(postgres_url)
    try:
        assert engine.backend.name == "postgres"
        params = {"period_from": "2025-01", "period_to": "2025-12"}
        before = engine.run("pareto", params).to_dict()
        assert not _stored(engine)
        engine.tables()  # a reader of every table: the ranks are built
        assert _stored(engine)
        engine.results.clear()
        after = engine.run("pareto", params).to_dict()
        assert after == before
        rows = after["rows"]
        assert isinstance(rows, list)
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        values = [Decimal(str(r["value"])) for r in rows]
        assert values == sorted(values, reverse=True)
        # 4 + 300 ranked, then T, U, V, X at zero.
        assert [r["account_id"] for r in rows[-4:]] == ["T", "U", "V", "X"]
    finally:
        engine.close()


@pytest.mark.spark
@pytest.mark.slow
def test_on_spark_the_ranks_built_later_give_the_same_curve_and_classes(
    spark_backend: _SparkViews,  # noqa: F811
) -> None:
    """An engine over Spark views (a warehouse): the ranks are cached in Spark on
    first need, and Pareto and ABC read from them give what they gave before."""
    revenue = [
        *REVENUE,
        ("P", "2023-01", "p1", 70),
        ("Q", "2023-01", "p1", 70),
        ("R", "2024-04", "p1", 5),
    ]
    spark_backend.create_table("Accounts", arrow_table("accounts", ACCOUNTS))
    spark_backend.create_table("REVENUE", arrow_table("revenue", revenue))
    engine = open_engine(spark_backend.con)
    try:
        runs = [("pareto", {"period_from": "2025-01", "period_to": "2025-12"})]
        runs += [("abc", {}), ("abc", {"boundary": "strict"})]
        before = [engine.run(a, p).to_dict() for a, p in runs]
        assert not _stored(engine)
        engine.tables()
        assert _stored(engine)
        engine.results.clear()
        after = [engine.run(a, p).to_dict() for a, p in runs]
    finally:
        engine.close()
    assert after == before
    classes = {(r["period"], r["account_id"]): r["class"] for r in before[1]["rows"]}
    # 2025: P 600 of 1000 is A; Q (before it 60 %) A; R (85 %) B; S (95 %) C.
    assert [classes[("2025", a)] for a in "PQRS"] == ["A", "A", "B", "C"]
