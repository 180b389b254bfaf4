"""The rows an ABC classifies, and the class each account had in the period before.

An account's class in a period is a step function of its value there: equal values
share a class and a larger value never has a worse one. So the class an account had
in the previous grain period follows from its value there and that period's
*thresholds* (the smallest value of class A and of class B): no second ranking and
no window over each account's classified rows is needed.

:func:`with_neighbours` turns the values per account and grain period into the rows
to classify: each with its period's position (``pidx``) and the account's value in
the previous grain period (``prev_value``), plus one pooled row per account. With
few periods that is one aggregate per account spread back into rows (the pooled sum
comes with it); with many, a window over each account's rows. The class before
(``came``) is counted from the fetched rows by :func:`moves_of` when the values are
whole cents in 64 bits, else in the query by :func:`with_moves` (a join with one row
of thresholds per period). Nothing here imports Arrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

__all__ = ["NO_CLASS", "SPREAD_UP_TO", "moves_of", "with_moves", "with_neighbours"]

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
    :func:`kam.analysis.facts.narrow_money`) makes the ranking that follows faster.
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
