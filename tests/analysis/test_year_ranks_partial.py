"""An ABC over whole calendar years other than the stored pooled range reads the
stored ranks of its years and ranks only its pooled sums: the result is the one
computed from the rows, and the one worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kam.analysis.preagg import metric_values
from kam.analysis.year_ranks import stored_ranks, stored_years
from kam.engine.core import open_engine
from tests.analysis.golden import preaggregated_ledger

#: Revenue of 2022–2025 (the stored pooled range: 2023–2025). Over 2024–2025:
#: 2024: P 500, Q 300, R 150, S 50 → before 0 .5 .8 .95 → A A B C.
#: 2025: Q 600, P 200, S 150, R 50 → before 0 .6 .8 .95 → A A B C.
#: Pooled: Q 900, P 700, R 200, S 200 (R before S by id) → of 2000, before
#: 0 .45 .8 .9 → A A B B (S ties R: R's class).
REVENUE = [
    ("P", "2022-05", "p1", 10),
    ("P", "2023-05", "p1", 400),
    ("Q", "2023-05", "p1", 100),
    ("P", "2024-01", "p1", 300),
    ("P", "2024-Q3", "p2", 200),
    ("Q", "2024", "p1", 300),
    ("R", "2024-02", "p1", 150),
    ("S", "2024-12", "p1", 50),
    ("Q", "2025-06", "p1", 600),
    ("P", "2025-01", "p1", 200),
    ("S", "2025-03", "p1", 150),
    ("R", "2025-12", "p1", 50),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("partial") / "ledger"
    preaggregated_ledger(folder, "revenue", "Revenue", REVENUE)
    e = open_engine(f"parquet:{folder}")
    yield e
    e.close()


PARAMS: dict[str, object] = {"period_from": "2024-01", "period_to": "2025-12"}


def test_the_years_are_stored_but_not_their_pooled_rows(engine: Any) -> None:
    values = metric_values(engine.analysis_tables("abc"), "revenue")
    assert stored_ranks(values, ["2023", "2024", "2025"], ["2023", "2024", "2025"])
    assert stored_ranks(values, ["2024", "2025"], ["2024", "2025"]) is None
    assert stored_years(values, ["2024", "2025"]) is not None


@pytest.mark.parametrize(
    "params",
    [
        PARAMS,
        {**PARAMS, "boundary": "strict"},
        {**PARAMS, "basis": "count"},
        {"period_from": "2022-01", "period_to": "2023-12"},
        {"period_from": "2022-01", "period_to": "2025-12"},
    ],
)
def test_the_same_as_computed_from_the_rows(
    engine: Any, params: dict[str, object]
) -> None:
    stored = engine.run("abc", params).to_dict()
    computed = engine.run("abc", params, accounts=list("PQRS")).to_dict()
    assert stored == computed


def test_classes_and_moves_by_hand(engine: Any) -> None:
    result = engine.run("abc", PARAMS)
    rows = list(result.rows)
    got = {(r["period"], r["account_id"]): r["class"] for r in rows}
    assert got == {
        **{("2024", a): c for a, c in zip("PQRS", "AABC", strict=True)},
        **{("2025", a): c for a, c in zip("QPSR", "AABC", strict=True)},
        **{("pooled", a): c for a, c in zip("QPRS", "AABB", strict=True)},
    }
    pooled = [r for r in rows if r["period"] == "pooled"]
    assert [r["account_id"] for r in pooled] == ["Q", "P", "R", "S"]
    assert [r["value"] for r in pooled] == [
        Decimal("900.00"), Decimal("700.00"), Decimal("200.00"), Decimal("200.00")
    ]  # fmt: skip
    assert [r["rank"] for r in pooled] == [1, 2, 3, 4]
    # The first period has no class before; 2025's comes from 2024.
    assert {r["previous_class"] for r in rows if r["period"] == "2024"} == {None}
    before = {
        r["account_id"]: r["previous_class"] for r in rows if r["period"] == "2025"
    }
    assert before == {"P": "A", "Q": "A", "R": "B", "S": "C"}
    # R fell from B to C, S rose from C to B.
    ups = [
        (r["account_id"], r["from_class"], r["to_class"])
        for r in result.tables["upgrades"]
    ]
    downs = [
        (r["account_id"], r["from_class"], r["to_class"])
        for r in result.tables["downgrades"]
    ]
    assert ups == [("S", "C", "B")]
    assert downs == [("R", "B", "C")]
    assert result.summary["total"] == "2000.00"
