"""ABC class summary per period and class migration between consecutive periods.

The classified rows are extended by :func:`with_neighbours` (an Ibis expression):
besides their own ``pidx`` (position of the period), ``class`` and ``value``, they
carry the class and value of the same account in the previous grain period
(``prev_class``, ``prev_value``), its class in the next one (``next_class``) and, for
an account that moved between classes, the kind and size of the move (``move``,
``steps``, ``biggest``). The analysis fetches those rows once, as Arrow, ordered by
period and rank; the class summary, the migration matrices and the lists of moves
are counted from that one table with Arrow's own group-by, take and sort (no second
query, and nothing here imports Arrow).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import ibis
import ibis.expr.types as ir

from kam.analysis.result import Rows

__all__ = [
    "CHANGE_COLUMNS",
    "CLASSES",
    "FROM_STATES",
    "POOLED",
    "TO_STATES",
    "changes",
    "class_summary",
    "consecutive",
    "migration_matrix",
    "moves",
    "with_moves",
    "with_neighbours",
]

CLASSES: tuple[str, ...] = ("A", "B", "C")
#: The period label of the rows computed over the whole range.
POOLED = "pooled"
#: Where an account comes from: a class of the earlier period, or ``new`` (no value).
FROM_STATES: tuple[str, ...] = (*CLASSES, "new")
#: Where it goes: a class of the later period, or ``lost`` (no value any more).
TO_STATES: tuple[str, ...] = (*CLASSES, "lost")

_ZERO = Decimal("0.00")


class Move(NamedTuple):
    """One cell of a migration matrix."""

    accounts: int
    value_before: Decimal
    value_after: Decimal


def _money(value: object) -> Decimal:
    return _ZERO if value is None else Decimal(str(value)).quantize(_ZERO)


def with_neighbours(classes: ir.Table, periods: Sequence[str]) -> ir.Table:
    """Classified rows with their period's position and the same account's class in
    the neighbouring grain periods.

    ``pidx``: position of the period in ``periods`` (the pooled rows come last);
    ``prev_class``/``prev_value``: the class and value in the previous grain period
    (null when the account has no class there); ``next_class``: the class in the next
    one; ``previous_class``: what the rows show (null in the first period and on pooled
    rows, ``'new'`` for an account without a class the period before).
    """
    positions = {label: str(i) for i, label in enumerate([*periods, POOLED])}
    t = classes.mutate(pidx=classes.period.substitute(positions).cast("int64"))
    # Each account's rows in order, its pooled row last: the pooled row never passes
    # for a neighbour (it is no grain period, and it follows the last one).
    chain = ibis.window(group_by=t.account_id, order_by=t.pidx)
    t = t.mutate(
        lag_idx=t.pidx.lag().over(chain),
        lag_class=t["class"].lag().over(chain),
        lag_value=t.value.lag().over(chain),
        lead_idx=t.pidx.lead().over(chain),
        lead_class=t["class"].lead().over(chain),
    )
    grain = t.period != POOLED
    follows = grain & (t.lag_idx == t.pidx - 1)
    t = t.mutate(
        prev_class=ibis.cases((follows, t.lag_class), else_=ibis.null("string")),
        prev_value=ibis.cases((follows, t.lag_value), else_=ibis.null(t.value.type())),
        next_class=ibis.cases(
            ((t.lead_idx == t.pidx + 1) & (t.pidx < len(periods) - 1), t.lead_class),
            else_=ibis.null("string"),
        ),
    )
    return t.mutate(
        previous_class=ibis.cases(
            (~grain | (t.pidx == 0), ibis.null("string")),
            else_=t.prev_class.fill_null("new"),
        )
    ).drop("lag_idx", "lag_class", "lag_value", "lead_idx", "lead_class")


def class_summary(data: Any, periods: Sequence[str]) -> list[dict[str, object]]:
    """Per period of ``periods`` and class A, B, C: accounts, account_share, value,
    value_share.

    ``data``: the fetched rows (an Arrow table with ``period``, ``class``, ``value``).
    Shares are of the accounts with a class in the period and of their total value; a
    class with no account has zeros (the template's two-sided chart wants all three).
    """
    grouped = data.group_by(["period", "class"]).aggregate(
        [("period", "count"), ("value", "sum")]
    )
    found = {
        (r["period"], r["class"]): (int(r["period_count"]), _money(r["value_sum"]))
        for r in grouped.to_pylist()
    }
    out: list[dict[str, object]] = []
    for period in periods:
        cells = [found.get((period, c), (0, _ZERO)) for c in CLASSES]
        n = sum(count for count, _ in cells)
        total = sum((value for _, value in cells), _ZERO)
        for cls, (count, value) in zip(CLASSES, cells, strict=True):
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


def moves(data: Any, periods: Sequence[str]) -> dict[tuple[int, str, str], Move]:
    """The accounts of each consecutive pair of grain ``periods`` in which they have
    a class on either side, counted per cell: ``(pair, from_class, to_class)`` →
    (accounts, value_before, value_after). ``pair`` is the position of the later
    period, ``from_class`` one of {A, B, C, new}, ``to_class`` one of {A, B, C,
    lost}."""
    last = len(periods) - 1
    out: dict[tuple[int, str, str], Move] = {}
    # Arrivals: every class of periods 1 … last, with where the account came from.
    arrivals = data.group_by(["pidx", "prev_class", "class"]).aggregate(
        [("pidx", "count"), ("prev_value", "sum"), ("value", "sum")]
    )
    for r in arrivals.to_pylist():
        if 0 < r["pidx"] <= last:
            key = (int(r["pidx"]), r["prev_class"] or "new", str(r["class"]))
            out[key] = Move(
                int(r["pidx_count"]),
                _money(r["prev_value_sum"]),
                _money(r["value_sum"]),
            )
    # Departures: a class of periods 0 … last − 1 without a class in the next one.
    departures = data.group_by(["pidx", "class", "next_class"]).aggregate(
        [("pidx", "count"), ("value", "sum")]
    )
    for r in departures.to_pylist():
        if r["pidx"] < last and r["next_class"] is None:
            key = (int(r["pidx"]) + 1, str(r["class"]), "lost")
            out[key] = Move(int(r["pidx_count"]), _money(r["value_sum"]), _ZERO)
    return out


def migration_matrix(data: Any, periods: Sequence[str]) -> list[dict[str, object]]:
    """The migration matrices between consecutive grain ``periods``.

    One row per pair and (from, to) cell, states from {A, B, C, new} to {A, B, C,
    lost}; every one of the 16 cells is listed (``new → lost`` is always empty).
    ``accounts`` counts the accounts with a class in either period;
    ``value_before``/``value_after`` sum their values in each period.
    """
    if len(periods) < 2:
        return []
    found = moves(data, periods)
    out: list[dict[str, object]] = []
    for pair, (a, b) in enumerate(consecutive(periods), 1):
        for f in FROM_STATES:
            for t in TO_STATES:
                cell = found.get((pair, f, t), Move(0, _ZERO, _ZERO))
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


def _class_number(column: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases((column == "A", 0), (column == "B", 1), else_=2)


def with_moves(t: ir.Table, periods: Sequence[str]) -> ir.Table:
    """Rows of :func:`with_neighbours` with ``move`` (``'up'`` or ``'down'`` for an
    account whose class changed from the previous grain period, else null),
    ``steps`` (how many classes it moved) and ``biggest`` (the larger of its two
    values), which order the lists of :func:`changes`."""
    moved = (
        (t.pidx > 0)
        & (t.pidx < len(periods))
        & t.prev_class.notnull()
        & (t.prev_class != t["class"])
    )
    to_num = _class_number(t["class"])
    from_num = _class_number(t.prev_class)
    return t.mutate(
        move=ibis.cases(
            (moved & (to_num < from_num), "up"),
            (moved, "down"),
            else_=ibis.null("string"),
        ),
        steps=(to_num - from_num).abs(),
        biggest=ibis.greatest(t.prev_value, t.value),
    )


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


def changes(data: Any, periods: Sequence[str]) -> tuple[Rows, Rows]:
    """(upgrades, downgrades) between consecutive grain ``periods``.

    ``data``: the fetched rows (with the columns of :func:`with_moves`), ordered by
    ``pidx`` and ``rank`` (ranks 1 … n in each period). Only moves between classes
    count (``B → A`` is an upgrade, ``A → C`` a downgrade); ``new`` and ``lost`` are in
    the matrix, not in these lists. Per pair of periods (chronological), ordered by
    the size of the move, then by the larger of the two values, then by account_id.
    Columns: :data:`CHANGE_COLUMNS`.
    """
    counts = data.group_by("pidx").aggregate([("pidx", "count")]).to_pylist()
    size = {int(r["pidx"]): int(r["pidx_count"]) for r in counts}
    offset: dict[int, int] = {}
    start = 0
    for pidx in sorted(size):
        offset[pidx] = start
        start += size[pidx]
    where = data.group_by("move").aggregate([("pidx", "list"), ("rank", "list")])
    found = {r["move"]: r for r in where.to_pylist() if r["move"] is not None}

    def convert(r: dict[str, object]) -> dict[str, object]:
        pidx = int(str(r["pidx"]))
        return {
            "period_from": periods[pidx - 1],
            "period_to": periods[pidx],
            "account_id": r["account_id"],
            "name": r["name"],
            "from_class": r["prev_class"],
            "to_class": r["class"],
            "value_before": r["prev_value"],
            "value_after": r["value"],
        }

    def fetch(move: str) -> Rows:
        r = found.get(move)
        rows = (
            []
            if r is None
            else [
                offset[p] + k - 1
                for p, k in zip(r["pidx_list"], r["rank_list"], strict=True)
            ]
        )
        # An empty take would have no type: slice instead.
        part = data.take(rows) if rows else data.slice(0, 0)
        part = part.sort_by(
            [
                ("pidx", "ascending"),
                ("steps", "descending"),
                ("biggest", "descending"),
                ("account_id", "ascending"),
            ]
        )
        return Rows(
            part.select(
                [
                    "pidx",
                    "account_id",
                    "name",
                    "prev_class",
                    "class",
                    "prev_value",
                    "value",
                ]
            ),
            convert,
        )

    return fetch("up"), fetch("down")


def consecutive(periods: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of consecutive periods."""
    return list(itertools.pairwise(periods))
