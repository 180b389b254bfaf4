"""The implementation timeline: CPM dates, floats, progress and slip (analyses.md §9).

Reads the Tasks sheet of one plan (an account's, or the programme's when
``account`` is blank), schedules it with :func:`kam.analysis.critical_path.
critical_path` on a working-day :class:`~kam.analysis.workdays.Calendar`, and
compares the plan with the reported progress at the as-of date and with the
baseline finishes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import ibis.expr.types as ir

from kam.analysis.critical_path import (
    Link,
    Scheduled,
    Task,
    critical_path,
    earliest_start,
    task_order,
)
from kam.analysis.critical_path import parse_predecessors as parse_links
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import PLAN_ACCOUNT, Analysis, Parameter
from kam.analysis.workdays import Calendar, parse_holidays
from kam.errors import MissingDataError, Problem, WorkbookError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "implementation_timeline"]

#: The columns of a timeline row, with their meaning.
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("task_id", "the task"),
    ("name", "task name"),
    ("phase", "phase (Gantt bars are grouped by it)"),
    ("owner", "owner (a Team.member_id)"),
    ("duration_days", "working days (0 = milestone)"),
    ("milestone", "true for a task of duration 0"),
    ("early_start", "earliest start date"),
    ("early_finish", "earliest finish date (last working day of the task)"),
    ("late_start", "latest start date that keeps the project finish"),
    ("late_finish", "latest finish date that keeps the project finish"),
    ("total_float", "working days the task can slip without moving the finish"),
    ("free_float", "working days the task can slip without moving a successor"),
    ("critical", "true when total float ≤ 0 (on the critical path)"),
    ("planned_percent", "percent of the task the plan has done by the as-of date"),
    ("actual_percent", "reported percent complete (Tasks.percent_complete)"),
    ("progress_gap", "actual − planned percent (negative = behind)"),
    ("forecast_finish", "finish date given the progress at the as-of date"),
    ("baseline_finish", "baseline finish (Tasks.baseline_finish)"),
    ("slip_days", "working days from baseline to forecast finish (+ = late)"),
)


def _rows(expr: ir.Table) -> list[dict[str, object]]:
    data = expr.to_pyarrow()
    names = data.column_names
    columns = [data.column(c).to_pylist() for c in names]
    return [
        dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)
    ]


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float | str) else 0


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _plan_tasks(tables: Mapping[str, ir.Table], account: str | None) -> ir.Table:
    if "tasks" not in tables:
        raise MissingDataError("timeline needs the Tasks sheet")
    t = tables["tasks"]
    keep = t.account_id.isnull() if account is None else t.account_id == account
    return t.filter(keep)


def _network(
    rows: list[dict[str, object]], calendar: Calendar, base: date
) -> list[Task]:
    ids = {str(r["task_id"]) for r in rows}
    problems: list[Problem] = []
    tasks: list[Task] = []
    for r in rows:
        text = r.get("predecessors")
        try:
            links = parse_links(str(text), ids) if text else []
        except ValueError as exc:
            problems.append(
                Problem(
                    f"task {r['task_id']}: {exc}",
                    "Tasks",
                    column="predecessors",
                    value=str(text),
                    expected="task ids with an optional type and lag, e.g. T1; T2 SS-1",
                )
            )
            continue
        start = r.get("start")
        tasks.append(
            Task(
                str(r["task_id"]),
                _int(r["duration_days"]),
                tuple(Link(p, kind, lag) for p, kind, lag in links),
                calendar.index_of(base, start) if isinstance(start, date) else None,
            )
        )
    if problems:
        raise WorkbookError("Tasks: malformed predecessors", problems)
    return tasks


def _finish_index(s: Scheduled | tuple[int, int]) -> int:
    first, end = (s.early_start, s.early_finish) if isinstance(s, Scheduled) else s
    # A milestone is dated on the day it happens; a task on its last working day.
    return first if end == first else end - 1


def _forecast(
    tasks: list[Task], done: dict[str, float | None], today: int
) -> dict[str, tuple[int, int]]:
    """Start and finish indexes when remaining work resumes on ``today``.

    Finished tasks keep their planned dates; tasks not started cannot start before
    ``today``; a started task finishes its remaining share of days from ``today``.
    """
    by_id = {t.task_id: t for t in tasks}
    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    for tid in task_order(tasks):
        task = by_id[tid]
        start = earliest_start(task, es, ef)
        percent = done.get(tid) or 0.0
        if percent >= 100:
            es[tid], ef[tid] = start, start + task.duration
        elif percent <= 0:
            es[tid] = max(start, today)
            ef[tid] = es[tid] + task.duration
        else:
            remaining = math.ceil(task.duration * (1 - percent / 100))
            es[tid], ef[tid] = start, max(start, today) + remaining
    return {tid: (es[tid], ef[tid]) for tid in es}


def _planned_percent(s: Scheduled, today: int) -> float:
    """Share of the task's working days before ``today`` (the day after as-of)."""
    if s.early_finish == s.early_start:
        return 100.0 if s.early_start < today else 0.0
    share = (today - s.early_start) / (s.early_finish - s.early_start)
    return 100.0 * min(1.0, max(0.0, share))


