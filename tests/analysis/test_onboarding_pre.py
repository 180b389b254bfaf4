"""Onboarding from the engine's latest stage per account (``_onboarding_latest``): the
table by hand, read only on or after the last stage entered, and the same result as
from the Onboarding rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import ibis
import pytest

from kam.analysis.registry import run
from kam.engine import open_engine
from kam.engine.core import derive
from tests.analysis.golden import arrow_table, preaggregated_ledger

D = date
ROWS: list[tuple[object, ...]] = [
    ("X", "kickoff", D(2024, 1, 1), D(2024, 6, 1), "M1", None),
    ("X", "setup", D(2024, 1, 15), D(2024, 7, 1), "M2", None),
    ("X", "first_value", D(2024, 5, 1), None, "M3", None),
    # Y: two stages entered the same day, the later stage counts; completed 1 March.
    ("Y", "kickoff", D(2024, 2, 1), D(2024, 2, 20), "M1", None),
    ("Y", "setup", D(2024, 2, 1), D(2024, 2, 10), "M2", D(2024, 3, 1)),
    ("Z", "kickoff", None, D(2024, 1, 1), "M1", None),  # no entry date: never counted
]
ACCOUNTS = [("X", "Xeno", "active"), ("Y", "Yak", "active"), ("Z", "Zed", "active")]


def _t(kind: str, rows: Sequence[Sequence[object]]) -> ibis.Table:
    return ibis.memtable(arrow_table(kind, rows))


def _tables(
    rows: Sequence[Sequence[object]], *, pre_from: Sequence[Sequence[object]] = ()
) -> dict[str, ibis.Table]:
    sheet, accounts = _t("onboarding", rows), _t("accounts", ACCOUNTS)
    built = derive(
        {"Onboarding": _t("onboarding", pre_from or rows), "Accounts": accounts}
    )
    return {
        "onboarding": sheet,
        "accounts": accounts,
        "_onboarding_latest": built["_onboarding_latest"],
    }


def test_latest_stage_per_account_by_hand() -> None:
    latest = _tables(ROWS)["_onboarding_latest"].to_pyarrow().to_pylist()
    got = {
        r["account_id"]: (
            r["name"],
            r["stage"],
            r["stage_number"],
            r["stage_entered_on"],
            r["owner"],
            r["target"],
            r["done_on"],
            r["last_entered"],
        )
        for r in latest
    }
    last = D(2024, 5, 1)
    assert got == {
        # X: first_value (1 May); the latest target of its rows is 1 July.
        "X": ("Xeno", "first_value", 3, D(2024, 5, 1), "M3", D(2024, 7, 1), None, last),
        # Y: setup beats kickoff on the same day; target 20 February, done 1 March.
        "Y": (
            "Yak",
            "setup",
            2,
            D(2024, 2, 1),
            "M2",
            D(2024, 2, 20),
            D(2024, 3, 1),
            last,
        ),
    }


def test_latest_stages_are_read_only_on_or_after_the_last_entry() -> None:
    # Built from other rows (X's owner of first_value is M9), so that a result shows
    # where it came from.
    other = [(*r[:4], "M9", r[5]) if r[1] == "first_value" else r for r in ROWS]
    tables = _tables(ROWS, pre_from=other)

    def x_of(day: str) -> tuple[object, ...]:
        x = next(
            r
            for r in run("onboarding", tables, {"as_of": day}).rows
            if r["account_id"] == "X"
        )
        return x["stage"], x["owner"], x["days_in_stage"], x["overdue"]

    # 1 August: 92 days in first_value (31 + 30 + 31), past the 1 July target.
    assert x_of("2024-08-01") == ("first_value", "M9", 92, True)
    assert x_of("2024-05-01") == ("first_value", "M9", 0, False)
    # 30 April, before the last entry: the rows are read; X in setup since 15 Jan
    # (16 + 29 + 31 + 30 = 106 days), its target then the latest of two: 1 July.
    assert x_of("2024-04-30") == ("setup", "M2", 106, False)


def _many_rows() -> list[tuple[object, ...]]:
    stages = ("kickoff", "setup", "first_value", "adoption", "complete")
    rows: list[tuple[object, ...]] = []
    for i in range(60):
        start = D(2023, 1, 1).toordinal() + (i * 53) % 500
        for j in range(1 + i % 5):
            rows.append(
                (
                    f"K{i:02d}",
                    stages[j],
                    date.fromordinal(start + 20 * j + (i * j) % 9),
                    date.fromordinal(start + 90 + i % 40) if (i + j) % 4 else None,
                    f"M{(i + j) % 3}",
                    date.fromordinal(start + 70) if i % 7 == 0 and j == i % 5 else None,
                )
            )
    return rows


def _reference(
    rows: Sequence[Sequence[object]], day: date
) -> dict[str, tuple[object, ...]]:
    """Per account at ``day`` (stage, days in stage, overdue, days overdue) by the
    rules of analyses.md §4, in plain Python."""
    stages = ("kickoff", "setup", "first_value", "adoption", "complete")
    out: dict[str, tuple[object, ...]] = {}
    for account in sorted({str(r[0]) for r in rows}):
        mine = [
            r
            for r in rows
            if r[0] == account and isinstance(r[2], date) and r[2] <= day
        ]
        if not mine:
            continue
        cur = max(mine, key=lambda r: (r[2], stages.index(str(r[1]))))
        targets = [r[3] for r in mine if isinstance(r[3], date)]
        done = [r[5] for r in mine if isinstance(r[5], date)]
        complete = cur[1] == "complete" or (bool(done) and min(done) <= day)
        late = not complete and bool(targets) and max(targets) < day
        entered = cur[2]
        assert isinstance(entered, date)
        overdue_days = (day - max(targets)).days if late else None
        out[account] = (cur[1], (day - entered).days, late, overdue_days)
    return out


@pytest.mark.parametrize("day", [D(2024, 5, 20), D(2025, 1, 1), D(2023, 9, 1)])
def test_latest_stages_and_rows_give_the_same_result(day: date) -> None:
    rows = _many_rows()
    tables = _tables(rows)
    pre = run("onboarding", tables, {"as_of": day})
    sheets = {k: v for k, v in tables.items() if not k.startswith("_")}
    from_rows = run("onboarding", sheets, {"as_of": day})
    want = _reference(rows, day)
    got = {
        str(r["account_id"]): (
            r["stage"],
            r["days_in_stage"],
            r["overdue"],
            r["days_overdue"],
        )
        for r in pre.rows
    }
    assert got == want
    assert pre.to_dict() == from_rows.to_dict()
    assert pre.rows.arrow.equals(from_rows.rows.arrow)  # type: ignore[union-attr]


def test_an_engine_reads_the_stored_stages_with_the_same_types(tmp_path: Path) -> None:
    rows = _many_rows()
    folder = preaggregated_ledger(tmp_path / "ledger", "onboarding", "Onboarding", rows)
    params = {"as_of": "2025-01-01"}
    engine = open_engine(f"parquet:{folder}")
    try:
        assert "_onboarding_latest" in engine.analysis_tables("onboarding")
        for accounts in (None, ["K03", "K10", "K11"]):
            pre = engine.run("onboarding", params, accounts=accounts)
            scoped = engine.tables(accounts=accounts)
            sheets = {
                "onboarding": scoped["Onboarding"],
                "accounts": scoped["Accounts"],
            }
            from_rows = run("onboarding", sheets, params)
            assert pre.to_dict() == from_rows.to_dict()
            assert pre.rows.arrow.schema == from_rows.rows.arrow.schema  # type: ignore[union-attr]
        assert [r["account_id"] for r in pre.rows] != []
        assert {r["account_id"] for r in pre.rows} == {"K03", "K10", "K11"}
    finally:
        engine.close()
