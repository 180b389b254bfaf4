"""Result rows kept as an Arrow table read like a list of dicts."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa
import pytest

from kam.analysis.result import AnalysisResult, Rows

TABLE = pa.table(
    {
        "account_id": ["K01", "K02", "K03"],
        "value": pa.array(
            [Decimal("400.00"), Decimal("0.10"), None], pa.decimal128(18, 2)
        ),
        "share": [0.5, 0.25, 0.25],
    }
)
AS_DICTS = [
    {"account_id": "K01", "value": Decimal("400.00"), "share": 0.5},
    {"account_id": "K02", "value": Decimal("0.10"), "share": 0.25},
    {"account_id": "K03", "value": None, "share": 0.25},
]


def test_rows_read_as_the_list_of_dicts_they_hold() -> None:
    rows = Rows(TABLE)
    assert len(rows) == 3
    assert rows == AS_DICTS
    assert AS_DICTS == rows  # noqa: SIM300 (the list on the left is the point)
    assert list(rows) == AS_DICTS
    assert rows[0] == AS_DICTS[0]
    assert rows[-1] == AS_DICTS[2]
    assert rows[1:] == AS_DICTS[1:]
    assert rows[:0] == []
    assert rows[::2] == [AS_DICTS[0], AS_DICTS[2]]
    assert rows != AS_DICTS[:2]


def test_money_comes_out_as_exact_decimals() -> None:
    value = Rows(TABLE)[1]["value"]
    assert isinstance(value, Decimal)
    assert value == Decimal("0.10")


def test_an_index_past_the_end_is_an_index_error() -> None:
    with pytest.raises(IndexError):
        Rows(TABLE)[3]


def test_convert_runs_only_for_the_rows_read() -> None:
    seen: list[str] = []

    def convert(row: dict[str, object]) -> dict[str, object]:
        seen.append(str(row["account_id"]))
        return {"id": row["account_id"], "big": row["share"] == 0.5}

    rows = Rows(TABLE, convert)
    assert rows[1] == {"id": "K02", "big": False}
    assert seen == ["K02"]
    assert rows[:1] == [{"id": "K01", "big": True}]
    assert seen == ["K02", "K01"]
    assert [r["id"] for r in rows] == ["K01", "K02", "K03"]


def test_empty_rows_are_false() -> None:
    assert not Rows(TABLE.slice(0, 0))
    assert Rows(TABLE)


def test_a_result_with_rows_turns_into_json_with_money_as_text() -> None:
    result = AnalysisResult("pareto", {}, {}, Rows(TABLE), {"extra": Rows(TABLE)})
    data = json.loads(result.to_json())
    assert data["rows"][0] == {"account_id": "K01", "value": "400.00", "share": 0.5}
    assert data["tables"]["extra"][2]["value"] is None
