"""Reading a values table by period: its periods, relabelled, and per-account sums.

A values table (``account_id, period, value``, see :mod:`kam.analysis.preagg`) is read
through :func:`distinct_periods` (its distinct periods, parsed, answered from the
facts learnt of it when there are some), :func:`relabel` / :func:`renamed` (its
periods renamed to coarser labels) and :func:`period_sums` (the values of some
periods summed per account, or per account and label). With facts learnt
(:func:`kam.analysis.facts.learn_facts`), :func:`period_sums` reads a rollup row
wherever the periods it sums are all among those asked for and share one label, and
the values table only for the rest; without facts it reads the values table alone
(same sums). Every name here is importable from :mod:`kam.analysis.preagg` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.facts import known_facts
from kam.analysis.periods import Period, parse_period
from kam.errors import InputError

__all__ = ["distinct_periods", "period_sums", "relabel", "renamed"]


def distinct_periods(
    values: ir.Table, *, column: str = "period", sheet: str = "Revenue"
) -> list[Period]:
    """The distinct periods of a table, parsed; a malformed one is an InputError."""
    known = known_facts(values) if column == "period" else None
    if known is not None:
        found: list[str | None] = list(known.periods)
    else:
        found = values.select(column).distinct().to_pyarrow().column(column).to_pylist()
    parsed: list[Period] = []
    for text in found:
        if text is None:
            raise InputError(f"the {sheet} sheet has rows without a {column}")
        parsed.append(parse_period(text, what=f"{sheet} {column}"))
    return parsed


def relabel(values: ir.Table, labels: Mapping[str, str]) -> ir.Table:
    """Keep the rows whose period is a key of ``labels`` and rename their periods.

    Compiles to ``IN (...)`` and a prefix (``'2024-05'`` → ``'2024'``) or ``CASE``,
    which every backend runs.
    """
    return renamed(values.filter(values.period.isin(list(labels))), labels)


def renamed(values: ir.Table, labels: Mapping[str, str]) -> ir.Table:
    """Rename the periods of ``values`` (every one a key of ``labels``) to their
    labels, without filtering (see :func:`relabel`)."""
    kept = values
    if all(label == text for text, label in labels.items()):
        return kept
    lengths = {len(label) for label in labels.values()}
    if len(lengths) == 1 and all(text.startswith(lb) for text, lb in labels.items()):
        # Calendar years of months or quarters: a prefix, much cheaper than a CASE
        # with one branch per period on every row.
        return kept.mutate(period=kept.period.left(lengths.pop()))
    return kept.mutate(period=kept.period.substitute(dict(labels)))


def period_sums(
    values: ir.Table,
    periods: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> ir.Table:
    """The values of ``periods`` summed per account (``labels=None``: columns
    ``account_id, value``) or per account and label (``labels`` maps each period to
    its label: columns ``account_id, period, value``).

    Exact decimal sums whatever is read: with facts learnt (:func:`learn_facts`), a
    rollup row stands for the periods it sums when they are all in ``periods`` and
    share one label, and the values table is read for the other periods only (without
    a period filter when they are all its periods); without facts the values table
    is filtered and summed.
    """
    wanted = list(dict.fromkeys(periods))
    target: Mapping[str, str] = (
        labels if labels is not None else dict.fromkeys(wanted, "")
    )
    facts = known_facts(values)
    left = set(wanted)
    # (table, its periods to read → label, whether that is every period it holds,
    # whether the table holds one row per account and period)
    parts: list[tuple[ir.Table, dict[str, str], bool, bool]] = []
    if facts is not None:
        for rollup in facts.rollups:
            usable: dict[str, str] = {}
            for label, members in rollup.groups.items():
                if left.issuperset(members) and len({target[m] for m in members}) == 1:
                    usable[label] = target[members[0]]
                    left.difference_update(members)
            if usable:
                whole = len(usable) == len(rollup.groups)
                parts.append((rollup.table, usable, whole, True))
    if left or not parts:
        whole = facts is not None and left == {p for p in facts.periods if p}
        parts.append(
            (values, {p: target[p] for p in wanted if p in left}, whole, False)
        )
    pieces: list[ir.Table] = []
    for table, mapping, whole, _ in parts:
        t = table if whole else table.filter(table.period.isin(list(mapping)))
        if labels is None:
            pieces.append(t.select("account_id", "value"))
        else:
            pieces.append(renamed(t, mapping).select("account_id", "period", "value"))
    if len({p.value.type() for p in pieces}) > 1:
        # A union wants one type: the values table's own (a rollup sums values of
        # that type, so its scale holds them), widened to 38 digits when known.
        money = values.value.type()
        if money.is_decimal() and money.scale is not None:
            money = dt.Decimal(38, money.scale)
        pieces = [p.mutate(value=p.value.cast(money)) for p in pieces]
    combined = pieces[0] if len(pieces) == 1 else ibis.union(*pieces)
    keys = ["account_id"] if labels is None else ["account_id", "period"]
    _, mapping, _, one_row_each = parts[0]
    # One rollup whose labels map one-to-one: its rows are the sums already.
    if len(parts) == 1 and one_row_each and len(set(mapping.values())) == len(mapping):
        return combined
    return combined.group_by(keys).agg(value=combined.value.sum())
