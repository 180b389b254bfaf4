"""Derived tables kept beside a Parquet ledger, and what the engine learns of them."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.engine import open_engine
from kam.engine.core import derive
from kam.engine.sources import write_derived
from kam.errors import InputError

MONEY = pa.decimal128(18, 2)


def _ledger(folder: Path, revenue: list[tuple[str, str, str]]) -> Path:
    folder.mkdir()
    ids = sorted({a for a, _, _ in revenue})
    pq.write_table(
        pa.table({"account_id": ids, "name": [f"Account {a}" for a in ids]}),
        folder / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": [a for a, _, _ in revenue],
                "period": [p for _, p, _ in revenue],
                "amount": pa.array([Decimal(v) for _, _, v in revenue], MONEY),
            }
        ),
        folder / "Revenue.parquet",
    )
    return folder


def _pareto_total(folder: Path) -> str:
    engine = open_engine(f"parquet:{folder}")
    try:
        result = engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
        return str(result.summary["total"])
    finally:
        engine.close()


def _write_values(path: Path, rows: list[tuple[str, str, str]]) -> None:
    pq.write_table(
        pa.table(
            {
                "account_id": [a for a, _, _ in rows],
                "period": [p for _, p, _ in rows],
                "value": pa.array([Decimal(v) for _, _, v in rows], MONEY),
            }
        ),
        path,
    )


def test_write_derived_sums_revenue_per_account_and_period(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("A", "2024", "1.10"), ("A", "2024", "2.20"), ("B", "2024", "5")],
    )
    written = write_derived(folder, derive)
    assert [p.name for p in written] == ["_revenue_by_period.parquet"]
    sums = pq.read_table(written[0]).sort_by("account_id").to_pylist()
    assert [(r["account_id"], r["value"]) for r in sums] == [
        ("A", Decimal("3.30")),
        ("B", Decimal("5.00")),
    ]
    assert _pareto_total(folder) == "8.30"


def test_a_newer_derived_file_is_read_instead_of_the_sheet(tmp_path: Path) -> None:
    # The derived file says 100 + 200, the sheet 1 + 2: the total shows which was read.
    folder = _ledger(tmp_path / "l", [("A", "2024", "1"), ("B", "2024", "2")])
    _write_values(
        folder / "_revenue_by_period.parquet",
        [("A", "2024", "100"), ("B", "2024", "200")],
    )
    assert _pareto_total(folder) == "300.00"


def test_a_derived_file_older_than_a_sheet_is_ignored(tmp_path: Path) -> None:
    folder = _ledger(tmp_path / "l", [("A", "2024", "1"), ("B", "2024", "2")])
    derived = folder / "_revenue_by_period.parquet"
    _write_values(derived, [("A", "2024", "100"), ("B", "2024", "200")])
    sheet_time = (folder / "Revenue.parquet").stat().st_mtime_ns
    os.utime(derived, ns=(sheet_time - 10**9, sheet_time - 10**9))
    assert _pareto_total(folder) == "3.00"


def test_negative_revenue_in_the_range_is_still_rejected(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("A", "2024", "5"), ("B", "2024", "-2.50"), ("B", "2023", "-1")],
    )
    with pytest.raises(InputError, match=r"account B in 2024: -2\.50"):
        _pareto_total(folder)


def test_negative_revenue_outside_the_range_does_not_matter(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l", [("A", "2024", "5"), ("B", "2024", "3"), ("B", "2023", "-1")]
    )
    assert _pareto_total(folder) == "8.00"
