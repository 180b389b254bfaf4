"""ABC class summary per period and class migration between consecutive periods.

The classified rows of every grain period and the pooled range, each with the code
of the class the account had in the period before (``came``, see
:mod:`kam.analysis.class_moves`), are fetched once, as Arrow; the class summary and
the migration matrices are counted from one Arrow group-by of that table
(:func:`tally`: an account lost after a period is one of its class there that no
class of the next period came from), and the lists of moves are its rows whose
class before was better or worse (:func:`changes`). Nothing here imports Arrow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from kam.analysis.class_moves import NO_CLASS
from kam.analysis.result import Rows

__all__ = [
    "CHANGE_COLUMNS",
    "CLASSES",
    "FROM_STATES",
    "MOVE_COLUMNS",
    "POOLED",
    "TO_STATES",
    "Tally",
    "came_from",
    "changes",
    "consecutive",
    "tally",
]

CLASSES: tuple[str, ...] = ("A", "B", "C")
#: The period label of the rows computed over the whole range.
POOLED = "pooled"
#: Where an account comes from: a class of the earlier period, or ``new`` (no value).
FROM_STATES: tuple[str, ...] = (*CLASSES, "new")
#: Where it goes: a class of the later period, or ``lost`` (no value any more).
TO_STATES: tuple[str, ...] = (*CLASSES, "lost")
#: The columns :func:`kam.analysis.class_moves.with_moves` adds, which :func:`tally`
#: and :func:`changes` read (:func:`kam.analysis.class_moves.moves_of` adds ``came``
#: to rows that carry ``prev_cents`` and ``value_cents`` instead).
MOVE_COLUMNS: tuple[str, ...] = ("prev_value", "came", "biggest")

_ZERO = Decimal("0.00")


class Move(NamedTuple):
    """One cell of a migration matrix."""

    accounts: int
    value_before: Decimal
    value_after: Decimal


def came_from(came: object) -> str | None:
    """The class before of a fetched row with ``came`` (None when it had none; see
    :mod:`kam.analysis.class_moves`)."""
    code = int(str(came))
    return None if code == NO_CLASS else CLASSES[code]


def _money(value: object) -> Decimal:
    return _ZERO if value is None else Decimal(str(value)).quantize(_ZERO)


def _cents(amount: object) -> Decimal:
    """A whole number of cents as an amount with two decimals."""
    return Decimal(int(str(amount))).scaleb(-2)


class Tally(NamedTuple):
    """What :func:`tally` counts from the fetched rows."""

    #: Per period and class: accounts, account_share, value, value_share.
    classes: list[dict[str, object]]
    #: The migration matrices (see :func:`tally`).
    migration: list[dict[str, object]]
    #: Rows per period position (``pidx`` → count), pooled last.
    sizes: dict[int, int]


def tally(data: Any, periods: Sequence[str]) -> Tally:
    """The class summary, the migration matrices and the rows per period of the
    fetched rows ``data`` (an Arrow table with ``pidx``, ``class``, ``value`` and the
    :data:`MOVE_COLUMNS`; ``pidx`` = ``len(periods)`` for the pooled rows), from one
    group-by.

    Class summary: per period of ``periods`` and pooled, per class A, B, C: accounts,
    account_share, value, value_share. Shares are of the accounts with a class in the
    period and of their total value; a class with no account has zeros (the
    template's two-sided chart wants all three).

    Migration: per consecutive pair of grain ``periods`` and (from, to) cell, states
    from {A, B, C, new} to {A, B, C, lost}, every one of the 16 cells listed (``new →
    lost`` is always empty). ``accounts`` counts the accounts with a class in either
    period; ``value_before``/``value_after`` sum their values in each period.
    """
    in_cents = "prev_cents" in data.column_names
    before_column = "prev_cents" if in_cents else "prev_value"
    grouped = data.group_by(["pidx", "class", "came"]).aggregate(
        [("pidx", "count"), ("value", "sum"), (before_column, "sum")]
    )
    last = len(periods) - 1
    per_class: dict[tuple[int, str], list[Any]] = {}
    cells: dict[tuple[int, str, str], list[Any]] = {}
    stayed: dict[tuple[int, str], list[Any]] = {}
    sizes: dict[int, int] = {}

    def add(into: dict[Any, list[Any]], key: Any, *amounts: Any) -> None:
        have = into.setdefault(key, [0] * len(amounts))
        for i, amount in enumerate(amounts):
            have[i] += amount

    for r in grouped.to_pylist():
        pidx, count = int(r["pidx"]), int(r["pidx_count"])
        cls = CLASSES[int(r["class"])]
        value = _money(r["value_sum"])
        sizes[pidx] = sizes.get(pidx, 0) + count
        add(per_class, (pidx, cls), count, value)
        if 0 < pidx <= last:
            came = came_from(r["came"])
            summed = r[f"{before_column}_sum"]
            if not came:
                before = _ZERO
            elif in_cents:
                before = _cents(summed)
            else:
                before = _money(summed)
            add(cells, (pidx, came or "new", cls), count, before, value)
            if came:
                # Stayed: what is left of the class before is lost (below).
                add(stayed, (pidx, came), count, before)
    for (pidx, cls), (count, value) in per_class.items():
        if pidx < last:
            kept, before = stayed.get((pidx + 1, cls), (0, _ZERO))
            if count > kept:
                add(cells, (pidx + 1, cls, "lost"), count - kept, value - before, _ZERO)
    return Tally(
        _summary(per_class, [*periods, POOLED]), _matrices(cells, periods), sizes
    )


def _summary(
    found: dict[tuple[int, str], list[Any]], periods: Sequence[str]
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for pidx, period in enumerate(periods):
        counted = [found.get((pidx, c), [0, _ZERO]) for c in CLASSES]
        n = sum(count for count, _ in counted)
        total = sum((value for _, value in counted), _ZERO)
        for cls, (count, value) in zip(CLASSES, counted, strict=True):
            out.append(
                {
                    "period": period,
                    "class": cls,
                    "accounts": count,
                    "account_share": count / n if n else 0.0,
                    "value": value,
                    "value_share": float(value / total) if total > 0 else 0.0,
                }
            )
    return out


def _matrices(
    found: dict[tuple[int, str, str], list[Any]], periods: Sequence[str]
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for pair, (a, b) in enumerate(consecutive(periods), 1):
        for f in FROM_STATES:
            for t in TO_STATES:
                cell = Move(*found.get((pair, f, t), (0, _ZERO, _ZERO)))
                out.append(
                    {
                        "period_from": a,
                        "period_to": b,
                        "from_class": f,
                        "to_class": t,
                        "accounts": cell.accounts,
                        "value_before": cell.value_before,
                        "value_after": cell.value_after,
                    }
                )
    return out


#: The columns of a row of the upgrades and downgrades lists.
CHANGE_COLUMNS: tuple[str, ...] = (
    "period_from",
    "period_to",
    "account_id",
    "name",
    "from_class",
    "to_class",
    "value_before",
    "value_after",
)


def changes(
    data: Any, periods: Sequence[str], name_of: Callable[[object], object]
) -> tuple[Rows, Rows]:
    """(upgrades, downgrades) between consecutive grain ``periods``.

    ``data``: the fetched rows (with ``came``, see :mod:`kam.analysis.class_moves`);
    ``name_of``: an account's name from its id. Only moves between classes count
    (``B → A`` is an upgrade, ``A → C`` a downgrade); ``new`` and ``lost`` are in the
    matrix, not in these lists. Per pair of periods (chronological), ordered by the
    size of the move, then by the larger of the two values, then by account_id.
    Columns: :data:`CHANGE_COLUMNS`.
    """

    in_cents = "prev_cents" in data.column_names
    before_column = "prev_cents" if in_cents else "prev_value"

    def convert(r: dict[str, object]) -> dict[str, object]:
        pidx = int(str(r["pidx"]))
        before = r[before_column]
        return {
            "period_from": periods[pidx - 1],
            "period_to": periods[pidx],
            "account_id": r["account_id"],
            "name": name_of(r["account_id"]),
            "from_class": came_from(r["came"]),
            "to_class": CLASSES[int(str(r["class"]))],
            "value_before": _cents(before) if in_cents else before,
            "value_after": r["value"],
        }

    # Moves are between the grain periods after the first (the rows are in period
    # order): the other rows are not filtered.
    pidx = data.column("pidx").to_numpy()
    lo, hi = (int(i) for i in pidx.searchsorted([1, len(periods)]))
    within = data.slice(lo, hi - lo)
    came = within.column("came").to_numpy()
    now = within.column("class").to_numpy()
    shown = ["pidx", "account_id", "class", "came", before_column, "value"]
    # Only the columns the lists show or sort on are filtered.
    sorted_on = ["value_cents"] if in_cents else ["biggest"]
    narrow = within.select([*shown, *sorted_on])

    def fetch(mask: Any) -> Rows:
        part = narrow.filter(mask)
        # The larger move first: A → C before A → B, C → A before B → A.
        size = part.column("came").to_numpy().astype("int8") - part.column(
            "class"
        ).to_numpy().astype("int8")
        part = part.append_column("size", [abs(size)])
        if in_cents:
            after = part.column("value_cents").to_numpy()
            earlier = part.column("prev_cents").to_numpy()
            biggest = after + (earlier - after) * (earlier > after)
            part = part.append_column("biggest", [biggest])
        part = part.sort_by(
            [
                ("pidx", "ascending"),
                ("size", "descending"),
                ("biggest", "descending"),
                ("account_id", "ascending"),
            ]
        )
        return Rows(part.select(shown), convert)

    # A class before that is worse (a larger code) than the class now is a rise.
    return fetch((came > now) & (came != NO_CLASS)), fetch(came < now)


def consecutive(periods: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of consecutive periods."""
    return list(itertools.pairwise(periods))
