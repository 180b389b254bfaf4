"""A tidy org-chart layout for a reports-to forest, shared by the web page and the deck.

Each tree is drawn top-down: every leaf takes its own slot, left to right, and every
manager is centred over the slots of their reports. Since the slots of two subtrees
never interleave and boxes at the same depth sit at least one slot apart, no two boxes
overlap. Roots stand side by side; the account's own people come first and each
external organisation gets its own column after them, in name order. Children and
roots are ordered by id, so adding or removing a person only moves the boxes to the
right of them (and their managers, re-centred).

Coordinates are in abstract units (the deck scales them to slide inches, the web to
pixels): ``x``, ``y`` is a box's top-left corner, ``y`` grows downwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kam.errors import InputError

__all__ = ["Box", "Column", "OrgChart", "org_chart"]


@dataclass(frozen=True)
class Box:
    """One person's box: top-left corner, size, depth in their tree (root = 0)."""

    x: float
    y: float
    width: float
    height: float
    depth: int

    @property
    def centre_x(self) -> float:
        """The x of the box's centre."""
        return self.x + self.width / 2

    def overlaps(self, other: Box) -> bool:
        """True when the two boxes share interior area."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass(frozen=True)
class Column:
    """The span of one organisation (``None`` = the account itself)."""

    organisation: str | None
    x: float
    width: float


@dataclass(frozen=True)
class OrgChart:
    """The layout: a box per person id, the organisations' columns, the extent."""

    boxes: dict[str, Box]
    columns: tuple[Column, ...]
    width: float
    height: float


def org_chart(
    people: Iterable[tuple[str, str | None, str | None]],
    *,
    box_width: float = 160.0,
    box_height: float = 56.0,
    gap_x: float = 24.0,
    gap_y: float = 48.0,
    column_gap: float = 64.0,
) -> OrgChart:
    """Lay out ``people``: (id, manager id or ``None``, organisation or ``None``).

    A manager outside ``people`` makes the person a root. A person's tree is drawn
    in the column of its root's organisation. Raises InputError on a reports-to
    cycle (the analysis reports those with their rows first) or a repeated id.
    """
    manager: dict[str, str | None] = {}
    organisation: dict[str, str | None] = {}
    for pid, boss, org in people:
        if pid in manager:
            raise InputError(f"org chart: stakeholder {pid} appears twice")
        manager[pid] = boss
        organisation[pid] = org or None
    children: dict[str, list[str]] = {pid: [] for pid in manager}
    roots: list[str] = []
    for pid in sorted(manager):
        boss = manager[pid]
        if boss is None or boss not in manager or boss == pid:
            roots.append(pid)
        else:
            children[boss].append(pid)

    pitch_x, pitch_y = box_width + gap_x, box_height + gap_y
    slots: dict[str, tuple[float, float]] = {}  # id → (first, last) slot centre
    depth: dict[str, int] = {}
    column_of_root = {r: organisation[r] for r in roots}
    orgs = sorted(
        {o for o in column_of_root.values() if o is not None},
    )
    boxes: dict[str, Box] = {}
    columns: list[Column] = []
    cursor = -gap_x / 2  # left edge of the next free slot: the first box at x = 0
    max_depth = -1
    for org in [None, *orgs]:
        mine = [r for r in roots if column_of_root[r] == org]
        if not mine:
            continue
        placed = set(boxes)
        for root in mine:
            cursor = _place(root, children, cursor, pitch_x, slots, depth)
        for pid, (first, last) in slots.items():
            if pid in boxes:
                continue
            centre = (first + last) / 2
            boxes[pid] = Box(
                centre - box_width / 2,
                depth[pid] * pitch_y,
                box_width,
                box_height,
                depth[pid],
            )
            max_depth = max(max_depth, depth[pid])
        left = min(b.x for p, b in boxes.items() if p not in placed)
        right = max(b.x + b.width for p, b in boxes.items() if p not in placed)
        columns.append(Column(org, left, right - left))
        cursor += column_gap
    if len(boxes) != len(manager):
        stuck = sorted(set(manager) - set(boxes))
        raise InputError(
            "org chart: the reports-to lines of "
            + ", ".join(stuck[:10])
            + " form a cycle"
        )
    width = max((b.x + b.width for b in boxes.values()), default=0.0)
    height = (max_depth + 1) * pitch_y - gap_y if boxes else 0.0
    return OrgChart(boxes, tuple(columns), width, height)


def _place(
    root: str,
    children: dict[str, list[str]],
    cursor: float,
    pitch_x: float,
    slots: dict[str, tuple[float, float]],
    depth: dict[str, int],
) -> float:
    """Give ``root``'s tree its slots from ``cursor``; return the next free x.

    Iterative (a post-order walk with an explicit stack) so that a deep chain of
    managers cannot exhaust Python's recursion limit.
    """
    stack: list[tuple[str, int, bool]] = [(root, 0, False)]
    while stack:
        pid, level, done = stack.pop()
        if done:
            kids = children[pid]
            if kids:
                centres = [(slots[k][0] + slots[k][1]) / 2 for k in kids]
                slots[pid] = (centres[0], centres[-1])
            else:
                centre = cursor + (pitch_x / 2)
                slots[pid] = (centre, centre)
                cursor += pitch_x
            continue
        depth[pid] = level
        stack.append((pid, level, True))
        for kid in reversed(children[pid]):
            stack.append((kid, level + 1, False))
    return cursor
