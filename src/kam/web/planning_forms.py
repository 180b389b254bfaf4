"""What the planning editors edit, and the checks and views they add to the service.

:data:`PARTS` names each editable kind of row (its sheet, the key its form names,
its fields, the planning page it returns to); :func:`timeline_problems` is the
timeline's own check of a plan as it would be after a task edit; :func:`line_diff`
and :func:`field_versions` make a field's history readable. The routes are in
:mod:`kam.web.routes.planning_edit`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from kam.analysis.critical_path import Link, Task, parse_predecessors, task_order
from kam.errors import NotFoundError, Problem, WorkbookError
from kam.model import SHEETS, Column, Kind
from kam.store.edit_history import Change

__all__ = [
    "PARTS",
    "Part",
    "base_url",
    "field_versions",
    "line_diff",
    "page_url",
    "part_of",
    "service_key",
    "text",
    "timeline_problems",
]


@dataclass(frozen=True)
class Part:
    """One editable kind of row: its sheet, the key the form names, its fields."""

    kind: str
    sheet: str
    label: str
    #: The planning page it belongs to (``plan`` is ``charter`` for the programme).
    page: str
    key: tuple[str, ...]
    fields: tuple[str, ...]
    accounts_only: bool = False

    def column(self, name: str) -> Column:
        s = SHEETS[self.sheet]
        if s.wide and s.wide_value is not None:
            if name == s.wide_name:
                return Column(name, Kind.TEXT, True, "a role or member")
            if name == s.wide_value.name:
                return s.wide_value
        return s.column(name)

    def columns(self, names: tuple[str, ...]) -> list[Column]:
        return [self.column(n) for n in names]


PARTS: dict[str, Part] = {
    p.kind: p
    for p in (
        Part(
            "field",
            "Charter",
            "field",
            "plan",
            ("section", "field"),
            ("value", "owner", "reviewed_on"),
        ),
        Part(
            "objective",
            "Objectives",
            "objective",
            "plan",
            ("objective_id",),
            ("objective", "metric", "target", "due", "owner", "status"),
        ),
        Part(
            "task",
            "Tasks",
            "task",
            "timeline",
            ("task_id",),
            (
                "name",
                "phase",
                "owner",
                "start",
                "duration_days",
                "predecessors",
                "percent_complete",
                "baseline_finish",
            ),
        ),
        Part(
            "cell",
            "Coverage",
            "division map cell",
            "divisions",
            ("unit_id", "product"),
            (
                "status",
                "current_revenue",
                "potential_revenue",
                "competitor",
                "probability",
                "owner",
            ),
            accounts_only=True,
        ),
        Part(
            "unit",
            "Units",
            "unit",
            "divisions",
            ("unit_id",),
            ("name", "parent_unit_id", "kind"),
            accounts_only=True,
        ),
        Part(
            "raci",
            "Responsibilities",
            "RACI cell",
            "raci",
            ("activity", "role"),
            ("code",),
        ),
    )
}


def part_of(kind: str, account: str | None) -> Part:
    found = PARTS.get(kind)
    if found is None or (found.accounts_only and account is None):
        raise NotFoundError(f"there is no plan editor {kind!r}")
    return found


def base_url(account: str | None) -> str:
    """``/accounts/{id}`` or ``/programme``."""
    return "/programme" if account is None else f"/accounts/{quote(account, safe='')}"


def page_url(part: Part, account: str | None) -> str:
    name = "charter" if part.page == "plan" and account is None else part.page
    return f"{base_url(account)}/{name}"


def text(value: object) -> str:
    return "" if value is None else str(value)


def service_key(
    part: Part, account: str | None, key: Mapping[str, str]
) -> dict[str, object]:
    s = SHEETS[part.sheet]
    out: dict[str, object] = dict(key)
    if s.key is not None and "account_id" in s.key:
        out["account_id"] = account
    return out


def timeline_problems(
    tasks: list[dict[str, object]], task_id: str, typed: Mapping[str, str] | None
) -> list[Problem]:
    """What the timeline would refuse once ``task_id`` is saved as ``typed``
    (``None``: deleted): predecessors that are no task of the plan, cycles.

    Values the edit service refuses (a malformed link, a duration that is not a
    number) are left to it.
    """
    plan = {str(t["task_id"]): t for t in tasks if str(t["task_id"]) != task_id}
    if typed is not None:
        plan[task_id] = {
            "task_id": task_id,
            "duration_days": typed.get("duration_days", ""),
            "predecessors": typed.get("predecessors", ""),
        }
    ids = set(plan)
    network = []
    for tid, t in plan.items():
        try:
            links = parse_predecessors(text(t["predecessors"]), ids)
        except ValueError:
            links = []
        network.append(
            Task(tid, 0, tuple(Link(p, kind, lag) for p, kind, lag in links))
        )
    try:
        task_order(network)
    except WorkbookError as exc:
        return [
            Problem(p.message, "Tasks", None, "predecessors", p.value, p.expected)
            for p in exc.problems
        ]
    return []


def line_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The lines of ``old`` → ``new`` as (mark, line): ``-`` removed, ``+`` added,
    ``" "`` unchanged (difflib's hint lines left out)."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("? "):
            continue
        out.append((line[0], line[2:]))
    return out


def field_versions(changes: list[Change]) -> list[dict[str, object]]:
    """The versions of a Charter field's value: as imported (when the first edit
    changed a stored row), then after each edit (a delete leaves it blank)."""
    versions: list[dict[str, object]] = []
    if changes and changes[0].before is not None:
        first = changes[0].before
        versions.append(
            {
                "at": None,
                "who": "",
                "action": "as imported",
                "value": text(first.get("value")),
            }
        )
    for c in changes:
        versions.append(
            {
                "at": c.at,
                "who": c.who,
                "action": c.action,
                "value": "" if c.after is None else text(c.after.get("value")),
            }
        )
    return versions
