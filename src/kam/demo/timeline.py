"""The implementation timeline: the flagship's cloud migration and the programme.

Planned dates come from a forward pass over working days (Mon–Fri) so that the
baseline finishes and the percent complete at the as-of date are coherent with the
dependencies; two tasks have slipped against their baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kam.demo._common import AS_OF, add_working_days, make_table
from kam.demo.accounts import FLAGSHIP_ID
from kam.model import Table

__all__ = ["tasks_table"]


@dataclass(frozen=True)
class _Task:
    task_id: str
    name: str
    phase: str
    owner: str
    duration: int
    predecessors: str | None = None
    start: date | None = None  # a fixed ("not before") start
    slip: int = 0  # working days the plan lies behind the baseline


# One task per line: id | name | phase | owner | working days | predecessors |
# fixed start | slip in working days ("-" = blank).
_MIGRATION_PLAN = """
MIG01 | Discovery and application assessment           | Discover   | M07 | 30 | -                      | 2026-04-06 | 0
MIG02 | Business case signed off                       | Discover   | M01 | 0  | MIG01                  | -          | 0
MIG03 | Landing zone build                             | Foundation | M07 | 30 | MIG02                  | -          | 0
MIG04 | Security and compliance review                 | Foundation | M07 | 35 | MIG03 SS+5             | -          | 0
MIG05 | Network connectivity to all sites              | Foundation | M07 | 15 | MIG03 SS+10            | -          | 0
MIG06 | Landing zone accepted                          | Foundation | M01 | 0  | MIG03; MIG04 FF; MIG05 | -          | 0
MIG07 | Data migration wave 1: imaging archive         | Migrate    | M07 | 30 | MIG06                  | -          | 0
MIG08 | Data migration wave 2: research data           | Migrate    | M07 | 40 | MIG07 SS+10            | -          | 6
MIG09 | Data migration wave 3: clinical data warehouse | Migrate    | M07 | 45 | MIG08 FS+2             | -          | 0
MIG10 | EHR integration build                          | Integrate  | M07 | 60 | MIG06                  | -          | 0
MIG11 | EHR integration testing                        | Integrate  | M07 | 25 | MIG10 FF+5             | -          | 8
MIG12 | Go-live: hospitals                             | Go-live    | M01 | 0  | MIG07; MIG11           | -          | 0
MIG13 | Hypercare: hospitals                           | Operate    | M10 | 15 | MIG12                  | -          | 0
MIG14 | Go-live: research and clinics                  | Go-live    | M01 | 0  | MIG09; MIG13           | -          | 0
MIG15 | Hypercare and handover to operations           | Operate    | M10 | 15 | MIG14                  | -          | 0
MIG16 | Decommission the legacy data centre            | Operate    | M07 | 20 | MIG15 SS+5             | -          | 0
"""  # noqa: E501

_PROGRAMME_PLAN = """
PRG01 | KAM charter approved                | Set up | M09 | 0  | -            | 2026-01-15 | 0
PRG02 | Key-account scoring round           | Select | M06 | 20 | PRG01        | -          | 0
PRG03 | Account plans for every key account | Plan   | M01 | 40 | PRG02 SS+10  | -          | 0
PRG04 | Quarterly business reviews, Q4      | Review | M06 | 15 | PRG03 FS+150 | -          | 0
"""  # noqa: E501

#: Tasks whose actual progress lags the plan (percentage points behind).
_BEHIND = {"MIG09": 15.0}


def _parse(plan: str) -> tuple[_Task, ...]:
    tasks = []
    for line in plan.strip().splitlines():
        cells = [c.strip() for c in line.split("|")]
        task_id, name, phase, owner, duration, links, start, slip = cells
        tasks.append(
            _Task(
                task_id,
                name,
                phase,
                owner,
                int(duration),
                None if links == "-" else links,
                None if start == "-" else date.fromisoformat(start),
                int(slip),
            )
        )
    return tuple(tasks)


_MIGRATION = _parse(_MIGRATION_PLAN)
_PROGRAMME = _parse(_PROGRAMME_PLAN)

_LINK = re.compile(r"^(?P<id>\S+)(?: (?P<kind>FS|SS|FF|SF)(?P<lag>[+-]\d+)?)?$")


def _working_index(day: date, base: date) -> int:
    """Working days from ``base`` to ``day`` (``day`` a working day)."""
    index = 0
    while add_working_days(base, index) < day:
        index += 1
    return index


def _schedule(
    tasks: tuple[_Task, ...], base: date, *, slips: bool
) -> dict[str, tuple[int, int]]:
    """Earliest (start, finish) per task in working days from ``base``.

    Finish is exclusive: a task of d days starting on day s ends before day s + d.
    With ``slips`` the tasks that slipped start later (the current plan); without,
    the schedule is the baseline.
    """
    planned: dict[str, tuple[int, int]] = {}
    for task in tasks:
        start = _working_index(task.start, base) if task.start else 0
        for link in (task.predecessors or "").split(";"):
            if not link.strip():
                continue
            match = _LINK.match(link.strip())
            assert match is not None, link
            first, finish = planned[match["id"]]
            kind, lag = match["kind"] or "FS", int(match["lag"] or 0)
            earliest = {
                "FS": finish + lag,
                "SS": first + lag,
                "FF": finish + lag - task.duration,
                "SF": first + lag - task.duration,
            }[kind]
            start = max(start, earliest)
        start += task.slip if slips else 0
        planned[task.task_id] = (start, start + task.duration)
    return planned


def _rows(tasks: tuple[_Task, ...], account_id: str | None) -> list[dict[str, object]]:
    base = min(t.start for t in tasks if t.start is not None)
    planned = _schedule(tasks, base, slips=True)
    baseline = _schedule(tasks, base, slips=False)
    # Work done by the as-of date counts every working day up to and including it.
    today = _working_index(add_working_days(AS_OF, 1), base)
    rows: list[dict[str, object]] = []
    for task in tasks:
        first, end = planned[task.task_id]
        baseline_end = baseline[task.task_id][1]
        baseline_last = max(baseline[task.task_id][0], baseline_end - 1)
        if end <= today or (task.duration == 0 and first <= today):
            percent = 100.0
        elif first >= today:
            percent = 0.0
        else:
            planned_percent = round(100 * (today - first) / task.duration / 5) * 5
            percent = max(0.0, planned_percent - _BEHIND.get(task.task_id, 0.0))
        rows.append(
            {
                "task_id": task.task_id,
                "account_id": account_id,
                "name": task.name,
                "phase": task.phase,
                "owner": task.owner,
                "start": task.start,
                "duration_days": task.duration,
                "predecessors": task.predecessors,
                "percent_complete": percent,
                "baseline_finish": add_working_days(base, baseline_last),
            }
        )
    return rows


def tasks_table() -> Table:
    """The Tasks sheet: the migration plan and the programme's own tasks."""
    return make_table("Tasks", _rows(_MIGRATION, FLAGSHIP_ID) + _rows(_PROGRAMME, None))
