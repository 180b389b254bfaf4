"""The rows of one account's stakeholder map, fetched and checked.

:func:`load_map` fetches the account's stakeholders, the dotted lines and touchpoints
that touch them and our team's names (small tables: they are brought into Python),
then checks them all before reporting:

- every ``reports_to`` names a stakeholder of the same account, and the reports-to
  lines form a forest (no cycle);
- both ends of a dotted line are known stakeholders; a line to a stakeholder of
  another account is left out with a warning (a line may cross organisations within
  the account: a consultancy lead's line to the customer's executive is kept);
- every touchpoint's ``member_id`` is on the Team sheet.

Problems name the sheet, the row (by its key, since stored rows have no sheet row
number), the column and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis.expr.types as ir
import networkx as nx

from kam.errors import (
    MissingDataError,
    NotFoundError,
    ParameterError,
    Problem,
    WorkbookError,
)

__all__ = ["Influence", "MapData", "Person", "Touch", "load_map"]


@dataclass(frozen=True)
class Person:
    """One stakeholder of the map."""

    stakeholder_id: str
    name: str
    title: str | None
    organisation: str | None
    reports_to: str | None
    decision_power: int
    interest: int | None
    attitude: int
    buying_role: str | None


@dataclass(frozen=True)
class Influence:
    """One dotted line."""

    source: str
    target: str
    strength: int
    sentiment: str

    def as_row(self) -> dict[str, object]:
        """The line as a result row."""
        return {
            "from_id": self.source,
            "to_id": self.target,
            "strength": self.strength,
            "sentiment": self.sentiment,
        }


@dataclass(frozen=True)
class Touch:
    """One touchpoint: a team member who knows a stakeholder."""

    member: str
    stakeholder: str
    strength: int
    last_contact_on: date | None
    key: bool

    def as_row(self, member_name: str) -> dict[str, object]:
        """The touchpoint as a result row."""
        return {
            "member_id": self.member,
            "member_name": member_name,
            "stakeholder_id": self.stakeholder,
            "strength": self.strength,
            "last_contact_on": self.last_contact_on,
            "key": self.key,
        }


@dataclass
class MapData:
    """One account's map: people by id (in id order), lines, touchpoints, names."""

    account: str
    account_name: str
    people: dict[str, Person]
    influences: list[Influence]
    touchpoints: list[Touch]
    members: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def member_name(self, member: str) -> str:
        """A team member's name (the id when the Team sheet lacks them)."""
        return self.members.get(member) or member

    def name(self, stakeholder: str) -> str:
        """A stakeholder's name."""
        return self.people[stakeholder].name

    def label(self, node: str) -> str:
        """A stakeholder's name, else a team member's."""
        person = self.people.get(node)
        return person.name if person is not None else self.member_name(node)

    def touches_by_stakeholder(self) -> dict[str, list[Touch]]:
        """Touchpoints grouped by stakeholder id."""
        out: dict[str, list[Touch]] = {}
        for t in self.touchpoints:
            out.setdefault(t.stakeholder, []).append(t)
        return out


_PEOPLE = (
    "stakeholder_id",
    "name",
    "title",
    "organisation",
    "reports_to",
    "decision_power",
    "interest",
    "attitude",
    "buying_role",
)


