"""ABC class summary per period and class migration between consecutive periods.

Everything here is an Ibis expression over the classified rows extended by
:func:`with_neighbours`: besides their own ``pidx`` (position of the period),
``class`` and ``value``, they carry the class and value of the same account in the
previous grain period (``prev_class``, ``prev_value``) and its class in the next one
(``next_class``). The backend counts and sums; only the small
matrices and the lists of moves are fetched.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.result import Rows

__all__ = [
    "CLASSES",
    "FROM_STATES",
    "POOLED",
    "TO_STATES",
    "changes",
    "class_summary",
    "consecutive",
    "migration_matrix",
    "moves",
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
    # Pooled rows are their own chain, so that they never pass for a next period.
    chain = ibis.window(group_by=[t.account_id, t.period == POOLED], order_by=t.pidx)
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
            (grain & (t.lead_idx == t.pidx + 1), t.lead_class),
            else_=ibis.null("string"),
        ),
    )
    return t.mutate(
        previous_class=ibis.cases(
            (~grain | (t.pidx == 0), ibis.null("string")),
            else_=t.prev_class.fill_null("new"),
        )
    ).drop("lag_idx", "lag_class", "lag_value", "lead_idx", "lead_class")


def class_summary(data: ir.Table, periods: Sequence[str]) -> list[dict[str, object]]:
    """Per period of ``periods`` and class A, B, C: accounts, account_share, value,
    value_share.

    Shares are of the accounts with a class in the period and of their total value; a
    class with no account has zeros (the template's two-sided chart wants all three).
    """
    grouped = (
        data.group_by("period", "class")
        .agg(accounts=data.account_id.count(), value=data.value.sum())
        .to_pyarrow()
    )
    found = {
        (r["period"], r["class"]): (int(r["accounts"]), _money(r["value"]))
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


def moves(data: ir.Table, periods: Sequence[str]) -> ir.Table:
    """One row per account and consecutive pair of grain ``periods`` in which it has
    a class on either side: ``pair`` (position of the later period), ``from_class``
    ({A, B, C, new}), ``to_class`` ({A, B, C, lost}), ``value_before``,
    ``value_after``."""
    last = len(periods) - 1
    money = data.value.type()
    zero = ibis.literal(_ZERO, type=money)
    arrived = data.filter((data.pidx > 0) & (data.pidx <= last))
    arrivals = arrived.select(
        pair=arrived.pidx,
        from_class=arrived.prev_class.fill_null("new"),
        to_class=arrived["class"],
        value_before=arrived.prev_value.fill_null(zero),
        value_after=arrived.value,
    )
    left = data.filter((data.pidx < last) & data.next_class.isnull())
    departures = left.select(
        pair=left.pidx + 1,
        from_class=left["class"],
        to_class=ibis.literal("lost"),
        value_before=left.value,
        value_after=zero,
    )
    return arrivals.union(departures)


def migration_matrix(data: ir.Table, periods: Sequence[str]) -> list[dict[str, object]]:
    """The migration matrices between consecutive grain ``periods``.

    One row per pair and (from, to) cell, states from {A, B, C, new} to {A, B, C,
    lost}; every one of the 16 cells is listed (``new → lost`` is always empty).
    ``accounts`` counts the accounts with a class in either period;
    ``value_before``/``value_after`` sum their values in each period.
    """
    if len(periods) < 2:
        return []
    m = moves(data, periods)
    grouped = (
        m.group_by("pair", "from_class", "to_class")
        .agg(
            accounts=m.pair.count(),
            value_before=m.value_before.sum(),
            value_after=m.value_after.sum(),
        )
        .to_pyarrow()
    )
    found = {
        (r["pair"], r["from_class"], r["to_class"]): r for r in grouped.to_pylist()
    }
    out: list[dict[str, object]] = []
    for pair, (a, b) in enumerate(consecutive(periods), 1):
        for f in FROM_STATES:
            for t in TO_STATES:
                r = found.get((pair, f, t))
                out.append(
                    {
                        "period_from": a,
                        "period_to": b,
                        "from_class": f,
                        "to_class": t,
                        "accounts": int(r["accounts"]) if r else 0,
                        "value_before": _money(r["value_before"] if r else None),
                        "value_after": _money(r["value_after"] if r else None),
                    }
                )
    return out


def _class_number(column: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases((column == "A", 0), (column == "B", 1), else_=2)


def changes(data: ir.Table, periods: Sequence[str]) -> tuple[Rows, Rows]:
    """(upgrades, downgrades) between consecutive grain ``periods``.

    Only moves between classes count (``B → A`` is an upgrade, ``A → C`` a downgrade);
    ``new`` and ``lost`` are in the matrix, not in these lists. Per pair of periods
    (chronological), ordered by the size of the move, then by the larger of the two
    values, then by account_id. Columns: period_from, period_to, account_id, name,
    from_class, to_class, value_before, value_after.
    """
    moved = data.filter(
        (data.pidx > 0)
        & (data.pidx < len(periods))
        & data.prev_class.notnull()
        & (data.prev_class != data["class"])
    )
    labels = {str(i): label for i, label in enumerate(periods)}
    pair = moved.pidx.cast("string")
    to_num = _class_number(moved["class"])
    from_num = _class_number(moved.prev_class)
    table = moved.select(
        period_from=(moved.pidx - 1).cast("string").substitute(labels),
        period_to=pair.substitute(labels),
        account_id=moved.account_id,
        name=moved.name,
        from_class=moved.prev_class,
        to_class=moved["class"],
        value_before=moved.prev_value,
        value_after=moved.value,
        _pair=moved.pidx,
        _steps=(to_num - from_num).abs(),
        _biggest=ibis.greatest(moved.prev_value, moved.value),
        _up=to_num < from_num,
    )
    shown = [c for c in table.columns if not c.startswith("_")]

    def fetch(up: bool) -> Rows:
        part = table.filter(table._up == up).order_by(
            table._pair, table._steps.desc(), table._biggest.desc(), table.account_id
        )
        return Rows(part.select(shown).to_pyarrow())

    return fetch(True), fetch(False)


def consecutive(periods: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of consecutive periods."""
    return list(itertools.pairwise(periods))
