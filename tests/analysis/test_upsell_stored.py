"""The premium upsell from the last month's figures the engine stores once per data
version (kam.analysis.upsell.upsell_tables): the table by hand, and the analysis
reading it gives the hand-computed result of the canonical tables."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.analysis.upsell import LAST_MONTH
from kam.engine import open_engine
from tests.analysis.golden import arrow_table

IDS = ("U1", "U2", "U3", "U4", "U5", "U6", "U7")
# December 2024 is the last month: U1 130 with two premium plans (25 + 5), U2 80,
# U3 75 with 15 premium, U4 40 (a zero premium row: not premium), U5 a zero row
# (not active), U6 50 all premium, U7 40. November: U1 100, U6 50 premium.
MRR = [
    ("U1", "2024-11", "BASE", 100),
    ("U6", "2024-11", "PREM", 50),
    ("U1", "2024-12", "BASE", 100),
    ("U1", "2024-12", "PREM", 25),
    ("U1", "2024-12", "PREM2", 5),
    ("U2", "2024-12", "PLUS", 80),
    ("U3", "2024-12", "BASE", 60),
    ("U3", "2024-12", "PREM2", 15),
    ("U4", "2024-12", "BASE", 40),
    ("U4", "2024-12", "PREM", 0),
    ("U5", "2024-12", "BASE", 0),
    ("U6", "2024-12", "PREM", 50),
    ("U7", "2024-12", "PLUS", 40),
]
PRODUCTS = [
    ("BASE", "core", "plan", 1, False),
    ("PLUS", "core", "plan", 2, None),  # blank premium: not premium
    ("PREM", "core", "addon", None, True),
    ("PREM2", "core", "addon", None, True),
]
# Revenue 2024 (total 1000), share before each account: U2 350 (0 → A), U1 250
# (.35 → A), U4 150 (.60 → A), U7 100 (.75 → A), U3 90 (.85 → B), U6 60 (.94 → B).
REVENUE = [
    (a, "2024", "X", v)
    for a, v in [
        ("U2", 350),
        ("U1", 250),
        ("U4", 150),
        ("U7", 100),
        ("U3", 90),
        ("U6", 60),
    ]
]
# as_of in January 2025: the last month up to it is December, the ABC year 2024.
AS_OF = {"as_of": "2025-01-15"}


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    folder = tmp_path / "ledger"
    folder.mkdir()
    accounts = pa.table({"account_id": list(IDS), "name": [f"Name {a}" for a in IDS]})
    pq.write_table(accounts, folder / "Accounts.parquet")
    sheets = {
        "MRR": ("mrr", MRR),
        "Revenue": ("revenue", REVENUE),
        "Products": ("products", PRODUCTS),
    }
    for sheet, (kind, rows) in sheets.items():
        pq.write_table(arrow_table(kind, rows), folder / f"{sheet}.parquet")
    e = open_engine(f"parquet:{folder}")
    e.analysis_tables("retention")  # the stored tables are built
    yield e
    e.close()


def test_the_engine_stores_the_last_months_accounts_with_their_premium_mrr(
    engine: Any,
) -> None:
    tables = engine.analysis_tables("upsell")
    got = sorted(
        tables[LAST_MONTH].to_pyarrow().to_pylist(), key=lambda r: r["account"]
    )
    d = Decimal
    assert [tuple(r.values()) for r in got] == [
        ("U1", "Name U1", d("130.00"), d("30.00")),
        ("U2", "Name U2", d("80.00"), d("0.00")),
        ("U3", "Name U3", d("75.00"), d("15.00")),
        ("U4", "Name U4", d("40.00"), d("0.00")),
        ("U6", "Name U6", d("50.00"), d("50.00")),
        ("U7", "Name U7", d("40.00"), d("0.00")),
    ]
    assert list(got[0]) == ["account", "name", "mrr", "premium_mrr"]


def test_the_stored_month_is_left_out_for_a_restricted_reader(engine: Any) -> None:
    assert LAST_MONTH not in engine.analysis_tables("upsell", accounts={"U1", "U2"})


def test_upsell_from_the_stored_month_gives_the_hand_computed_result(
    engine: Any,
) -> None:
    result = engine.run("upsell", AS_OF)
    s = result.summary
    # Active U1, U2, U3, U4, U6, U7 (MRR 415); premium U1, U3, U6 (30 + 15 + 50).
    assert s["month"] == "2024-12"
    assert (s["active_accounts"], s["premium_accounts"]) == (6, 3)
    assert s["attach_rate"] == pytest.approx(0.5)
    assert (s["premium_mrr"], s["total_mrr"]) == ("95.00", "415.00")
    assert s["premium_plans"] == ["PREM", "PREM2"]
    # A: U2, U1, U4, U7; U1 has premium; U4 and U7 tie at 40 (by id).
    got = [
        (r["rank"], r["account_id"], r["name"], r["abc_class"], str(r["mrr"]))
        for r in result.rows
    ]
    assert got == [
        (1, "U2", "Name U2", "A", "80.00"),
        (2, "U4", "Name U4", "A", "40.00"),
        (3, "U7", "Name U7", "A", "40.00"),
    ]
    assert (s["candidates"], s["candidates_mrr"]) == (3, "160.00")


def test_upsell_of_an_earlier_month_sums_that_month(engine: Any) -> None:
    result = engine.run("upsell", {**AS_OF, "month": "2024-11"})
    s = result.summary
    # November: U1 100, U6 50 premium; U1 is A without premium, U6 is B.
    assert (s["active_accounts"], s["premium_accounts"]) == (2, 1)
    assert (s["premium_mrr"], s["total_mrr"]) == ("50.00", "150.00")
    assert [(r["rank"], r["account_id"], str(r["mrr"])) for r in result.rows] == [
        (1, "U1", "100.00")
    ]


def test_upsell_reads_the_stored_month(engine: Any) -> None:
    """The names and figures come from the stored table when the month is its own:
    a table that says otherwise changes the result."""
    from kam.analysis.registry import run

    tables = engine.analysis_tables("upsell")
    money = pa.decimal128(38, 2)
    # U2 now premium, U7 renamed: candidates U4 and U7 only.
    tables[LAST_MONTH] = ibis.memtable(
        pa.table(
            {
                "account": ["U2", "U4", "U7"],
                "name": ["Name U2", "Name U4", "Other"],
                "mrr": pa.array(
                    [Decimal("80.00"), Decimal("40"), Decimal("40")], money
                ),
                "premium_mrr": pa.array(
                    [Decimal("10.00"), Decimal("0"), Decimal("0")], money
                ),
            }
        )
    )
    result = run("upsell", tables, AS_OF, defaults=engine.defaults())
    assert [(r["account_id"], r["name"]) for r in result.rows] == [
        ("U4", "Name U4"),
        ("U7", "Other"),
    ]
    s = result.summary
    assert (s["active_accounts"], s["premium_accounts"]) == (3, 1)
    assert (s["premium_mrr"], s["total_mrr"]) == ("10.00", "160.00")


def test_upsell_without_candidates_still_gives_the_months_figures(
    engine: Any,
) -> None:
    from kam.analysis.registry import run

    tables = engine.analysis_tables("upsell")
    money = pa.decimal128(38, 2)
    # Every A account (U2, U4) has premium MRR; U3 (B) has none.
    tables[LAST_MONTH] = ibis.memtable(
        pa.table(
            {
                "account": ["U2", "U3", "U4"],
                "name": ["Name U2", "Name U3", "Name U4"],
                "mrr": pa.array([Decimal("80"), Decimal("75"), Decimal("40")], money),
                "premium_mrr": pa.array(
                    [Decimal("5"), Decimal("0"), Decimal("40")], money
                ),
            }
        )
    )
    result = run("upsell", tables, AS_OF, defaults=engine.defaults())
    assert list(result.rows) == []
    s = result.summary
    assert (s["active_accounts"], s["premium_accounts"]) == (3, 2)
    assert (s["premium_mrr"], s["total_mrr"]) == ("45.00", "195.00")
    assert (s["candidates"], s["candidates_mrr"]) == (0, "0.00")


@pytest.mark.parametrize(
    "params",
    [
        {},
        AS_OF,
        {**AS_OF, "cutoffs": [0.5, 0.9]},
        {**AS_OF, "fiscal_year_start": 7},
        {**AS_OF, "month": "2024-12"},
    ],
)
def test_stored_month_gives_the_result_of_the_canonical_tables(
    engine: Any, params: dict[str, object]
) -> None:
    from kam.analysis.registry import run
    from kam.errors import InputError
    from kam.model import SHEETS

    canonical = {SHEETS[n].table: t for n, t in engine.tables().items() if n in SHEETS}
    try:
        want = run("upsell", canonical, params, defaults=engine.defaults()).to_dict()
    except InputError as exc:  # e.g. a fiscal year that cuts the Revenue rows
        with pytest.raises(InputError, match=re.escape(str(exc))):
            engine.run("upsell", params)
        return
    assert engine.run("upsell", params).to_dict() == want