def _rows(table: ir.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pyarrow().to_pylist()
    return rows


def _pick_account(tables: Mapping[str, ir.Table], account: str | None) -> str:
    if account is not None:
        return account
    st = tables["stakeholders"]
    ids = sorted(
        str(r["account_id"]) for r in _rows(st.select("account_id").distinct())
    )
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise MissingDataError("the Stakeholders sheet has no rows")
    shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
    raise ParameterError(
        "account", f"give the account whose map to draw (with stakeholders: {shown})"
    )


def _account_name(tables: Mapping[str, ir.Table], account: str) -> str | None:
    accounts = tables.get("accounts")
    if accounts is None:
        return account
    found = _rows(accounts.filter(accounts["account_id"] == account).select("name"))
    return str(found[0]["name"]) if found else None


def load_map(tables: Mapping[str, ir.Table], account: str | None) -> MapData:
    """The map of ``account`` (the only account with stakeholders when ``None``).

    Raises NotFoundError for an unknown account, WorkbookError listing every
    reports-to cycle and unknown id.
    """
    account = _pick_account(tables, account)
    name = _account_name(tables, account)
    st = tables["stakeholders"]
    mine = st.filter(st["account_id"] == account)
    people = {
        str(r["stakeholder_id"]): Person(**r)
        for r in sorted(
            _rows(mine.select(*_PEOPLE)), key=lambda r: str(r["stakeholder_id"])
        )
    }
    if name is None and not people:
        raise NotFoundError(f"there is no account {account!r}")
    data = MapData(account, name or account, people, [], [], {})
    if not people:
        data.warnings.append(f"account {account} has no stakeholders yet")
    problems = _forest_problems(people, account)
    ids = mine["stakeholder_id"]

    outside: set[str] = set()
    raw_lines: list[dict[str, Any]] = []
    influences = tables.get("influences")
    if influences is not None and people:
        raw_lines = _rows(
            influences.filter(
                influences["from_id"].isin(ids) | influences["to_id"].isin(ids)
            ).select("from_id", "to_id", "strength", "sentiment")
        )
        raw_lines.sort(key=lambda r: (str(r["from_id"]), str(r["to_id"])))
        outside = {str(r[c]) for r in raw_lines for c in ("from_id", "to_id")} - set(
            people
        )
    elsewhere = _known_elsewhere(st, outside)
    for r in raw_lines:
        ends = (str(r["from_id"]), str(r["to_id"]))
        unknown = [
            (c, v)
            for c, v in zip(("from_id", "to_id"), ends, strict=True)
            if v not in people and v not in elsewhere
        ]
        for column, value in unknown:
            problems.append(
                Problem(
                    f"dotted line {ends[0]} → {ends[1]}: {column} {value!r} is not "
                    "a known stakeholder",
                    sheet="Influences",
                    column=column,
                    value=value,
                    expected="a stakeholder_id of the Stakeholders sheet",
                )
            )
        if unknown:
            continue
        if any(v not in people for v in ends):
            data.warnings.append(
                f"the dotted line {ends[0]} → {ends[1]} joins a stakeholder of "
                f"another account and is left out of {account}'s map"
            )
            continue
        data.influences.append(
            Influence(ends[0], ends[1], int(r["strength"]), str(r["sentiment"]))
        )

    touchpoints = tables.get("touchpoints")
    if touchpoints is not None and people:
        rows = _rows(
            touchpoints.filter(touchpoints["stakeholder_id"].isin(ids)).select(
                "member_id", "stakeholder_id", "strength", "last_contact_on", "key"
            )
        )
        rows.sort(key=lambda r: (str(r["stakeholder_id"]), str(r["member_id"])))
        data.touchpoints = [
            Touch(
                str(r["member_id"]),
                str(r["stakeholder_id"]),
                int(r["strength"]),
                r["last_contact_on"],
                bool(r["key"]),
            )
            for r in rows
        ]
    team = tables.get("team")
    members = sorted({t.member for t in data.touchpoints})
    if team is not None and members:
        data.members = {
            str(r["member_id"]): str(r["name"])
            for r in _rows(
                team.filter(team["member_id"].isin(members)).select("member_id", "name")
            )
        }
        for t in data.touchpoints:
            if t.member not in data.members:
                problems.append(
                    Problem(
                        f"touchpoint {t.member} → {t.stakeholder}: member_id "
                        f"{t.member!r} is not on the Team sheet",
                        sheet="Touchpoints",
                        column="member_id",
                        value=t.member,
                        expected="a member_id of the Team sheet",
                    )
                )
    elif members:
        data.warnings.append("without the Team sheet, team members show by id")
    if problems:
        raise WorkbookError(
            f"the stakeholder map of account {account} cannot be drawn", problems
        )
    return data


def _known_elsewhere(stakeholders: ir.Table, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    found = stakeholders.filter(stakeholders["stakeholder_id"].isin(sorted(ids)))
    return {str(r["stakeholder_id"]) for r in _rows(found.select("stakeholder_id"))}


def _forest_problems(people: Mapping[str, Person], account: str) -> list[Problem]:
    """Unknown managers and reports-to cycles, in id order."""
    problems: list[Problem] = []
    lines = nx.DiGraph()
    for sid, person in people.items():
        manager = person.reports_to
        if manager is None:
            continue
        if manager not in people:
            problems.append(
                Problem(
                    f"stakeholder {sid}: reports_to {manager!r} is not a stakeholder "
                    f"of account {account}",
                    sheet="Stakeholders",
                    column="reports_to",
                    value=manager,
                    expected="the stakeholder_id of a stakeholder of the same account",
                )
            )
            continue
        lines.add_edge(sid, manager)
    cycles = []
    for cycle in nx.simple_cycles(lines):
        start = cycle.index(min(cycle))
        cycles.append(cycle[start:] + cycle[:start])
    for cycle in sorted(cycles):
        loop = " → ".join([*cycle, cycle[0]])
        problems.append(
            Problem(
                f"stakeholders {', '.join(sorted(cycle))}: the reports-to lines form "
                f"a cycle {loop}; the chart must be a forest",
                sheet="Stakeholders",
                column="reports_to",
                value=cycle[0],
                expected="a manager outside the cycle, or blank",
            )
        )
    return problems
