"""ABC class summary per period and class migration between consecutive periods.

An account's class in a period is a step function of its value there: equal values
share a class and a larger value never has a worse one. So the class an account had
in the previous grain period follows from its value there and that period's
*thresholds* (the smallest value of class A and of class B): no second ranking and
no window over each account's classified rows is needed.

:func:`with_neighbours` turns the values per account and grain period into the rows
to classify: each with its period's position (``pidx``) and the account's value in
the previous grain period (``prev_value``), plus one pooled row per account. With
few periods that is one aggregate per account spread back into rows (the pooled sum
comes with it); with many, a window over each account's rows. :func:`with_moves`
takes the classified rows and adds ``move`` (how many classes the account rose,
negative, or fell, positive, since its class in the previous grain period: that of
``prev_value`` under the thresholds of that period, a join with one row per period)
and ``biggest``. The
analysis fetches the rows once, as Arrow; the class summary and the migration
matrices are counted from one Arrow group-by of that table (:func:`tally`: an account
lost after a period is one of its class there that no class of the next period
came from), and the lists of moves are its rows with a negative or positive
``move`` (:func:`changes`). Nothing here imports Arrow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.result import Rows

__all__ = [
    "CHANGE_COLUMNS",
    "CLASSES",
    "FROM_STATES",
    "MOVE_COLUMNS",
    "NO_CLASS",
    "POOLED",
    "TO_STATES",
    "Tally",
    "came_from",
    "changes",
    "consecutive",
    "moves_of",
    "tally",
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
#: The columns :func:`with_moves` adds, which :func:`tally` and :func:`changes` read.
MOVE_COLUMNS: tuple[str, ...] = ("prev_value", "came", "biggest")

_ZERO = Decimal("0.00")


class Move(NamedTuple):
    """One cell of a migration matrix."""

    accounts: int
    value_before: Decimal
    value_after: Decimal


def came_from(came: object) -> str | None:
    """The class before of a row of :func:`with_moves` with ``came`` (None when it
    had none)."""
    code = int(str(came))
    return None if code == NO_CLASS else CLASSES[code]


def _money(value: object) -> Decimal:
    return _ZERO if value is None else Decimal(str(value)).quantize(_ZERO)


#: Up to this many grain periods, :func:`with_neighbours` spreads each account's
#: values over one row (one aggregate) instead of ordering its rows in a window.
SPREAD_UP_TO = 12


def with_neighbours(
    by_period: ir.Table,
    periods: Sequence[str],
    money: dt.DataType | None = None,
    *,
    pooled: Sequence[str] | None = None,
) -> ir.Table:
    """``account_id, pidx, value, prev_value``: the rows of ``by_period``
    (``account_id, period, value``, one row per account and grain period of
    ``periods``) with a positive value, and one pooled row per account with a
    positive sum (``pidx`` = ``len(periods)``).

    ``pidx``: position of the period in ``periods``; ``prev_value``: the account's
    value in the grain period before, null when it has none there (and on pooled
    rows). Up to :data:`SPREAD_UP_TO` periods each account's values are summed into
    one row and spread back to one row per period (no window); with more, a window
    over each account's rows finds the value before.

    ``money``: the type of ``value`` and ``prev_value`` (default the type of the
    sums); a narrower decimal that holds every sum (see
    :func:`kam.analysis.preagg.narrow_money`) makes the ranking that follows faster.
    ``pooled``: the periods the pooled row sums (default all of ``periods``; none:
    no pooled rows).
    """
    n = len(periods)
    sums_all = pooled is None or set(pooled) >= set(periods)
    summed = list(periods if pooled is None else pooled)
    if n <= SPREAD_UP_TO:
        v = by_period
        per = {
            f"v{i}": v.value.sum(where=v.period == label)
            for i, label in enumerate(periods)
        }
        total = v.value.sum() if sums_all else v.value.sum(where=v.period.isin(summed))
        w = v.group_by("account_id").agg(pooled=total, **per)
        money = money or w.pooled.type()
        none = ibis.null(money)
        parts = []
        for i in range(n + 1 if summed else n):
            value = w.pooled if i == n else w[f"v{i}"]
            before = w[f"v{i - 1}"] if 0 < i < n else none
            parts.append(
                w.filter(value > 0).select(
                    "account_id",
                    pidx=ibis.literal(i, "int64"),
                    value=value.cast(money),
                    prev_value=ibis.cases((before > 0, before.cast(money)), else_=none),
                )
            )
        return ibis.union(*parts)
    money = money or by_period.value.type()
    none = ibis.null(money)
    t = by_period.filter(by_period.value > 0)
    t = t.select(
        "account_id",
        pidx=t.period.cases(*((label, i) for i, label in enumerate(periods))).cast(
            "int64"
        ),
        value=t.value.cast(money),
    )
    chain = ibis.window(group_by=t.account_id, order_by=t.pidx)
    follows = t.pidx.lag().over(chain) == t.pidx - 1
    grain = t.mutate(
        prev_value=ibis.cases((follows, t.value.lag().over(chain)), else_=none)
    )
    if not summed:
        return grain
    positions = [periods.index(p) for p in summed]
    inside = t if sums_all else t.filter(t.pidx.isin(positions))
    sums = inside.group_by("account_id").agg(value=inside.value.sum())
    pooled_rows = sums.select(
        "account_id",
        pidx=ibis.literal(n, "int64"),
        value=sums.value.cast(money),
        prev_value=none,
    )
    return grain.union(pooled_rows)


#: ``came`` of a row without a class in the period before (no value there).
NO_CLASS = 3


def with_moves(t: ir.Table, money: str) -> ir.Table:
    """Classified rows of :func:`with_neighbours` (``class`` as codes 0 = A, 1 = B,
    2 = C; pooled rows have a null ``prev_value``) with ``came``: the code of the
    class the account had in the period before (that of ``prev_value`` under the
    thresholds of that period: a join with one row per period), :data:`NO_CLASS`
    without a value there; and ``biggest``, the larger of its two values, which
    orders the lists of :func:`changes`. ``value``, ``prev_value`` and ``biggest``
    are cast to ``money``.

    The rows of an exact integer count of cents are better served by
    :func:`moves_of`, which needs no join (a join hands the rows over in another
    order than the backend read them).
    """
    cls = t["class"]
    lows = t.group_by("pidx").agg(
        low_a=t.value.min(where=cls == 0), low_b=t.value.min(where=cls == 1)
    )
    lows = lows.select(after=lows.pidx + 1, low_a="low_a", low_b="low_b")
    j = t.left_join(lows, t.pidx == lows.after)
    before = j.prev_value
    came = ibis.cases(
        (before >= j.low_a, 0),
        (before >= j.low_b, 1),
        (before.notnull(), 2),
        else_=NO_CLASS,
    )
    value, prev_value = j.value.cast(money), before.cast(money)
    return j.select(
        *(c for c in t.columns if c not in ("value", "prev_value")),
        value=value,
        prev_value=prev_value,
        came=came.cast("int8"),
        biggest=ibis.greatest(prev_value, value),
    )


def moves_of(data: Any, periods: int) -> Any:
    """The fetched classified rows ``data`` (an Arrow table in period and rank
    order, ``class`` as codes, with ``value_cents`` and ``prev_cents``: the values as
    whole cents, −1 without a value before) with ``came`` as :func:`with_moves`
    gives it, counted from the rows instead of in the query.

    The class an account had in the period before is that of its value there under
    that period's thresholds (the smallest value of class A and of class B), found
    from the period's own rows. ``periods``: the number of grain periods (the pooled
    rows, ``pidx`` = ``periods``, have no period before). :func:`tally` and
    :func:`changes` read ``prev_cents`` where :func:`with_moves` gives
    ``prev_value`` and ``biggest``.
    """
    pidx = data.column("pidx").to_numpy()
    code = data.column("class").to_numpy()
    value = data.column("value_cents").to_numpy()
    prev = data.column("prev_cents").to_numpy()
    starts = pidx.searchsorted(list(range(periods + 2)))
    came = (code * 0 + NO_CLASS).astype("int8")
    for p in range(1, periods):
        lo, hi = int(starts[p]), int(starts[p + 1])
        before = slice(int(starts[p - 1]), lo)
        if lo == hi or before.start == before.stop:
            continue
        values, codes = value[before], code[before]
        low_a = values[codes == 0].min()
        in_b = values[codes == 1]
        pv = prev[lo:hi]
        at_a = pv >= low_a
        at_b = pv >= in_b.min() if len(in_b) else at_a
        has = pv >= 0
        # 0 at or above A's threshold, 1 at or above B's, 2 below; 3 without one.
        came[lo:hi] = (2 - at_a.astype("int8") - at_b.astype("int8")) * has + (
            NO_CLASS * ~has
        )
    # A list of one chunk: Arrow reads a bare array as a list of chunks.
    return data.append_column("came", [came])


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

    ``data``: the fetched rows (with the columns of :func:`with_moves`); ``name_of``:
    an account's name from its id. Only moves between classes count (``B → A`` is an
    upgrade, ``A → C`` a downgrade); ``new`` and ``lost`` are in the matrix, not in
    these lists. Per pair of periods (chronological), ordered by the size of the
    move, then by the larger of the two values, then by account_id. Columns:
    :data:`CHANGE_COLUMNS`.
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
