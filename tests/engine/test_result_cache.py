"""Engine settings: the size of its result cache and the memory of its DuckDB."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from kam.config import Settings, get_settings
from kam.engine import open_engine
from kam.engine.cache import ResultCache


def test_least_recently_used_result_goes_first() -> None:
    cache: ResultCache[str] = ResultCache(size=2)
    computed: list[str] = []

    def compute(key: str) -> str:
        computed.append(key)
        return key.upper()

    for key in ("a", "b", "a", "c", "a", "b"):
        assert cache.get_or_compute(key, lambda k=key: compute(k)) == key.upper()
    # "a" was used again before "c" came, so "b" went out and had to be recomputed.
    assert computed == ["a", "b", "c", "b"]
    assert cache.hits == 2


def _ledger(tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"account_id": ["A", "B"], "name": ["Account A", "Account B"]}),
        tmp_path / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": ["A", "B"],
                "period": ["2024", "2024"],
                "amount": pa.array(
                    [Decimal("300"), Decimal("100")], pa.decimal128(18, 2)
                ),
            }
        ),
        tmp_path / "Revenue.parquet",
    )


def test_engine_cache_size_follows_the_setting(tmp_path: Path) -> None:
    _ledger(tmp_path)
    assert Settings().result_cache_size == 256
    engine = open_engine(f"parquet:{tmp_path}", settings=Settings(result_cache_size=1))
    first = engine.run("pareto", {"threshold": "0.8"})
    assert engine.run("pareto", {"threshold": "0.8"}) is first
    engine.run("pareto", {"threshold": "0.5"})
    # With room for one result, the first run's result was dropped: a new object.
    again = engine.run("pareto", {"threshold": "0.8"})
    assert again is not first
    assert [r["account_id"] for r in again.rows] == ["A", "B"]


def test_duckdb_memory_setting_caps_the_engine_and_spills_outside_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ledger(tmp_path)
    monkeypatch.setenv("KAM_DUCKDB_MEMORY", "300MB")
    get_settings.cache_clear()
    try:
        engine = open_engine(f"parquet:{tmp_path}")
        con = engine.backend
        limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
        spill = con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    finally:
        get_settings.cache_clear()
    # DuckDB reports 300 MB (10^6 bytes) in MiB: 300e6 / 2^20 = 286.1.
    assert limit == "286.1 MiB"
    assert Path(spill) == Path(tempfile.gettempdir()) / "kam-duckdb"


@pytest.mark.parametrize("value", ["lots", "3 parsecs", "-1GB"])
def test_duckdb_memory_setting_refuses_what_duckdb_would_not_read(value: str) -> None:
    with pytest.raises(ValidationError, match="duckdb_memory"):
        Settings(duckdb_memory=value)


def test_duckdb_memory_defaults_to_three_gigabytes_and_blank_lifts_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ledger(tmp_path)

    def limit() -> str:
        get_settings.cache_clear()
        try:
            con = open_engine(f"parquet:{tmp_path}").backend
            return str(
                con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
            )
        finally:
            get_settings.cache_clear()

    monkeypatch.delenv("KAM_DUCKDB_MEMORY", raising=False)
    # 3 GB = 3e9 bytes = 2.79 GiB, which DuckDB shows with one decimal.
    assert limit() == "2.7 GiB"
    monkeypatch.setenv("KAM_DUCKDB_MEMORY", "")
    assert limit() != "2.7 GiB"
