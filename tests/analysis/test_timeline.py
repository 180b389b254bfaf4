"""Timeline: the critical path method on a textbook network, calendars, progress,
slip, cycles and unknown predecessors.

The network (durations in working days; day 0 = Monday 2026-01-05):

    A  3  fixed start day 0
    B  4  A FS
    C  2  A SS+1
    D  5  B FS-1         (a lead: one day of overlap)
    E  3  C FF+2
    F  2  E SF+4
    G  0  D; F           (milestone)
    H  2  G, fixed start day 9 (Fri 2026-01-16)
    I  1  C

Forward pass (finish exclusive): A 0–3; B 3–7; C 1–3; D max(7 − 1) = 6–11;
E finish ≥ 3 + 2 = 5 → 2–5; F finish ≥ 2 + 4 = 6 → 4–6; G max(11, 6) = 11;
H max(11, fixed 9) = 11–13; I 3–4. Project finish 13.

Backward pass: H must start on day 9 → LS 9, LF 11. G LF ≤ LS(H) = 9. D LF 9,
LS 4. F LF 9, LS 7. E LF ≤ LF(F) − 4 + 3 = 8, LS 5. I LF 13, LS 12. C LF ≤
min(LF(E) − 2, LS(I)) = 6, LS 4. B LF ≤ LS(D) + 1 = 5, LS 1. A LF ≤ min(LS(B),
LS(C) − 1 + 3) = 1, LS −2.

Total float = LS − ES: A B D G H −2 (H's fixed start cannot be met: the chain that
drives it is two days late), C E F 3, I 9. Free float: F 5 (G starts on 11, F ends
on 6), I 9 (to the project finish), every other task 0.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from kam.analysis.critical_path import Link, Task, critical_path, parse_predecessors
from kam.analysis.registry import run
from kam.analysis.workdays import Calendar
from kam.errors import WorkbookError
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()

NETWORK = [
    Task("A", 3, (), 0),
    Task("B", 4, (Link("A"),)),
    Task("C", 2, (Link("A", "SS", 1),)),
    Task("D", 5, (Link("B", "FS", -1),)),
    Task("E", 3, (Link("C", "FF", 2),)),
    Task("F", 2, (Link("E", "SF", 4),)),
    Task("G", 0, (Link("D"), Link("F"))),
    Task("H", 2, (Link("G"),), 9),
    Task("I", 1, (Link("C"),)),
]

#: task: (ES, EF, LS, LF, total float, free float)
EXPECTED = {
    "A": (0, 3, -2, 1, -2, 0),
    "B": (3, 7, 1, 5, -2, 0),
    "C": (1, 3, 4, 6, 3, 0),
    "D": (6, 11, 4, 9, -2, 0),
    "E": (2, 5, 5, 8, 3, 0),
    "F": (4, 6, 7, 9, 3, 5),
    "G": (11, 11, 9, 9, -2, 0),
    "H": (11, 13, 9, 11, -2, 0),
    "I": (3, 4, 12, 13, 9, 9),
}

PREDECESSORS = {
    "A": None,
    "B": "A",
    "C": "A SS+1",
    "D": "B FS-1",
    "E": "C FF+2",
    "F": "E SF+4",
    "G": "D; F",
    "H": "G",
    "I": "C",
}
DURATIONS = {"A": 3, "B": 4, "C": 2, "D": 5, "E": 3, "F": 2, "G": 0, "H": 2, "I": 1}
STARTS = {"A": date(2026, 1, 5), "H": date(2026, 1, 16)}


def task_rows(
    percent: dict[str, float] | None = None,
    baseline: dict[str, date] | None = None,
    account: str | None = "K01",
) -> list[tuple[object, ...]]:
    return [
        (
            tid,
            account,
            f"Task {tid}",
            "Build",
            "M1",
            STARTS.get(tid),
            DURATIONS[tid],
            PREDECESSORS[tid],
            (percent or {}).get(tid),
            (baseline or {}).get(tid),
        )
        for tid in DURATIONS
    ]


def timeline(rows: list[tuple[object, ...]], **params: object):  # type: ignore[no-untyped-def]
    tables = {"tasks": make_table(CON, "tasks", rows)}
    return run("timeline", tables, {"account": "K01", **params})


def test_cpm_gives_the_textbook_dates_and_floats_for_every_link_type() -> None:
    plan = critical_path(NETWORK)
    got = {
        t: (
            s.early_start,
            s.early_finish,
            s.late_start,
            s.late_finish,
            s.total_float,
            s.free_float,
        )
        for t, s in plan.items()
    }
    assert got == EXPECTED


def test_a_fixed_start_that_predecessors_push_past_gives_negative_float() -> None:
    plan = critical_path(NETWORK)
    assert sorted(t for t, s in plan.items() if s.critical) == ["A", "B", "D", "G", "H"]
    without_fixed = critical_path(
        [*NETWORK[:7], Task("H", 2, (Link("G"),)), NETWORK[8]]
    )
    assert without_fixed["H"].total_float == 0
    assert without_fixed["A"].total_float == 0


def test_timeline_dates_are_working_days_from_the_first_fixed_start() -> None:
    result = timeline(task_rows(), as_of="2026-01-02")
    rows = {r["task_id"]: r for r in result.rows}
    assert [r["task_id"] for r in result.rows] == list("ACEBIFDGH")
    # A: days 0–2 = Mon 5 – Wed 7; its late start is day −2 = Thu 1 January.
    assert rows["A"]["early_start"] == date(2026, 1, 5)
    assert rows["A"]["early_finish"] == date(2026, 1, 7)
    assert rows["A"]["late_start"] == date(2026, 1, 1)
    # D: days 6–10 = Tue 13 – Mon 19 (over a weekend).
    assert rows["D"]["early_start"] == date(2026, 1, 13)
    assert rows["D"]["early_finish"] == date(2026, 1, 19)
    # The milestone G is dated on day 11 (Tue 20); H ends on day 12 (Wed 21).
    assert rows["G"]["milestone"] is True
    assert rows["G"]["early_finish"] == date(2026, 1, 20)
    assert rows["H"]["early_finish"] == date(2026, 1, 21)
    assert rows["H"]["late_finish"] == date(2026, 1, 19)
    assert rows["H"]["total_float"] == -2
    assert rows["F"]["free_float"] == 5
    assert result.summary["critical_path"] == ["A", "B", "D", "G", "H"]
    assert result.summary["negative_float_tasks"] == ["A", "B", "D", "G", "H"]
    assert result.summary["project_finish"] == date(2026, 1, 21)
    assert result.summary["working_days"] == 13
    assert any("negative float" in w for w in result.warnings)


def test_a_holiday_moves_the_following_tasks_by_one_working_day() -> None:
    result = timeline(task_rows(), as_of="2026-01-02", holidays="2026-01-08")
    rows = {r["task_id"]: r for r in result.rows}
    # Day 3 is now Friday 9 January instead of Thursday 8.
    assert rows["B"]["early_start"] == date(2026, 1, 9)
    assert rows["A"]["early_finish"] == date(2026, 1, 7)


def test_progress_compares_reported_percent_with_the_plan_at_the_as_of_date() -> None:
    # As of Wed 7 January (day 2, counted as done): A is planned 3/3, C 2/2, E 1/3.
    rows = task_rows(
        percent={"A": 100, "C": 50, "E": 0},
        baseline={"C": date(2026, 1, 7), "A": date(2026, 1, 7)},
    )
    result = timeline(rows, as_of="2026-01-07")
    got = {r["task_id"]: r for r in result.rows}
    assert got["A"]["planned_percent"] == 100.0
    assert got["A"]["slip_days"] == 0
    assert got["C"]["planned_percent"] == 100.0
    assert got["C"]["progress_gap"] == -50.0
    assert got["E"]["planned_percent"] == pytest.approx(100 / 3)
    assert got["B"]["planned_percent"] == 0.0
    # C has one of its two days left: it finishes on day 3 (Thu 8), a day late.
    assert got["C"]["forecast_finish"] == date(2026, 1, 8)
    assert got["C"]["slip_days"] == 1
    # E cannot start before day 3 and must end 2 days after C: days 3–5 → Mon 12.
    assert got["E"]["forecast_finish"] == date(2026, 1, 12)
    assert result.summary["behind"] == ["C", "E"]
    assert result.summary["slipped"] == ["C"]


def test_a_cycle_is_an_error_naming_its_tasks_in_order() -> None:
    cyclic = [
        Task("X", 1, (Link("Z"),)),
        Task("Y", 1, (Link("X"),)),
        Task("Z", 1, (Link("Y"),)),
        Task("W", 1),
    ]
    with pytest.raises(WorkbookError) as info:
        critical_path(cyclic)
    assert "X → Y → Z → X" in info.value.problems[0].message
    assert info.value.problems[0].sheet == "Tasks"


def test_an_unknown_predecessor_is_an_error_naming_it() -> None:
    rows = task_rows()
    rows[1] = (*rows[1][:7], "A; Q9", *rows[1][8:])
    with pytest.raises(WorkbookError) as info:
        timeline(rows)
    assert "'Q9' is not a task" in info.value.problems[0].message
    assert "task B" in info.value.problems[0].message


def test_the_programme_plan_is_the_tasks_without_account() -> None:
    rows = task_rows(account=None)
    result = run("timeline", {"tasks": make_table(CON, "tasks", rows)}, {})
    assert len(result.rows) == 9


def test_predecessor_text_parses_types_lags_and_ids_with_spaces() -> None:
    assert parse_predecessors("T1; T2 SS-1, T3 ff+2") == [
        ("T1", "FS", 0),
        ("T2", "SS", -1),
        ("T3", "FF", 2),
    ]
    assert parse_predecessors("Kick off", {"Kick off"}) == [("Kick off", "FS", 0)]
    with pytest.raises(ValueError, match="link type before the lag"):
        parse_predecessors("T1+2")


def test_calendar_counts_working_days_across_weekends_and_back() -> None:
    cal = Calendar()
    monday = date(2026, 1, 5)
    assert cal.date_at(monday, 5) == date(2026, 1, 12)
    assert cal.date_at(monday, -1) == date(2026, 1, 2)
    assert cal.index_of(monday, date(2026, 1, 10)) == 5  # Saturday rolls to Monday
    assert cal.index_of(monday, date(2026, 1, 1)) == -2
