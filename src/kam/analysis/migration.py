"""ABC class summary per period and class migration between consecutive periods."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal

__all__ = [
    "CLASSES",
    "FROM_STATES",
    "POOLED",
    "TO_STATES",
    "ClassMap",
    "abc_tables",
    "changes",
    "class_summary",
    "consecutive",
    "migration_matrix",
]

CLASSES: tuple[str, ...] = ("A", "B", "C")
#: The period label of the rows computed over the whole range.
POOLED = "pooled"
#: Where an account comes from: a class of the earlier period, or ``new`` (no value).
FROM_STATES: tuple[str, ...] = (*CLASSES, "new")
#: Where it goes: a class of the later period, or ``lost`` (no value any more).
TO_STATES: tuple[str, ...] = (*CLASSES, "lost")

#: The classes of one period: account_id -> (class, value).
ClassMap = Mapping[str, tuple[str, Decimal]]

_ZERO = Decimal("0.00")


def class_summary(period: str, classes: ClassMap) -> list[dict[str, object]]:
    """Per class A, B, C of one period: accounts, account_share, value, value_share.

    Shares are of the accounts with a class and of their total value; a class with no
    account has zeros (the template's two-sided chart wants all three).
    """
    n = len(classes)
    total = sum((v for _, v in classes.values()), _ZERO)
    out: list[dict[str, object]] = []
    for cls in CLASSES:
        members = [v for c, v in classes.values() if c == cls]
        value = sum(members, _ZERO)
        out.append(
            {
                "period": period,
                "class": cls,
                "accounts": len(members),
                "account_share": len(members) / n if n else 0.0,
                "value": value,
                "value_share": float(value / total) if total > 0 else 0.0,
            }
        )
    return out


def _state_pairs(
    before: ClassMap, after: ClassMap
) -> list[tuple[str, str, str, Decimal, Decimal]]:
    """(account_id, from_state, to_state, value_before, value_after) per account."""
    out = []
    for account in sorted(set(before) | set(after)):
        b = before.get(account)
        a = after.get(account)
        out.append(
            (
                account,
                b[0] if b else "new",
                a[0] if a else "lost",
                b[1] if b else _ZERO,
                a[1] if a else _ZERO,
            )
        )
    return out


def migration_matrix(
    period_from: str, period_to: str, before: ClassMap, after: ClassMap
) -> list[dict[str, object]]:
    """The migration matrix between two periods, one row per (from, to) cell.

    States: from {A, B, C, new} to {A, B, C, lost}; every one of the 16 cells is listed
    (``new → lost`` is always empty). ``accounts`` counts the accounts with a class in
    either period; ``value_before``/``value_after`` sum their values in each period.
    """
    keys = [(f, t) for f in FROM_STATES for t in TO_STATES]
    counts = dict.fromkeys(keys, 0)
    before_sum = dict.fromkeys(keys, _ZERO)
    after_sum = dict.fromkeys(keys, _ZERO)
    for _, f, t, vb, va in _state_pairs(before, after):
        counts[(f, t)] += 1
        before_sum[(f, t)] += vb
        after_sum[(f, t)] += va
    return [
        {
            "period_from": period_from,
            "period_to": period_to,
            "from_class": f,
            "to_class": t,
            "accounts": counts[(f, t)],
            "value_before": before_sum[(f, t)],
            "value_after": after_sum[(f, t)],
        }
        for f in FROM_STATES
        for t in TO_STATES
    ]


def changes(
    period_from: str,
    period_to: str,
    before: ClassMap,
    after: ClassMap,
    names: Mapping[str, object],
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(upgrades, downgrades) between two periods: accounts whose class moved.

    Only moves between classes count (``B → A`` is an upgrade, ``A → C`` a downgrade);
    ``new`` and ``lost`` are in the matrix, not in these lists. Ordered by the size of
    the move, then by the larger of the two values, then by account_id.
    """
    ups: list[dict[str, object]] = []
    downs: list[dict[str, object]] = []
    for account, f, t, vb, va in _state_pairs(before, after):
        if f not in CLASSES or t not in CLASSES or f == t:
            continue
        row: dict[str, object] = {
            "period_from": period_from,
            "period_to": period_to,
            "account_id": account,
            "name": names.get(account),
            "from_class": f,
            "to_class": t,
            "value_before": vb,
            "value_after": va,
        }
        (ups if t < f else downs).append(row)

    def order(row: Mapping[str, object]) -> tuple[int, Decimal, str]:
        steps = abs(ord(str(row["to_class"])) - ord(str(row["from_class"])))
        biggest = max(
            Decimal(str(row["value_before"])), Decimal(str(row["value_after"]))
        )
        return (-steps, -biggest, str(row["account_id"]))

    return sorted(ups, key=order), sorted(downs, key=order)


def consecutive(periods: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of consecutive periods."""
    return list(itertools.pairwise(periods))


def abc_tables(
    periods: Sequence[str],
    maps: Mapping[str, ClassMap],
    names: Mapping[str, object],
) -> dict[str, list[dict[str, object]]]:
    """The extra tables of an ABC result: ``classes`` for every label of ``periods``
    (the last one may be the pooled range), ``migration``, ``upgrades`` and
    ``downgrades`` between consecutive grain periods (the pooled label excluded)."""
    tables: dict[str, list[dict[str, object]]] = {
        "classes": [row for p in periods for row in class_summary(p, maps[p])],
        "migration": [],
        "upgrades": [],
        "downgrades": [],
    }
    grain_periods = [p for p in periods if p != POOLED]
    for a, b in consecutive(grain_periods):
        tables["migration"] += migration_matrix(a, b, maps[a], maps[b])
        ups, downs = changes(a, b, maps[a], maps[b], names)
        tables["upgrades"] += ups
        tables["downgrades"] += downs
    return tables
