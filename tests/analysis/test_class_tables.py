"""The ABC classes and retention figures the engine stores once per data version
(kam.analysis.class_tables, kam.analysis.retention_views) and the analyses that read
them: retention, slipping, upsell and the at-risk queue give the results of the
canonical tables alone, stored tables or not."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.analysis.class_tables import MONTH_CLASSES, YEAR_CLASSES
from kam.analysis.retention_views import RETENTION_TTM, RETENTION_VIEWS
from kam.engine import open_engine
from kam.errors import InputError
from tests.analysis.golden import arrow_table

# MRR per account (plans summed), cut-offs 0.80, 0.95 on the share before:
# 2023-12 and 2024-10: A 100 only (older than the two months stored).
# 2024-11 (total 1000): A 500 (0 → A), B 300 (.50 → A), C 120 (.80 → B),
#   D 50 (.92 → B), F 30 (.97 → C).
# 2024-12 (total 1000): A 500 basic + 100 premium = 600 (0 → A), B 200 (.60 → A),
#   C 100 (.80 → B), D 50 (.90 → B), E 50 (.95 alone, but tied with D, whose
#   class it shares → B).
MRR = [
    ("A", "2023-12", "basic", 100),
    ("A", "2024-10", "basic", 100),
    ("A", "2024-11", "basic", 500),
    ("B", "2024-11", "basic", 300),
    ("C", "2024-11", "basic", 120),
    ("D", "2024-11", "basic", 50),
    ("F", "2024-11", "basic", 30),
    ("A", "2024-12", "basic", 500),
    ("A", "2024-12", "premium", 100),
    ("B", "2024-12", "basic", 200),
    ("C", "2024-12", "basic", 100),
    ("D", "2024-12", "basic", 50),
    ("E", "2024-12", "basic", 50),
]
# Revenue 2023 (total 1000): A 490 (0 → A), B 200 (.49 → A), C 110 (.69 → A),
# D 100 (.80 → B), E 60 (.90 → B), F 40 (.96 → C).
# 2024 (total 1000): C 600 (0 → A), B 300 (.60 → A), A 100 (.90 → B).
REVENUE = [
    (a, "2023", "X", v)
    for a, v in [("A", 490), ("B", 200), ("C", 110), ("D", 100), ("E", 60)]
] + [("F", "2023", "X", 40), ("C", "2024", "X", 600), ("B", "2024", "X", 300)]
REVENUE += [("A", "2024-0" + str(q), "X", 25) for q in (1, 4, 7)]
REVENUE += [("A", "2024-Q4", "X", 25)]
PRODUCTS = [
    ("basic", None, "plan", 1, False),
    ("premium", None, "plan", 2, True),
    ("X", None, "product", None, False),
]
RISKS = [
    ("D", date(2024, 12, 1), "watch", "quiet", None, None),
    ("A", date(2024, 11, 1), "critical", "budget", None, None),
    ("F", date(2024, 6, 1), "watch", "gone", None, date(2024, 7, 1)),  # resolved
]
IDS = ("A", "B", "C", "D", "E", "F")


def _ledger(folder: Path) -> Path:
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "account_id": list(IDS),
                "name": [f"Account {a}" for a in IDS],
                "owner": ["ann" if a in "ABC" else "bob" for a in IDS],
                "renewal_date": pa.array(
                    [date(2025, 1, 15) if a in "AD" else None for a in IDS],
                    pa.date32(),
                ),
            }
        ),
        folder / "Accounts.parquet",
    )
    sheets = {
        "MRR": ("mrr", MRR),
        "Revenue": ("revenue", REVENUE),
        "Products": ("products", PRODUCTS),
        "Risks": ("risks", RISKS),
    }
    for sheet, (kind, rows) in sheets.items():
        pq.write_table(arrow_table(kind, rows), folder / f"{sheet}.parquet")
    return folder


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    e = open_engine(f"parquet:{_ledger(tmp_path / 'ledger')}")
    yield e
    e.close()


def _rows(table: Any, order: Sequence[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = table.to_pyarrow().to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r[c]) for c in order))


def test_the_engine_stores_the_classes_of_the_last_two_months(engine: Any) -> None:
    tables = engine.analysis_tables("retention")
    got = _rows(tables[MONTH_CLASSES], ["account"])
    d = Decimal
    assert [tuple(r.values()) for r in got] == [
        ("A", d("500.00"), d("600.00"), "A", "A", -100.0, 500.0),
        ("B", d("300.00"), d("200.00"), "A", "A", 100.0, 300.0),
        ("C", d("120.00"), d("100.00"), "B", "B", 20.0, 120.0),
        ("D", d("50.00"), d("50.00"), "B", "B", 0.0, 50.0),
        ("E", d("0.00"), d("50.00"), None, "B", -50.0, 0.0),
        ("F", d("30.00"), d("0.00"), "C", None, 30.0, 30.0),
    ]
    columns = ["account", "previous", "current", "previous_class", "now_class"]
    assert list(got[0]) == [*columns, "fall", "base"]


def test_the_engine_stores_the_classes_of_each_calendar_year(engine: Any) -> None:
    tables = engine.analysis_tables("retention")
    got = [
        tuple(r.values())
        for r in _rows(
            tables[YEAR_CLASSES].select("account", "period", "class"),
            ["period", "account"],
        )
    ]
    assert got == [
        ("A", "2023", "A"),
        ("B", "2023", "A"),
        ("C", "2023", "A"),
        ("D", "2023", "B"),
        ("E", "2023", "B"),
        ("F", "2023", "C"),
        ("A", "2024", "B"),
        ("B", "2024", "A"),
        ("C", "2024", "A"),
    ]


def test_a_restricted_reader_gets_no_stored_classes(engine: Any) -> None:
    # Classes rank every account of the portfolio: a reader of some accounts
    # classifies its own accounts instead.
    scoped = engine.analysis_tables("retention", accounts=["A", "B"])
    assert MONTH_CLASSES not in scoped
    assert YEAR_CLASSES not in scoped
    assert RETENTION_VIEWS not in scoped
    assert RETENTION_TTM not in scoped
    whole = engine.analysis_tables("retention")
    assert {MONTH_CLASSES, YEAR_CLASSES, RETENTION_VIEWS, RETENTION_TTM} <= set(whole)
    assert "_mrr_movements" in scoped


def test_results_read_from_the_stored_classes(engine: Any) -> None:
    retention = engine.run("retention")
    by_class = {r["abc_class"]: r for r in retention.tables["by_class"]}
    # Classes at the start (November): A and B are A (800 → 800: A +100, B −100),
    # C and D are B (170 → 150), F is C (30, churned); E is new without a class.
    a = by_class["A"]
    assert (a["start"], a["expansion"], a["contraction"], a["end"]) == (
        Decimal("800.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("800.00"),
    )
    assert (by_class["B"]["start"], by_class["B"]["end"]) == (
        Decimal("170.00"),
        Decimal("150.00"),
    )
    assert by_class["C"]["churn"] == Decimal("30.00")
    assert by_class["(none)"]["new"] == Decimal("50.00")
    by_owner = {r["owner"]: r for r in retention.tables["by_owner"]}
    # ann: A, B, C (920 → 900); bob: D flat, E new 50, F churned 30 (80 → 100).
    assert (by_owner["ann"]["start"], by_owner["ann"]["end"]) == (
        Decimal("920.00"),
        Decimal("900.00"),
    )
    assert (by_owner["bob"]["new"], by_owner["bob"]["churn"]) == (
        Decimal("50.00"),
        Decimal("30.00"),
    )
    plans = {r["plan"]: r for r in retention.tables["by_plan"]}
    assert plans["premium"]["new"] == Decimal("100.00")
    # Twelve months: A 100 in 2023-12 → 600 (+500); B, C, D, E new (400).
    (ttm,) = retention.tables["ttm"]
    assert (ttm["start"], ttm["expansion"], ttm["new"], ttm["end"]) == (
        Decimal("100.00"),
        Decimal("500.00"),
        Decimal("400.00"),
        Decimal("1000.00"),
    )
    assert ttm["nrr"] == pytest.approx(6.0)
    slipping = engine.run("slipping")
    # B down 33 %, F gone (100 %), D with an open risk (change 0); A's risk too.
    assert [r["account_id"] for r in slipping.rows] == ["B", "F", "D", "A"]
    upsell = engine.run("upsell")
    # A accounts of 2024 (C, B) active in December without premium, by MRR; A is
    # B in 2024 and has premium anyway.
    assert [(r["account_id"], r["mrr"]) for r in upsell.rows] == [
        ("B", Decimal("200.00")),
        ("C", Decimal("100.00")),
    ]
    queue = engine.run("at_risk", {"as_of": "2024-12-31"})
    # A is class B in 2024 (MRR 600), D is not ranked in 2024 (no class).
    assert [(r["account_id"], r["abc_class"]) for r in queue.rows] == [
        ("A", "B"),
        ("D", None),
    ]


_ANALYSES: tuple[tuple[str, dict[str, object]], ...] = (
    ("retention", {}),
    ("retention", {"period_to": "2024-11"}),
    ("retention", {"metric": "revenue"}),
    ("slipping", {}),
    ("slipping", {"period": "2024-11"}),
    ("slipping", {"cutoffs": [0.5, 0.9]}),
    ("slipping", {"threshold": 0.5}),
    ("upsell", {}),
    ("upsell", {"cutoffs": [0.5, 0.9]}),
    ("upsell", {"as_of": "2024-11-30"}),
    ("upsell", {"fiscal_year_start": 7}),
    ("at_risk", {"as_of": "2024-12-31"}),
    ("at_risk", {"as_of": "2024-12-31", "cutoffs": [0.6, 0.7]}),
)


def _raw_run(engine: Any, name: str, params: dict[str, object], ids: set[str]) -> Any:
    """The analysis on the canonical tables only (as on a raw backend)."""
    from kam.analysis.registry import run
    from kam.engine.scope import restrict
    from kam.model import SHEETS

    tables = {n: t for n, t in engine.tables().items() if n in SHEETS}
    tables = restrict(tables, ids)
    return run(
        name,
        {SHEETS[n].table: t for n, t in tables.items()},
        params,
        defaults=engine.defaults(),
    )


@pytest.mark.parametrize("accounts", [None, {"A", "B", "E"}, {"C", "D", "F"}])
def test_stored_classes_give_the_results_of_the_canonical_tables(
    engine: Any, accounts: set[str] | None
) -> None:
    engine.analysis_tables("retention")  # the stored tables are built
    ids = accounts if accounts is not None else set(IDS)
    for name, params in _ANALYSES:
        try:
            want = _raw_run(engine, name, dict(params), ids).to_dict()
        except InputError as exc:  # e.g. a fiscal year that cuts the Revenue rows
            with pytest.raises(InputError, match=re.escape(str(exc))):
                engine.run(name, params, accounts=accounts)
            continue
        got = engine.run(name, params, accounts=accounts).to_dict()
        assert got == want, (name, params, accounts)
