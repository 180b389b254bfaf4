"""The critical path method on working-day indexes (analyses.md §9).

Times are working-day indexes from the project start (day 0, see
:mod:`kam.analysis.workdays`); a task of duration ``d`` starting at ``s`` finishes
at ``s + d`` (exclusive: the end of working day ``s + d − 1``). Links, with a lag
``L`` in working days (negative = lead):

- FS: successor start ≥ predecessor finish + L
- SS: successor start ≥ predecessor start + L
- FF: successor finish ≥ predecessor finish + L
- SF: successor finish ≥ predecessor start + L

A fixed ``start`` is a "must start on" constraint: the task never starts before it
(forward pass) and should not start after it (backward pass), so predecessors that
push the task past its start give it, and the chain that drives it, negative float.
No task starts before day 0.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from kam.analysis.links import LINK_TYPES, parse_predecessors
from kam.errors import Problem, WorkbookError

__all__ = [
    "LINK_TYPES",
    "Link",
    "Scheduled",
    "Task",
    "critical_path",
    "earliest_start",
    "parse_predecessors",
    "task_order",
]


@dataclass(frozen=True)
class Link:
    """``predecessor`` constrains the task through ``type`` with ``lag`` days."""

    predecessor: str
    type: str = "FS"
    lag: int = 0


@dataclass(frozen=True)
class Task:
    """A task of the network: duration in working days (0 = milestone), its links
    and an optional fixed start (a day index)."""

    task_id: str
    duration: int
    links: tuple[Link, ...] = ()
    start: int | None = None


@dataclass(frozen=True)
class Scheduled:
    """CPM dates of one task (day indexes; finishes exclusive) and its floats."""

    task_id: str
    early_start: int
    early_finish: int
    late_start: int
    late_finish: int
    total_float: int
    free_float: int

    @property
    def critical(self) -> bool:
        """On the critical path: no (or negative) total float."""
        return self.total_float <= 0


def task_order(tasks: Sequence[Task]) -> list[str]:
    """Task ids in dependency order (ties by id).

    Raises WorkbookError naming every unknown predecessor, and the tasks of each
    cycle in link order.
    """
    ids = {t.task_id for t in tasks}
    problems = [
        Problem(
            f"task {t.task_id}: predecessor {link.predecessor!r} is not a task",
            "Tasks",
            column="predecessors",
            value=link.predecessor,
            expected="the task_id of a task of the same plan",
        )
        for t in tasks
        for link in t.links
        if link.predecessor not in ids
    ]
    if problems:
        raise WorkbookError("Tasks: unknown predecessors", problems)
    # Kahn's algorithm with a heap: the smallest ready id first, as
    # networkx.lexicographical_topological_sort, without building a graph object.
    waiting = dict.fromkeys(ids, 0)
    successors: dict[str, list[str]] = {tid: [] for tid in ids}
    for t in tasks:
        for pred in {lk.predecessor for lk in t.links}:
            successors[pred].append(t.task_id)
            waiting[t.task_id] += 1
    ready = [tid for tid, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        tid = heapq.heappop(ready)
        order.append(tid)
        for succ in successors[tid]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(ready, succ)
    if len(order) == len(ids):
        return order
    _raise_cycles(tasks, ids)
    raise AssertionError("unreachable: a task left unordered is on a cycle")


def _raise_cycles(tasks: Sequence[Task], ids: set[str]) -> None:
    """Raise WorkbookError naming the tasks of each cycle in link order."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted(ids))
    graph.add_edges_from((lk.predecessor, t.task_id) for t in tasks for lk in t.links)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    cycles += [[n] for n in sorted(ids) if graph.has_edge(n, n)]
    if cycles:
        raise WorkbookError(
            "Tasks: the predecessors form a cycle",
            [
                Problem(
                    "these tasks depend on each other in a cycle: "
                    + " → ".join(_cycle_path(graph, cycle)),
                    "Tasks",
                    column="predecessors",
                    value=", ".join(cycle),
                    expected="links that never lead back to the same task",
                )
                for cycle in sorted(cycles)
            ],
        )


def _cycle_path(graph: nx.DiGraph[str], members: list[str]) -> list[str]:
    """One cycle through ``members`` as a closed path from the smallest id."""
    if len(members) == 1:
        return [members[0], members[0]]
    sub = graph.subgraph(members)
    edges = nx.find_cycle(sub, source=members[0])
    path = [str(u) for u, _v in edges]
    return [*path, path[0]]


#: Each link type's ends: (from the predecessor's finish, to the successor's
#: finish); FS = finish of the predecessor to start of the successor.
_ENDS: dict[str, tuple[bool, bool]] = {
    "FS": (True, False),
    "SS": (False, False),
    "FF": (True, True),
    "SF": (False, True),
}


def earliest_start(task: Task, es: dict[str, int], ef: dict[str, int]) -> int:
    """Earliest start of ``task`` given its predecessors' early starts and
    finishes (never before day 0 nor its fixed start)."""
    start = max(0, task.start if task.start is not None else 0)
    for lk in task.links:
        from_finish, to_finish = _ENDS[lk.type]
        bound = (ef if from_finish else es)[lk.predecessor] + lk.lag
        if to_finish:
            bound -= task.duration
        if bound > start:
            start = bound
    return start


def critical_path(tasks: Sequence[Task]) -> dict[str, Scheduled]:
    """Early and late dates, total and free float of every task, by task id.

    The project finish is the latest early finish; tasks without successors must
    finish by then. Raises WorkbookError on unknown predecessors and cycles.
    """
    by_id = {t.task_id: t for t in tasks}
    order = task_order(tasks)
    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    for tid in order:
        task = by_id[tid]
        es[tid] = earliest_start(task, es, ef)
        ef[tid] = es[tid] + task.duration
    finish = max(ef.values(), default=0)
    successors: dict[str, list[tuple[str, Link]]] = {tid: [] for tid in order}
    for task in tasks:
        for lk in task.links:
            successors[lk.predecessor].append((task.task_id, lk))
    ls: dict[str, int] = {}
    lf: dict[str, int] = {}
    for tid in reversed(order):
        d = by_id[tid].duration
        late = finish
        for succ, lk in successors[tid]:
            from_finish, to_finish = _ENDS[lk.type]
            bound = (lf if to_finish else ls)[succ] - lk.lag
            if not from_finish:  # the link holds the start: finish d days later
                bound += d
            if bound < late:
                late = bound
        fixed = by_id[tid].start
        if fixed is not None and fixed < late - d:
            late = fixed + d
        ls[tid], lf[tid] = late - d, late
    out: dict[str, Scheduled] = {}
    for tid in order:
        slack = finish - ef[tid]
        for succ, lk in successors[tid]:
            from_finish, to_finish = _ENDS[lk.type]
            gap = (
                (ef if to_finish else es)[succ]
                - lk.lag
                - (ef if from_finish else es)[tid]
            )
            if gap < slack:
                slack = gap
        out[tid] = Scheduled(
            tid, es[tid], ef[tid], ls[tid], lf[tid], ls[tid] - es[tid], max(0, slack)
        )
    return out