def implementation_timeline(
    tables: Mapping[str, ir.Table],
    *,
    account: str | None = None,
    as_of: date | None = None,
    holidays: str | None = None,
) -> AnalysisResult:
    """Schedule one plan with the critical path method and report its progress.

    ``tables["tasks"]``: the Tasks sheet. ``account``: the plan (blank = the
    programme). ``as_of``: the status date (default: today). ``holidays``: dates
    that are not working days (``2026-12-25, 2026-12-28``), on top of weekends.
    Day 0 is the earliest fixed ``start`` of the plan (else the as-of date).

    Rows (:data:`OUTPUT_COLUMNS`) are ordered by early start, then task id; the
    ``links`` table lists each link with its type and lag. Raises WorkbookError
    naming unknown predecessors and the tasks of each cycle.
    """
    calendar = Calendar(parse_holidays(holidays))
    status = as_of or date.today()
    rows = _rows(_plan_tasks(tables, account))
    plan_name = f"account {account}" if account else "the programme"
    if not rows:
        raise MissingDataError(f"the Tasks sheet has no tasks for {plan_name}")
    starts = [d for r in rows if isinstance(d := r.get("start"), date)]
    base = calendar.roll_forward(min(starts) if starts else status)
    tasks = _network(rows, calendar, base)
    plan = critical_path(tasks)
    today = calendar.index_of(base, status)
    # The as-of date's own work counts as done: progress is measured at its end.
    today += 1 if calendar.is_working(status) else 0
    done = {str(r["task_id"]): _num(r.get("percent_complete")) for r in rows}
    forecast = _forecast(tasks, done, today)
    info = {str(r["task_id"]): r for r in rows}
    ordered = sorted(plan.values(), key=lambda s: (s.early_start, s.task_id))
    out: list[dict[str, object]] = []
    for s in ordered:
        r = info[s.task_id]
        d = s.early_finish - s.early_start
        late = Scheduled(s.task_id, s.late_start, s.late_finish, 0, 0, 0, 0)
        planned = _planned_percent(s, today)
        actual = done[s.task_id]
        finish_at = _finish_index(forecast[s.task_id])
        baseline = r.get("baseline_finish")
        out.append(
            {
                "task_id": s.task_id,
                "name": r.get("name"),
                "phase": r.get("phase"),
                "owner": r.get("owner"),
                "duration_days": d,
                "milestone": d == 0,
                "early_start": calendar.date_at(base, s.early_start),
                "early_finish": calendar.date_at(base, _finish_index(s)),
                "late_start": calendar.date_at(base, s.late_start),
                "late_finish": calendar.date_at(base, _finish_index(late)),
                "total_float": s.total_float,
                "free_float": s.free_float,
                "critical": s.critical,
                "planned_percent": planned,
                "actual_percent": actual,
                "progress_gap": None if actual is None else actual - planned,
                "forecast_finish": calendar.date_at(base, finish_at),
                "baseline_finish": baseline,
                "slip_days": (
                    finish_at - calendar.index_of(base, baseline)
                    if isinstance(baseline, date)
                    else None
                ),
            }
        )
    return _result(out, tasks, plan, account, status, holidays, calendar, base)


def _result(
    out: list[dict[str, object]],
    tasks: list[Task],
    plan: dict[str, Scheduled],
    account: str | None,
    status: date,
    holidays: str | None,
    calendar: Calendar,
    base: date,
) -> AnalysisResult:
    finish = max(s.early_finish for s in plan.values())
    weights = [(_int(r["duration_days"]), r) for r in out]
    total_days = sum(w for w, _ in weights)

    # Percent complete of the whole plan weights each task by its duration.
    def weighted(key: str) -> float | None:
        if total_days == 0:
            return None
        return sum(w * (_num(r[key]) or 0.0) for w, r in weights) / total_days

    negative = [r["task_id"] for r in out if _int(r["total_float"]) < 0]
    warnings = []
    if negative:
        warnings.append(
            "negative float: a fixed start cannot be met for "
            + ", ".join(map(str, negative))
        )
    behind = [r["task_id"] for r in out if (_num(r["progress_gap"]) or 0.0) < 0]
    slipped = [r for r in out if _int(r["slip_days"]) > 0]
    summary: dict[str, object] = {
        "project_start": calendar.date_at(base, 0),
        "project_finish": calendar.date_at(base, max(finish - 1, 0)),
        "working_days": finish,
        "critical_path": [r["task_id"] for r in out if r["critical"]],
        "negative_float_tasks": negative,
        "planned_percent": weighted("planned_percent"),
        "actual_percent": weighted("actual_percent"),
        "behind": behind,
        "slipped": [r["task_id"] for r in slipped],
        "max_slip_days": max((_int(r["slip_days"]) for r in slipped), default=0),
        "tasks": len(out),
    }
    links = [
        {
            "predecessor": lk.predecessor,
            "successor": t.task_id,
            "type": lk.type,
            "lag": lk.lag,
            "critical": plan[lk.predecessor].critical and plan[t.task_id].critical,
        }
        for t in sorted(tasks, key=lambda t: t.task_id)
        for lk in t.links
    ]
    return AnalysisResult(
        analysis="timeline",
        parameters={"account": account, "as_of": status, "holidays": holidays},
        summary=summary,
        rows=out,
        tables={"links": links},
        warnings=warnings,
    )


ANALYSIS = Analysis(
    name="timeline",
    title="Implementation timeline",
    description="Critical path on working days: dates, floats, progress and slip.",
    parameters=(
        PLAN_ACCOUNT,
        Parameter(
            "as_of",
            "date",
            None,
            "status date progress is measured at (default: today)",
            setting="as_of",
        ),
        Parameter(
            "holidays",
            "text",
            None,
            "dates that are not working days, besides Saturdays and Sundays "
            "(e.g. 2026-12-25, 2026-12-28)",
        ),
    ),
    needs=("Tasks",),
    output_columns=OUTPUT_COLUMNS,
    run=implementation_timeline,
)
