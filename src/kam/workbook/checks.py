"""Checks across rows and sheets: keys, references, cycles and sheet rules.

They run on :class:`SheetData` (converted columns plus, per column, the rows whose
cell was bad) and report into a :class:`Collector`, so that every problem of a file
is found in one pass.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from kam.analysis.links import parse_predecessors
from kam.errors import Problem
from kam.model import SHEET_ORDER, Sheet
from kam.workbook.columns import BIG_KEYS, all_distinct
from kam.workbook.convert import shown

__all__ = [
    "MAX_PROBLEMS",
    "SHEET_CHECKS",
    "Collector",
    "Context",
    "SheetData",
    "check_cycles",
    "check_keys",
    "check_references",
    "collection_paused",
    "parse_predecessors",
]

#: At most this many problems are listed (the last one says how many more there were).
MAX_PROBLEMS = 10_000

_NOUNS = {
    "Accounts": "an account",
    "Team": "a team member",
    "Stakeholders": "a stakeholder",
    "Units": "a unit",
    "Products": "a product",
    "Criteria": "a criterion",
    "Tasks": "a task",
}


@dataclass
class Collector:
    """Errors and warnings found so far; errors are capped at :data:`MAX_PROBLEMS`."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    more: int = 0

    def error(
        self,
        message: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        expected: str | None = None,
    ) -> None:
        if len(self.errors) < MAX_PROBLEMS - 1:
            self.errors.append(Problem(message, sheet, row, column, value, expected))
        else:
            self.more += 1

    def warn(
        self,
        message: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.warnings.append(
            Problem(message, sheet, row, column, value, severity="warning")
        )

    def problems(self) -> list[Problem]:
        """The errors by sheet and row, with a last one counting those left out."""
        order = {name: i for i, name in enumerate(SHEET_ORDER)}
        found = sorted(
            self.errors, key=lambda p: (order.get(p.sheet or "", -1), p.row or 0)
        )
        if self.more:
            found.append(Problem(f"… and {self.more} more problems, not listed"))
        return found


@dataclass
class SheetData:
    """One sheet after conversion.

    ``values[column][i]`` is the canonical value of row ``i`` (``None`` when blank
    or bad); ``bad[column]`` the rows whose cell could not be converted; ``raw``
    the cells as read (for messages); ``rows[i]`` the spreadsheet row of row ``i``.
    """

    sheet: Sheet
    rows: Sequence[int]
    values: dict[str, list[object]]
    raw: dict[str, list[object]]
    bad: dict[str, set[int]]
    extra: list[dict[str, str]]
    present: set[str]

    @property
    def name(self) -> str:
        return self.sheet.name

    def __len__(self) -> int:
        return len(self.rows)

    def keep(self, indices: list[int]) -> None:
        """Keep only these rows (in this order)."""
        for col in self.values:
            column = self.values[col]
            self.values[col] = [column[i] for i in indices]
        for col in self.raw:
            column = self.raw[col]
            self.raw[col] = [column[i] for i in indices]
        where = {old: new for new, old in enumerate(indices)}
        self.bad = {c: {where[i] for i in s if i in where} for c, s in self.bad.items()}
        self.rows = [self.rows[i] for i in indices]
        self.extra = [self.extra[i] for i in indices]


def _rows_text(rows: list[int]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(map(str, rows))


def _key_text(parts: tuple[object, ...]) -> str:
    shown = [repr(str(p)) if p is not None else "(blank)" for p in parts]
    return shown[0] if len(shown) == 1 else "(" + ", ".join(shown) + ")"


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (if it was running)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_keys(data: SheetData, c: Collector) -> None:
    """Rows with the same key: an error listing every clashing row, or summed.

    Sheets with ``sum_duplicates`` sum their ``sum_columns`` into the first row of
    each group (with a warning); keyless sheets allow identical rows.
    """
    key = data.sheet.key
    if key is None or data.sheet.wide:
        return
    columns = [data.values[k] for k in key]
    skip: set[int] = set()
    for k in key:
        skip |= data.bad.get(k, set())
    if not skip and len(columns[0]) >= BIG_KEYS and all_distinct(columns):
        return
    if not skip and len(columns) == 1 and len(set(columns[0])) == len(columns[0]):
        return  # one key column: no key tuples needed
    with collection_paused():
        # Key tuples hold no cycles; without the pause, building a few hundred
        # thousand of them sets off full collections that walk every cell list of
        # the workbook (a second for 100k accounts next to 6.5M ledger rows).
        keys = list(zip(*columns, strict=True))
    if len(set(keys)) == len(keys) and not skip:
        return
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, parts in enumerate(keys):
        if i not in skip and (parts[0] is not None or len(parts) > 1):
            groups.setdefault(parts, []).append(i)
    clashes = [g for g in groups.values() if len(g) > 1]
    if not clashes:
        return
    names = ", ".join(key)
    label = key[0] if len(key) == 1 else f"({names})"
    if data.sheet.sum_duplicates:
        _sum_groups(data, clashes, c)
        return
    for group in clashes:
        text = _key_text(keys[group[0]])
        for i in group:
            others = [data.rows[j] for j in group if j != i]
            c.error(
                f"duplicate {label} {text} (also in {_rows_text(others)})",
                data.name,
                data.rows[i],
                names,
                text,
            )


def _sum_groups(data: SheetData, clashes: list[list[int]], c: Collector) -> None:
    drop: set[int] = set()
    key = data.sheet.key or ()
    for group in clashes:
        first = group[0]
        for col in data.sheet.sum_columns:
            column = data.values[col]
            found = [column[i] for i in group if column[i] is not None]
            column[first] = sum(found, Decimal(0)) if found else None  # type: ignore[type-var]
        drop.update(group[1:])
        rows = [data.rows[i] for i in group]
        parts = ", ".join(
            f"{k} {data.values[k][first]!s}"
            for k in key
            if data.values[k][first] is not None
        )
        summed = " and ".join(data.sheet.sum_columns)
        c.warn(
            f"{_rows_text(rows)} have the same {parts}; their {summed} "
            f"{'was' if len(data.sheet.sum_columns) == 1 else 'were'} summed",
            data.name,
            rows[0],
            ", ".join(key),
        )
    data.keep([i for i in range(len(data)) if i not in drop])


def check_references(
    data: SheetData,
    ids: Mapping[tuple[str, str], set[str] | None],
    c: Collector,
) -> None:
    """Every value of a column with a ``ref`` must be an id of the target sheet.

    ``ids[(sheet, column)]`` holds the target ids (file plus store), or ``None``
    when neither has that sheet; ``when_present`` references are then skipped.
    """
    for col in data.sheet.columns:
        ref = col.ref
        if ref is None or col.name not in data.present:
            continue
        targets = ids.get((ref.sheet, ref.column))
        values = data.values[col.name]
        if targets is None:
            if ref.when_present:
                continue
            used = [i for i, v in enumerate(values) if v is not None]
            if used:
                c.error(
                    f"column {col.name} refers to the {ref.sheet} sheet, which the "
                    f"workbook does not have ({len(used)} rows use it)",
                    data.name,
                    data.rows[used[0]],
                    col.name,
                    str(values[used[0]]),
                    f"{_NOUNS.get(ref.sheet, 'an id')} of the {ref.sheet} sheet",
                )
            continue
        noun = _NOUNS.get(ref.sheet, f"a {ref.column}")
        if not set(values).difference(targets).difference((None,)):
            continue  # every value is a known id: no need to look row by row
        for i, v in enumerate(values):
            if v is not None and v not in targets:
                c.error(
                    f"{str(v)!r} is not {noun} of the {ref.sheet} sheet",
                    data.name,
                    data.rows[i],
                    col.name,
                    str(v),
                    f"{noun} of the {ref.sheet} sheet",
                )


_CYCLE_NAMES = {
    ("Accounts", "parent_account_id"): "parent-account cycle",
    ("Stakeholders", "reports_to"): "reports-to cycle",
    ("Units", "parent_unit_id"): "parent-unit cycle",
}


def check_cycles(
    data: SheetData, id_column: str, parent_column: str, c: Collector
) -> None:
    """Each id has at most one parent; report every cycle with its rows."""
    ids = data.values[id_column]
    parents = data.values[parent_column]
    parent: dict[object, object] = {}
    row_of: dict[object, int] = {}
    for i, (node, up) in enumerate(zip(ids, parents, strict=True)):
        if node is not None and node not in row_of:
            row_of[node] = data.rows[i]
            if up is not None:
                parent[node] = up
    label = _CYCLE_NAMES.get((data.name, parent_column), f"{parent_column} cycle")
    done: set[object] = set()
    for start in row_of:
        path: list[object] = []
        on_path: set[object] = set()
        node = start
        while node in row_of and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent.get(node)
        if node in on_path:
            cycle = path[path.index(node) :]
            first = min(range(len(cycle)), key=lambda j: row_of[cycle[j]])
            cycle = cycle[first:] + cycle[:first]
            names = " → ".join(str(n) for n in [*cycle, cycle[0]])
            rows = sorted(row_of[n] for n in cycle)
            c.error(
                f"{label}: {names} ({_rows_text(rows)})",
                data.name,
                row_of[cycle[0]],
                parent_column,
                str(parent[cycle[0]]),
                "a chain that ends at someone with no parent",
            )
        done.update(path)


def _close(x: float, target: float) -> bool:
    return math.isclose(x, target, rel_tol=0.0, abs_tol=1e-6)


@dataclass(frozen=True)
class Context:
    """What the sheet rules need beyond the sheet: the currency and the known ids."""

    workspace_currency: str
    ids: Mapping[tuple[str, str], set[str] | None]
    known: Mapping[tuple[str, str], set[str]]


def _currency(d: SheetData, c: Collector, ctx: Context) -> None:
    """A row currency, when given, must be the workspace currency."""
    if "currency" not in d.present:
        return
    values = d.values["currency"]
    workspace = ctx.workspace_currency
    for i, v in enumerate(values):
        if v is None:
            continue
        code = str(v).strip().upper()
        values[i] = code
        if code != workspace:
            c.error(
                f"{v!r} differs from the workspace currency {workspace}",
                d.name,
                d.rows[i],
                "currency",
                str(v),
                f"{workspace} or blank",
            )


_CTS_PARTS = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")


def _cts_parts(d: SheetData, c: Collector, ctx: Context) -> None:
    """Given cost-to-serve parts make the total; a disagreeing total is an error."""
    total = d.values["cost_to_serve"]
    parts = [d.values[p] for p in _CTS_PARTS]
    for i in range(len(d)):
        given = [p[i] for p in parts if p[i] is not None]
        if not given:
            continue
        s = sum(given, Decimal(0))  # type: ignore[type-var]
        if total[i] is not None and total[i] != s:
            c.error(
                f"cost_to_serve {total[i]} differs from the sum of its parts, {s}",
                d.name,
                d.rows[i],
                "cost_to_serve",
                shown(d.raw["cost_to_serve"][i]),
                "blank or cts_presale + cts_production + cts_distribution + "
                "cts_postsale",
            )
        total[i] = s


def _weights(d: SheetData, c: Collector, ctx: Context) -> None:
    """The weights of each section sum to 1 or to 100."""
    sums: dict[str, list[int]] = {}
    weights = d.values["weight"]
    for i, section in enumerate(d.values["section"]):
        if section is not None and weights[i] is not None:
            sums.setdefault(str(section), []).append(i)
    for section, rows in sums.items():
        total = math.fsum(float(weights[i]) for i in rows)  # type: ignore[arg-type]
        if not (_close(total, 1.0) or _close(total, 100.0)):
            c.error(
                f"the weights of section {section} sum to {total:g}; they must sum "
                f"to 1 or to 100 ({_rows_text([d.rows[i] for i in rows])})",
                d.name,
                d.rows[rows[0]],
                "weight",
                f"{total:g}",
                "weights of a section summing to 1 or 100",
            )


def _survey_scale(d: SheetData, c: Collector, ctx: Context) -> None:
    """CSAT scores run from 1 to 5 (NPS 0–10 is the column's own range)."""
    scores = d.values["score"]
    for i, instrument in enumerate(d.values["instrument"]):
        score = scores[i]
        if instrument == "CSAT" and isinstance(score, int) and not 1 <= score <= 5:
            c.error(
                f"{score} is outside 1–5 (CSAT)",
                d.name,
                d.rows[i],
                "score",
                str(score),
                "a whole number from 1 to 5 for CSAT, 0 to 10 for NPS",
            )


def _good_poor(d: SheetData, c: Collector, ctx: Context) -> None:
    """A signal's good and poor values must differ (they set its direction)."""
    for i, (good, poor) in enumerate(
        zip(d.values["good"], d.values["poor"], strict=True)
    ):
        if good is not None and good == poor:
            c.error(
                f"good and poor are both {shown(d.raw['good'][i])}; they must differ",
                d.name,
                d.rows[i],
                "good",
                shown(d.raw["good"][i]),
                "a value different from poor",
            )


def _predecessors(d: SheetData, c: Collector, ctx: Context) -> None:
    """Predecessor lists parse and name existing tasks (cycles: the timeline)."""
    tasks = {str(v) for v in d.values["task_id"] if v is not None}
    tasks |= ctx.known.get(("Tasks", "task_id"), set())
    expected = "task ids with an optional type and lag, e.g. T1; T2 SS-1; T3 FF+2"
    for i, text in enumerate(d.values["predecessors"]):
        if text is None:
            continue
        try:
            links = parse_predecessors(str(text), tasks)
        except ValueError as exc:
            c.error(str(exc), d.name, d.rows[i], "predecessors", str(text), expected)
            continue
        for task, _, _ in links:
            if task not in tasks:
                c.error(
                    f"{task!r} is not a task of the Tasks sheet",
                    d.name,
                    d.rows[i],
                    "predecessors",
                    str(text),
                    expected,
                )


#: Sheet rules by the names used in ``Sheet.checks``.
SHEET_CHECKS = {
    "currency": _currency,
    "cts_parts": _cts_parts,
    "weights": _weights,
    "survey_scale": _survey_scale,
    "good_poor": _good_poor,
    "predecessors": _predecessors,
}
