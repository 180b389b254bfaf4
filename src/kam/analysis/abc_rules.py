"""The ABC classification rule and the explanation of each class (analyses.md §2).

:func:`classified` ranks ``account_id, period, value`` rows and gives each its class
in one Ibis expression (window functions per period); :func:`why` writes the rule
that gave a row its class. :mod:`kam.analysis.abc_analysis` runs them over several
periods; selection, slipping, upsell, retention and the class tables reuse them.

Rules (``c1 < c2`` are the cut-offs, default 0.80 and 0.95):

- ``basis='value'``, ``boundary='upper'`` (default): A if the cumulative share
  *before* the account is below ``c1``, B if below ``c2``, else C. The account that
  crosses a cut-off joins the higher class.
- ``boundary='strict'``: A if the cumulative share *including* the account is at most
  ``c1``, B if at most ``c2``, else C.
- ``basis='count'``: the same rules on the share of accounts instead of value, with
  ``count_cutoffs`` (default 0.20, 0.50: top 20 %, next 30 %, rest). With ``upper``
  class A holds ``ceil(0.2 N)`` accounts; with ``strict`` ``floor(0.2 N)`` (at least
  one).
- Under every rule the top account is A, and accounts with equal values share the
  class of the first of them (ties are ordered by account_id).
- An account without a positive value in a period has no class there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from kam.analysis.pareto import percent
from kam.errors import ParameterError

__all__ = [
    "BASES",
    "BOUNDARIES",
    "check_cutoffs",
    "classes_of",
    "classified",
    "ranked",
    "why",
]

BOUNDARIES: tuple[str, ...] = ("upper", "strict")
BASES: tuple[str, ...] = ("value", "count")

#: Per basis, the columns that hold the share before and including an account: on
#: value they are the cumulative shares themselves, which are not fetched twice.
_MEASURES: dict[str, tuple[str, str]] = {
    "value": ("cum_share_before", "cum_share"),
    "count": ("measure_before", "measure"),
}


def check_cutoffs(
    cutoffs: Sequence[float], name: str = "cutoffs"
) -> tuple[float, float]:
    """Two increasing shares inside (0, 1), else ParameterError naming ``name``."""
    try:
        values = tuple(float(c) for c in cutoffs)
    except (TypeError, ValueError) as exc:
        raise ParameterError(name, f"{cutoffs!r} are not numbers") from exc
    if len(values) != 2:
        raise ParameterError(
            name, f"give two cut-offs such as 0.80,0.95, not {cutoffs!r}"
        )
    if not all(0.0 < c < 1.0 for c in values):
        raise ParameterError(name, f"{cutoffs!r}: each cut-off must be inside (0, 1)")
    if not values[0] < values[1]:
        raise ParameterError(name, f"{cutoffs!r}: the cut-offs must increase")
    return values[0], values[1]


def classified(
    per_period: ir.Table,
    *,
    cuts: tuple[float, float],
    boundary: str = "upper",
    basis: str = "value",
    by: str = "period",
) -> ir.Table:
    """Classes of ``account_id, period, value`` rows (values > 0), per period (per
    value of the column ``by``): :func:`classes_of` the rows :func:`ranked`."""
    return classes_of(
        ranked(per_period, by=by), cuts=cuts, boundary=boundary, basis=basis
    )


def ranked(per_period: ir.Table, *, by: str = "period") -> ir.Table:
    """``per_period`` (``account_id, value`` and the column ``by``, values > 0)
    with, per value of ``by``: ``rank`` (1 = the largest value, ties by
    account_id), ``tie_rank`` (the rank of the first of its tie group),
    ``cum_value`` (running sum down to the row), ``total`` and ``n`` (accounts)."""
    t = per_period
    part = t[by]
    order = [t.value.desc(), t.account_id.asc()]
    running = ibis.window(group_by=part, order_by=order, rows=(None, 0))
    # Equal values are peers: ``tie_rank`` is the rank of the first of them. The
    # same partition and leading order as ``running``, so the backend sorts once.
    peers = ibis.window(group_by=part, order_by=t.value.desc())
    whole = ibis.window(group_by=part)
    return t.mutate(
        rank=ibis.row_number().over(running) + 1,
        tie_rank=ibis.rank().over(peers) + 1,
        cum_value=t.value.sum().over(running),
        total=t.value.sum().over(whole),
        n=t.account_id.count().over(whole),
    )


def classes_of(
    t: ir.Table,
    *,
    cuts: tuple[float, float],
    boundary: str = "upper",
    basis: str = "value",
    coded: bool = False,
) -> ir.Table:
    """The rows of :func:`ranked` (or rows with its columns, such as a stored
    ranking) with ``share``, ``cum_share``, ``cum_share_before``, ``class`` and the
    measures the rule compared (``measure_before``, ``measure``): a projection, no
    window. ``coded``: ``class`` as 0 (A), 1 (B), 2 (C) instead of letters."""
    total = t.total.cast("float64")
    cum_share_before = (t.cum_value - t.value).cast("float64") / total
    cum_share = t.cum_value.cast("float64") / total
    # The first of the tie group comes ``rank - tie_rank`` rows before this one,
    # each with the same value: its running sum before it, exactly (decimals).
    first_before = t.cum_value - t.value * (t.rank - t.tie_rank + 1)
    if basis == "value":
        before, including = cum_share_before, cum_share
        first = first_before.cast("float64") / total
        first_in = (first_before + t.value).cast("float64") / total
    else:
        n = t.n.cast("float64")
        before, including = (t.rank - 1).cast("float64") / n, t.rank.cast("float64") / n
        first = (t.tie_rank - 1).cast("float64") / n
        first_in = t.tie_rank.cast("float64") / n
    c1, c2 = cuts
    # Classes only improve towards rank 1, so every account of a tie group takes
    # the class of its first (the smallest account_id), computed from its shares.
    a, b, c = (
        (ibis.literal(0, "int8"), ibis.literal(1, "int8"), ibis.literal(2, "int8"))
        if coded
        else (ibis.literal("A"), ibis.literal("B"), ibis.literal("C"))
    )
    if boundary == "upper":
        cls = ibis.cases((first < c1, a), (first < c2, b), else_=c)
    else:
        cls = ibis.cases(
            (t.tie_rank == 1, a),
            (first_in <= c1, a),
            (first_in <= c2, b),
            else_=c,
        )
    return t.mutate(
        share=t.value.cast("float64") / total,
        cum_share=cum_share,
        cum_share_before=cum_share_before,
        **{"class": cls},
        measure_before=before,
        measure=including,
    )


def why(
    row: Mapping[str, object], *, cuts: tuple[float, float], boundary: str, basis: str
) -> str:
    """The rule that gave a classified row its class (the ``why`` column); a row of
    a tie group that is not its first names the first (``tie_first``)."""
    cls = str(row["class"])
    if int(str(row["rank"])) == 1:
        return "top account → A"
    if row["tie_rank"] != row["rank"]:
        return f"same value as {row['tie_first']} (rank {row['tie_rank']}) → {cls}"
    c1, c2 = cuts
    if boundary == "upper":
        x = float(str(row[_MEASURES[basis][0]]))
        what = (
            "cumulative share before this account"
            if basis == "value"
            else "share of accounts ranked before this one"
        )
        if cls == "A":
            rule = f"{_pct(x, c1)} < {_cut(c1)}"
        elif cls == "B":
            rule = f"{_pct(x, c1)} ≥ {_cut(c1)}, < {_cut(c2)}"
        else:
            rule = f"{_pct(x, c2)} ≥ {_cut(c2)}"
    else:
        x = float(str(row[_MEASURES[basis][1]]))
        what = (
            "cumulative share including this account"
            if basis == "value"
            else "share of accounts up to this one"
        )
        if cls == "A":
            rule = f"{_pct(x, c1)} ≤ {_cut(c1)}"
        elif cls == "B":
            rule = f"{_pct(x, c1)} > {_cut(c1)}, ≤ {_cut(c2)}"
        else:
            rule = f"{_pct(x, c2)} > {_cut(c2)}"
    return f"{what} {rule} → {cls}"


def _cut(cut: float) -> str:
    text = f"{cut * 100:.6f}".rstrip("0").rstrip(".")
    return f"{text} %"


def _pct(x: float, cut: float) -> str:
    """``x`` as a percent with enough decimals not to look equal to ``cut``."""
    for decimals in range(1, 7):
        if x == cut or f"{x * 100:.{decimals}f}" != f"{cut * 100:.{decimals}f}":
            return percent(x, decimals=decimals)
    return percent(x, decimals=6)
