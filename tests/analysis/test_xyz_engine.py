"""XYZ through the engine: its monthly sums hold one row per account and month, so
they are not summed again; the classes and CVs are those worked out by hand and those
of a reader that sums its own rows."""

from __future__ import annotations

import math
from typing import Any

import pytest

from kam.engine.core import open_engine
from tests.analysis.golden import preaggregated_ledger

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]

#: 2024 by month. A: 100 every month (two products of 60 and 40): CV 0, X.
#: B: 100 in six months, nothing in the others: μ 50, σ 50, CV 1.0 exactly, Z.
#: C: 150 in six months, 50 in six: μ 100, σ 50, CV 0.5 exactly, Y.
#: D: 1200 in one month: μ 100, σ √110000, CV 3.3166…, Z.
REVENUE = [
    *(("A", m, "p1", 60) for m in MONTHS),
    *(("A", m, "p2", 40) for m in MONTHS),
    *(("B", m, "p1", 100) for m in MONTHS[:6]),
    *((("C", m, "p1", 150 if i % 2 else 50) for i, m in enumerate(MONTHS))),
    ("D", "2024-07", "p1", 1200),
]
EXPECTED = {
    "A": (0.0, "X"),
    "B": (1.0, "Z"),
    "C": (0.5, "Y"),
    "D": (math.sqrt(110000) / 100, "Z"),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("xyz_engine") / "ledger"
    preaggregated_ledger(folder, "revenue", "Revenue", REVENUE)
    e = open_engine(f"parquet:{folder}")
    yield e
    e.close()


PARAMS = {"xyz": True, "period_from": "2024-01", "period_to": "2024-12"}


def test_xyz_by_hand_from_the_engine_sums(engine: Any) -> None:
    result = engine.run("abc", PARAMS)
    pooled = {r["account_id"]: r for r in result.rows if r["period"] == "pooled"}
    for account, (cv, letter) in EXPECTED.items():
        assert pooled[account]["cv"] == pytest.approx(cv, abs=1e-12)
        assert pooled[account]["xyz"] == letter
    assert result.summary["xyz"] == {"X": 1, "Y": 1, "Z": 2}


def test_xyz_the_same_as_summing_the_rows_again(engine: Any) -> None:
    """A reader restricted to every account sums its own rows per month."""
    mine = engine.run("abc", PARAMS).to_dict()
    again = engine.run("abc", PARAMS, accounts=list("ABCD")).to_dict()
    assert mine == again
