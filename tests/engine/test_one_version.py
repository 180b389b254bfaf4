"""Inside one_data_version, an engine asks its source for the data version once."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.engine import Engine, open_engine
from kam.engine.core import one_data_version


def _write(folder: Path, amount: str) -> None:
    pq.write_table(
        pa.table({"account_id": ["A"], "name": ["Account A"]}),
        folder / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": ["A"],
                "period": ["2024"],
                "amount": pa.array([Decimal(amount)], pa.decimal128(18, 2)),
            }
        ),
        folder / "Revenue.parquet",
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    _write(tmp_path, "100")
    return open_engine(f"parquet:{tmp_path}")


def _total(engine: Engine) -> str:
    result = engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
    return str(result.summary["total"])


def test_one_block_reads_the_version_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.tables()  # loaded (loading reads the version too)
    calls: list[int] = []
    read = engine.source.current_version

    def counted() -> int:
        calls.append(1)
        return read()

    monkeypatch.setattr(engine.source, "current_version", counted)
    try:
        with one_data_version():
            versions = {engine.data_version for _ in range(5)}
            engine.tables()
        assert len(calls) == 1
        assert len(versions) == 1
        versions |= {engine.data_version, engine.data_version}
        assert len(calls) == 3  # outside a block: once per use
    finally:
        engine.close()


def test_a_block_sees_one_version_and_the_next_sees_the_new_data(
    engine: Engine, tmp_path: Path
) -> None:
    try:
        with one_data_version():
            assert _total(engine) == "100.00"
            _write(tmp_path, "250")
            stamp = engine.source.current_version() + 10**9
            for name in ("Accounts.parquet", "Revenue.parquet"):
                os.utime(tmp_path / name, ns=(stamp, stamp))
            # Same block: the version read first still holds.
            assert _total(engine) == "100.00"
        # A new block (the next request) reads the changed files.
        with one_data_version():
            assert _total(engine) == "250.00"
    finally:
        engine.close()
