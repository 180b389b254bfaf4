"""One engine, many threads: analyses and raw queries at once, each answered right.

The engine's DuckDB connection runs one query at a time; the engine serialises
every use of it (see :class:`kam.engine.Engine`). The results cache is turned off
here so that every call really queries.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.engine import Engine, open_engine
from kam.engine.cache import ResultCache

# Revenue by account and year. By hand:
# 2023: total 200; A 100 (50 %), B 50 (cum 75 %), C 30 (cum 90 %) -> 3 accounts
#       reach the 80 % threshold; E has no revenue that year (5 accounts ranked).
# 2024: total 300; E 200 (66.7 %), D 40 (cum 80 %) -> 2 accounts.
# All rows: 9 rows, amounts summing to 500; 5 accounts.
REVENUE = [
    ("A", "2023", "100"),
    ("B", "2023", "50"),
    ("C", "2023", "30"),
    ("D", "2023", "20"),
    ("A", "2024", "10"),
    ("B", "2024", "20"),
    ("C", "2024", "30"),
    ("D", "2024", "40"),
    ("E", "2024", "200"),
]
PARETO = {"2023": ("200.00", 3), "2024": ("300.00", 2)}
THREADS = 8
ROUNDS = 10


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    ids = sorted({a for a, _, _ in REVENUE})
    pq.write_table(
        pa.table({"account_id": ids, "name": [f"Account {a}" for a in ids]}),
        tmp_path / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": [a for a, _, _ in REVENUE],
                "period": [p for _, p, _ in REVENUE],
                "amount": pa.array(
                    [Decimal(v) for _, _, v in REVENUE], pa.decimal128(18, 2)
                ),
            }
        ),
        tmp_path / "Revenue.parquet",
    )
    engine = open_engine(f"parquet:{tmp_path}")
    engine.results = ResultCache(size=0)  # every run queries
    return engine


def _work(engine: Engine, seed: int) -> list[str]:
    """ROUNDS random operations; the list of wrong answers (empty when all right)."""
    rng = random.Random(seed)
    wrong: list[str] = []
    for _ in range(ROUNDS):
        op = rng.randrange(5)
        if op == 0:
            year = rng.choice(sorted(PARETO))
            result = engine.run("pareto", {"period_from": year, "period_to": year})
            got = (str(result.summary["total"]), result.summary["k"])
            if got != PARETO[year]:
                wrong.append(f"pareto {year}: {got}")
        elif op == 1:
            result = engine.run("abc", {"period_from": "2024", "period_to": "2024"})
            classes = {
                r["account_id"]: r["class"]
                for r in result.rows
                if r["period"] == "2024"
            }
            # 2024 cumulative: E 66.7 % (A), D 80 % (A: the boundary is in A with
            # the default cut-offs 0.80/0.95 and an account reaching 80 % in A),
            # C 90 % (B), B 96.7 % (C), A 100 % (C).
            if classes.get("E") != "A" or classes.get("A") != "C":
                wrong.append(f"abc: {classes}")
        elif op == 2:
            revenue = engine.tables()["Revenue"]
            total = engine.scalar(revenue["amount"].sum())
            if Decimal(str(total)) != Decimal("500"):
                wrong.append(f"sum: {total}")
        elif op == 3:
            accounts = engine.tables(accounts={"B", "D"})["Accounts"]
            ids = engine.to_pyarrow(accounts.order_by("account_id"))
            if ids["account_id"].to_pylist() != ["B", "D"]:
                wrong.append(f"scoped accounts: {ids}")
        else:
            # A handed-out table run directly is serialised by the engine too.
            revenue = engine.tables()["Revenue"]
            rows = revenue.filter(revenue["period"] == "2023").count().to_pyarrow()
            if rows.as_py() != 4:
                wrong.append(f"count 2023: {rows}")
    return wrong


def test_eight_threads_share_one_engine(engine: Engine) -> None:
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda s: _work(engine, s), range(THREADS)))
    finally:
        engine.close()
    assert answers == [[] for _ in range(THREADS)]


def test_engine_execute_runs_an_expression(engine: Engine) -> None:
    try:
        revenue = engine.tables()["Revenue"]
        by_year = engine.execute(
            revenue.group_by("period").agg(n=revenue.count()).order_by("period")
        )
    finally:
        engine.close()
    assert by_year["n"].tolist() == [4, 5]
