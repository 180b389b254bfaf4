"""The engine's pre-aggregate of the Scores sheet, read by the scoring matrix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kam.engine.core import open_engine

GROWTH = [("g1", 0.15), ("g2", 0.35), ("g3", 0.20), ("g4", 0.30)]


def _ledger(folder: Path) -> Path:
    pq.write_table(
        pa.table(
            {
                "criterion_id": [c for c, _ in GROWTH],
                "section": ["growth"] * 4,
                "name": [f"criterion {c}" for c, _ in GROWTH],
                "weight": pa.array([w for _, w in GROWTH], pa.float64()),
            }
        ),
        folder / "Criteria.parquet",
    )
    # A: one rater, 8 3 2 1 → 0.15·8 + 0.35·3 + 0.20·2 + 0.30·1 = 2.95.
    # B: raters ann and bob; means 4 6 8 3 → 0.6 + 2.1 + 1.6 + 0.9 = 5.20, and
    # g3's raters (6 and 10) are 4 apart: one disagreement.
    rows = [("A", c, x, "ann") for (c, _), x in zip(GROWTH, (8, 3, 2, 1), strict=True)]
    rows += [("B", c, x, "ann") for (c, _), x in zip(GROWTH, (4, 6, 6, 3), strict=True)]
    rows += [
        ("B", c, x, "bob") for (c, _), x in zip(GROWTH, (4, 6, 10, 3), strict=True)
    ]
    pq.write_table(
        pa.table(
            {
                "account_id": [r[0] for r in rows],
                "criterion_id": [r[1] for r in rows],
                "score": pa.array([float(r[2]) for r in rows], pa.float64()),
                "rater": [r[3] for r in rows],
            }
        ),
        folder / "Scores.parquet",
    )
    return folder


def test_engine_derives_the_scores_per_pair_and_scores_from_them(
    tmp_path: Path,
) -> None:
    engine = open_engine(f"parquet:{_ledger(tmp_path)}")
    try:
        pairs = engine.to_pyarrow(engine.tables()["_scores_by_criterion"])
        got = {
            (r["account_id"], r["criterion_id"]): (r["x"], r["low"], r["high"])
            for r in pairs.to_pylist()
        }
        assert len(got) == 8
        assert got[("B", "g3")] == (8.0, 6.0, 10.0)
        assert got[("A", "g1")] == (8.0, 8.0, 8.0)
        wide = engine.to_pyarrow(engine.tables()["_scores_by_account"]).to_pylist()
        by_id = {r["account_id"]: r for r in wide}
        assert len(by_id) == 2
        assert (by_id["B"]["x__g3"], by_id["B"]["spread__g3"]) == (8.0, 4.0)
        assert (by_id["B"]["rows__g3"], by_id["B"]["dup__g3"]) == (2, 0)
        assert (by_id["A"]["x__g4"], by_id["A"]["unknown"]) == (1.0, 0)
        result = engine.run("scoring", {"stability": False})
    finally:
        engine.close()
    rows = {r["account_id"]: r for r in result.rows}
    assert rows["A"]["score"] == Decimal("2.95")
    assert rows["B"]["score"] == Decimal("5.20")
    assert [r["account_id"] for r in result.rows] == ["B", "A"]
    assert rows["B"]["disagreements"] == 1
    assert rows["A"]["disagreements"] == 0
    assert result.tables["disagreements"] == [
        {
            "account_id": "B",
            "criterion_id": "g3",
            "low": Decimal("6.00"),
            "high": Decimal("10.00"),
            "raters": 2,
            "spread": Decimal("4.00"),
        }
    ]
