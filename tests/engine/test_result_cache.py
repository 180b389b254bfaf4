"""The engine keeps analysis results in an LRU whose size is a setting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kam.config import Settings
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


def test_engine_cache_size_follows_the_setting(tmp_path: Path) -> None:
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
    assert Settings().result_cache_size == 256
    engine = open_engine(f"parquet:{tmp_path}", settings=Settings(result_cache_size=1))
    first = engine.run("pareto", {"threshold": "0.8"})
    assert engine.run("pareto", {"threshold": "0.8"}) is first
    engine.run("pareto", {"threshold": "0.5"})
    # With room for one result, the first run's result was dropped: a new object.
    again = engine.run("pareto", {"threshold": "0.8"})
    assert again is not first
    assert [r["account_id"] for r in again.rows] == ["A", "B"]
