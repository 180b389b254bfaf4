"""The ABC classes of the scoring matrix's selection table, kept per calendar year by
the engine (``_abc_year_classes``) and read when they answer for the range."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from kam.analysis.class_tables import YEAR_CLASSES, year_classes
from kam.analysis.selection import account_classes
from kam.engine.core import open_engine

MONEY = pa.decimal128(18, 2)

#: 2024 revenue: A 500, B 300, C 150, D 50 (total 1000). Shares of the accounts
#: ranked before each one: A 0, B 0.5, C 0.8, D 0.95, so with cut-offs 0.80/0.95
#: A and B are class A, C is B (0.8 is not below 0.8) and D is C. In 2023 D alone
#: (1000) and A (10): D is class A there, A class C (1000/1010 ≥ 0.95).
REVENUE = [
    ("A", "2024-01", 200),
    ("A", "2024-07", 300),
    ("B", "2024", 300),
    ("C", "2024-Q2", 150),
    ("D", "2024-12", 50),
    ("D", "2023", 1000),
    ("A", "2023-05", 10),
]


def _revenue_arrow() -> pa.Table:
    return pa.table(
        {
            "account_id": [r[0] for r in REVENUE],
            "period": [r[1] for r in REVENUE],
            "product": ["P1"] * len(REVENUE),
            "amount": pa.array([Decimal(r[2]) for r in REVENUE], MONEY),
        }
    )


def _by_year(con: Any) -> Any:
    # The yearly rollup the engine sums: account, 'YYYY', value.
    totals: dict[tuple[str, str], int] = {}
    for account, period, amount in REVENUE:
        key = (account, period[:4])
        totals[key] = totals.get(key, 0) + amount
    table = pa.table(
        {
            "account_id": [k[0] for k in totals],
            "period": [k[1] for k in totals],
            "value": pa.array([Decimal(v) for v in totals.values()], MONEY),
        }
    )
    return con.create_table("by_year", table)


def test_year_classes_classify_each_calendar_year_apart() -> None:
    con = ibis.duckdb.connect()
    try:
        got = year_classes(_by_year(con)).to_pyarrow().to_pylist()
    finally:
        con.disconnect()
    found = {(r["account"], r["period"]): (r["revenue"], r["class"]) for r in got}
    assert found == {
        ("A", "2024"): (Decimal("500.00"), "A"),
        ("B", "2024"): (Decimal("300.00"), "A"),
        ("C", "2024"): (Decimal("150.00"), "B"),
        ("D", "2024"): (Decimal("50.00"), "C"),
        ("D", "2023"): (Decimal("1000.00"), "A"),
        ("A", "2023"): (Decimal("10.00"), "C"),
    }


def _classes(result: Any) -> dict[str, tuple[object, object]]:
    rows = result.table.to_pyarrow().to_pylist()
    return {r["account_id"]: (r["revenue"], r["abc_class"]) for r in rows}


def test_account_classes_read_the_stored_year_only_when_it_answers() -> None:
    con = ibis.duckdb.connect()
    try:
        revenue = con.create_table(
            "revenue",
            pa.table(
                {
                    "account_id": [r[0] for r in REVENUE],
                    "period": [r[1] for r in REVENUE],
                    "value": pa.array([Decimal(r[2]) for r in REVENUE], MONEY),
                }
            ),
        )
        # A stored table whose classes no classification gives: read it, and it
        # shows.
        stored = con.create_table(
            "stored",
            pa.table(
                {
                    "account": ["A", "B"],
                    "period": ["2024", "2024"],
                    "revenue": pa.array([Decimal(7), Decimal(8)], MONEY),
                    "class": ["Z", "Y"],
                }
            ),
        )
        tables = {"revenue": revenue, YEAR_CLASSES: stored}
        year = {"period_from": "2024-01", "period_to": "2024-12"}
        assert _classes(account_classes(tables, **year)) == {
            "A": (Decimal("7.00"), "Z"),
            "B": (Decimal("8.00"), "Y"),
        }
        # Other cut-offs (0.5, 0.9): classified again. Shares before each account
        # 0, 0.5, 0.8, 0.95 → A, B, B, C.
        other = _classes(account_classes(tables, cutoffs=(0.5, 0.9), **year))
        assert other == {
            "A": (Decimal("500.00"), "A"),
            "B": (Decimal("300.00"), "B"),
            "C": (Decimal("150.00"), "B"),
            "D": (Decimal("50.00"), "C"),
        }
        # Two years are not one calendar year: pooled and classified again. D
        # 1050, A 510, B 300, C 150 of 2010: shares before each 0, 0.522, 0.776,
        # 0.925 → A, A, A, B.
        both = _classes(
            account_classes(tables, period_from="2023-01", period_to="2024-12")
        )
        assert both == {
            "D": (Decimal("1050.00"), "A"),
            "A": (Decimal("510.00"), "A"),
            "B": (Decimal("300.00"), "A"),
            "C": (Decimal("150.00"), "B"),
        }
    finally:
        con.disconnect()


def _ledger(folder: Path) -> Path:
    pq.write_table(_revenue_arrow(), folder / "Revenue.parquet")
    pq.write_table(
        pa.table(
            {
                "criterion_id": ["g1"],
                "section": ["growth"],
                "name": ["criterion g1"],
                "weight": pa.array([1.0], pa.float64()),
            }
        ),
        folder / "Criteria.parquet",
    )
    accounts = ["A", "B", "C", "D"]
    pq.write_table(
        pa.table(
            {
                "account_id": accounts,
                "criterion_id": ["g1"] * 4,
                "score": pa.array([5.0, 6.0, 7.0, 8.0], pa.float64()),
                "rater": ["ann"] * 4,
            }
        ),
        folder / "Scores.parquet",
    )
    return folder


def test_engine_keeps_the_year_classes_and_scoring_reads_them(tmp_path: Path) -> None:
    engine = open_engine(f"parquet:{_ledger(tmp_path)}")
    try:
        # Built when the first reader other than a Pareto or ABC of revenue needs
        # them, from the yearly rollup.
        engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
        assert YEAR_CLASSES not in engine.tables(built_only=True)
        assert YEAR_CLASSES in engine.tables()
        # Classes depend on every account: a restricted reader does not get them.
        assert YEAR_CLASSES not in engine.tables(accounts=["A"])
        result = engine.run(
            "scoring", {"period_from": "2024-01", "period_to": "2024-12"}
        )
        got = {r["account_id"]: (r["revenue"], r["abc_class"]) for r in result.rows}
        assert got == {
            "A": (Decimal("500.00"), "A"),
            "B": (Decimal("300.00"), "A"),
            "C": (Decimal("150.00"), "B"),
            "D": (Decimal("50.00"), "C"),
        }
        # 2023: D 1000 is class A, A 10 is class C; B and C have no revenue.
        old = engine.run("scoring", {"period_from": "2023", "period_to": "2023"})
        got = {r["account_id"]: (r["revenue"], r["abc_class"]) for r in old.rows}
        assert got == {
            "A": (Decimal("10.00"), "C"),
            "B": (None, None),
            "C": (None, None),
            "D": (Decimal("1000.00"), "A"),
        }
    finally:
        engine.close()
