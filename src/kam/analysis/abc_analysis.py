"""ABC classes over several periods, with migration and XYZ (analyses.md §2).

Classes per grain period and for the pooled range are one Ibis expression (window
functions partitioned by the period's position), and so are each account's value
and class in the previous grain period (:mod:`kam.analysis.migration`). The rows are
fetched once, as Arrow (one query), and the class summary, the migration matrices
and the lists of moves are counted from that table (:mod:`kam.analysis.migration`).
The values are read through :func:`kam.analysis.preagg.period_sums`, which takes
whole years from the yearly rollup when the engine has one, and ranked as
``decimal(18, 2)`` when the facts learnt of them show that every sum fits
(:func:`kam.analysis.preagg.narrow_money`). Each row's explanation, the class it
shows for the period before and the account's name (the Accounts rows are fetched
apart, one per account) are written only when the row is read.

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
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from kam.analysis.migration import (
    CLASSES,
    MOVE_COLUMNS,
    POOLED,
    came_from,
    changes,
    tally,
    with_moves,
    with_neighbours,
)
from kam.analysis.pareto import percent
from kam.analysis.periods import GRAINS, Grain, grain_labels, grain_span, label_for
from kam.analysis.preagg import (
    METRIC_WORDS,
    metric_values,
    narrow_money,
    period_sums,
    scoped_values,
)
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.xyz import xyz_classes
from kam.errors import ParameterError

__all__ = [
    "BASES",
    "BOUNDARIES",
    "OUTPUT_COLUMNS",
    "POOLED",
    "abc",
    "abc_classes",
    "check_cutoffs",
]

BOUNDARIES: tuple[str, ...] = ("upper", "strict")
BASES: tuple[str, ...] = ("value", "count")
#: Sums of money keep two decimals on every backend.
_MONEY = "decimal(38, 2)"

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "grain period ('YYYY', 'YYYY-Qn', 'YYYY-MM') or 'pooled'"),
    ("rank", "1 = the largest value in the period; ties ordered by account_id"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("value", "the metric in the period (exact decimal)"),
    ("share", "value / total of the period"),
    ("cum_share", "cumulative share including this account"),
    ("cum_share_before", "cumulative share of the accounts ranked before it"),
    ("class", "A, B or C"),
    ("previous_class", "class in the previous period, 'new' if none; blank at first"),
    ("why", "the rule that gave the class"),
    ("cv", "coefficient of variation over the sub-periods (pooled rows, xyz=true)"),
    ("xyz", "X, Y or Z (pooled rows, xyz=true)"),
)


#: The columns of the classified table that the rows show or explain (the running
#: sums stay in the backend; ``previous_class`` is written from ``class`` and
#: ``move``, and ``name`` looked up, when a row is read), and ``pidx``, the position
#: of the row's period (pooled last).
_FETCHED: tuple[str, ...] = (
    *(
        name
        for name, _ in OUTPUT_COLUMNS
        if name not in ("name", "previous_class", "why", "cv", "xyz")
    ),
    "pidx",
    "tie_rank",
    "measure_before",
    "measure",
)
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


def _choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise ParameterError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def classified(
    per_period: ir.Table,
    *,
    cuts: tuple[float, float],
    boundary: str = "upper",
    basis: str = "value",
    by: str = "period",
) -> ir.Table:
    """Classes of ``account_id, period, value`` rows (values > 0), per period (per
    value of the column ``by``)."""
    t = per_period
    part = t[by]
    order = [t.value.desc(), t.account_id.asc()]
    running = ibis.window(group_by=part, order_by=order, rows=(None, 0))
    # Equal values are peers: ``tie_rank`` is the rank of the first of them. The
    # same partition and leading order as ``running``, so the backend sorts once.
    peers = ibis.window(group_by=part, order_by=t.value.desc())
    whole = ibis.window(group_by=part)
    t = t.mutate(
        rank=ibis.row_number().over(running) + 1,
        tie_rank=ibis.rank().over(peers) + 1,
        cum_value=t.value.sum().over(running),
        total=t.value.sum().over(whole),
        n=t.account_id.count().over(whole),
    )
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
    if boundary == "upper":
        cls = ibis.cases((first < c1, "A"), (first < c2, "B"), else_="C")
    else:
        cls = ibis.cases(
            (t.tie_rank == 1, "A"),
            (first_in <= c1, "A"),
            (first_in <= c2, "B"),
            else_="C",
        )
    return t.mutate(
        share=t.value.cast("float64") / total,
        cum_share=cum_share,
        cum_share_before=cum_share_before,
        **{"class": cls},
        measure_before=before,
        measure=including,
    )


def _why(
    row: Mapping[str, object], *, cuts: tuple[float, float], boundary: str, basis: str
) -> str:
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


def _fetch(
    by_period: ir.Table,
    periods: Sequence[str],
    *,
    cuts: tuple[float, float],
    boundary: str,
    basis: str,
    money: dt.DataType | None = None,
) -> Any:
    """The classified rows of every grain period and pooled, with what migration
    counts, ordered by period and rank: one query, fetched as Arrow.

    ``by_period``: ``account_id, period, value`` with ``period`` one of ``periods``;
    ``money``: a narrower type for the values while they are ranked (see
    :func:`kam.analysis.preagg.narrow_money`).
    """
    ranked = classified(
        with_neighbours(by_period, periods, money),
        cuts=cuts,
        boundary=boundary,
        basis=basis,
        by="pidx",
    )
    fetched = [c for c in _FETCHED if basis == "count" or not c.startswith("measure")]
    # Only what the rows show and migration reads goes on (the running sums, totals
    # and counts stay behind): fewer columns to keep for the join with the thresholds.
    kept = [c for c in fetched if c != "period"]
    moved = with_moves(ranked.select(*kept, "prev_value"), _MONEY)
    labels = moved.pidx.cases(*enumerate([*periods, POOLED]))
    columns = {c: moved[c] for c in (*kept, *MOVE_COLUMNS)}
    data = moved.select(period=labels, **columns).to_pyarrow()
    return _in_order(data)


def _in_order(data: Any) -> Any:
    """The fetched rows sorted by period position and rank.

    No ORDER BY in the query: the backend would sort every fetched column once
    more. The ranks of a period are 1 … n, so one integer key per row (``pidx ·
    (N + 1) + rank``) orders them; its stable sort is quick on the long sorted runs
    the backend hands over, and the columns are taken once in that order.
    """
    n = data.num_rows
    if n < 2:
        return data
    pidx = data.column("pidx").to_numpy().astype("int64")
    key = pidx * (n + 1) + data.column("rank").to_numpy()
    order = key.argsort(kind="stable")
    if bool((order[1:] > order[:-1]).all()):
        return data
    return data.take(order)


class _Names:
    """Account names by id, from the Accounts rows fetched once (``account_id,
    name``); the lookup table is built at the first name a row asks for."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._found: dict[object, object] | None = None

    def __call__(self, account_id: object) -> object:
        if self._found is None:
            if self._table is None:
                self._found = {}
            else:
                ids = self._table.column("account_id").to_pylist()
                names = self._table.column("name").to_pylist()
                # The first row of an id, as a join would show it once.
                self._found = dict(zip(reversed(ids), reversed(names), strict=True))
        return self._found.get(account_id)


def abc_classes(
    values: ir.Table,
    *,
    accounts: ir.Table | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    grain: Grain = "year",
    cutoffs: Sequence[float] = (0.80, 0.95),
    boundary: str = "upper",
    basis: str = "value",
    count_cutoffs: Sequence[float] = (0.20, 0.50),
    xyz: bool = False,
    fiscal_year_start: int = 1,
    as_of: date | None = None,
    metric: str = "revenue",
) -> AnalysisResult:
    """ABC classes per ``grain`` period and pooled over the range, with migration.

    ``values``: rows ``account_id, period, value`` (see :mod:`kam.analysis.preagg`).
    ``accounts``: the Accounts table, for names. Range default: the last three complete
    fiscal years (fewer, with a warning, when the data holds fewer). ``grain``: year
    (fiscal), quarter or month. ``cutoffs`` (0.80, 0.95), ``boundary`` (upper |
    strict), ``basis`` (value | count, with ``count_cutoffs`` 0.20, 0.50): see the
    module docstring. ``xyz``: add CV and X/Y/Z to the pooled rows
    (:mod:`kam.analysis.xyz`).

    Rows: :data:`OUTPUT_COLUMNS`, by period (chronological, then ``pooled``) and rank.
    Tables: ``classes`` (per period and class: accounts, account_share, value,
    value_share), ``migration`` (per consecutive pair of periods, the 16 cells of
    {A, B, C, new} × {A, B, C, lost} with accounts, value_before, value_after),
    ``upgrades`` and ``downgrades``. Raises ParameterError for bad cut-offs or choices,
    InputError for negative values or a range without rows.
    """
    cuts = check_cutoffs(cutoffs)
    count_cuts = check_cutoffs(count_cutoffs, "count_cutoffs")
    _choice(boundary, BOUNDARIES, "boundary")
    _choice(basis, BASES, "basis")
    _choice(grain, GRAINS, "grain")
    scope = scoped_values(
        values,
        metric=metric,
        period_from=period_from,
        period_to=period_to,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
        default_years=3,
    )
    rng = scope.range
    labels = {
        p.text: label_for(p, grain, fiscal_year_start, sheet=scope.sheet)
        for p in scope.periods
    }
    periods = grain_labels(rng.first, rng.last, grain, fiscal_year_start)
    warnings = list(scope.warnings)
    for label in periods:
        if not rng.covers(grain_span(label, fiscal_year_start)):
            warnings.append(
                f"period {label} is only partly inside the range {rng.text}"
            )

    kept = scope.values
    used = cuts if basis == "value" else count_cuts
    data = _fetch(
        period_sums(values, list(labels), labels),
        periods,
        cuts=used,
        boundary=boundary,
        basis=basis,
        money=narrow_money(values),
    )
    # The names are fetched apart (one row per account, not one per period) and
    # looked up when a row is read.
    name_of = _Names(
        None if accounts is None else accounts.select("account_id", "name").to_pyarrow()
    )
    counts = tally(data, periods)
    classes = counts.classes
    migration = counts.migration
    ups, downs = changes(data, periods, name_of)
    counted = dict.fromkeys(periods, 0)
    for r in classes:
        if r["period"] != POOLED:
            counted[str(r["period"])] += int(str(r["accounts"]))
    for label in periods:
        if not counted[label]:
            warnings.append(
                f"no {METRIC_WORDS[metric]} in {label}: no account has a class there"
            )

    cv_map: dict[str, tuple[float, str]] = {}
    if xyz:
        cv_map, xyz_warnings = xyz_classes(
            kept,
            scope.periods,
            rng,
            fiscal_year_start=fiscal_year_start,
            sheet=scope.sheet,
        )
        warnings += xyz_warnings

    # The rows are ordered by period and rank (1 … n in each period): the first of a
    # tie group is found from its rank, for the rows that explain a tie.
    starts: dict[int, int] = {}
    start = 0
    for pidx in sorted(counts.sizes):
        starts[pidx] = start
        start += counts.sizes[pidx]
    ids = data.column("account_id")
    last = len(periods)

    def shown(r: dict[str, object]) -> dict[str, object]:
        pidx = int(str(r["pidx"]))
        if r["tie_rank"] != r["rank"]:
            at = starts[pidx] + int(str(r["tie_rank"])) - 1
            r = {**r, "tie_first": ids[at].as_py()}
        cv = cv_map.get(str(r["account_id"])) if pidx == last else None
        return {
            "period": r["period"],
            "rank": r["rank"],
            "account_id": r["account_id"],
            "name": name_of(r["account_id"]),
            "value": r["value"],
            "share": r["share"],
            "cum_share": r["cum_share"],
            "cum_share_before": r["cum_share_before"],
            "class": r["class"],
            "previous_class": (
                None
                if pidx in (0, last)
                else (came_from(r["class"], r["move"]) or "new")
            ),
            "why": _why(r, cuts=used, boundary=boundary, basis=basis),
            "cv": cv[0] if cv else None,
            "xyz": cv[1] if cv else None,
        }

    rows = Rows(data, shown)
    tables: dict[str, list[dict[str, object]] | Rows] = {
        "classes": classes,
        "migration": migration,
        "upgrades": ups,
        "downgrades": downs,
    }

    pooled_summary = {str(r["class"]): r for r in classes if r["period"] == POOLED}
    n_pooled = sum(int(str(r["accounts"])) for r in pooled_summary.values())
    total = sum(
        (Decimal(str(r["value"])) for r in pooled_summary.values()), Decimal("0.00")
    )
    a_row = pooled_summary["A"]
    headline = (
        f"{a_row['accounts']} A accounts of {n_pooled} make "
        f"{percent(float(str(a_row['value_share'])))} of {METRIC_WORDS[metric]} "
        f"over {rng.text}"
    )
    summary: dict[str, object] = {
        "period_from": rng.label_from,
        "period_to": rng.label_to,
        "grain": grain,
        "periods": periods,
        "accounts": n_pooled,
        "total": str(total),
        "classes": {c: pooled_summary[c]["accounts"] for c in CLASSES},
        "value_shares": {c: pooled_summary[c]["value_share"] for c in CLASSES},
        "upgrades": len(ups),
        "downgrades": len(downs),
        "headline": headline,
    }
    if xyz and cv_map:
        summary["xyz"] = {
            x: sum(1 for _, c in cv_map.values() if c == x) for x in "XYZ"
        }
    parameters: dict[str, object] = {
        "metric": metric,
        "period_from": rng.label_from,
        "period_to": rng.label_to,
        "grain": grain,
        "cutoffs": list(cuts),
        "boundary": boundary,
        "basis": basis,
        "count_cutoffs": list(count_cuts),
        "xyz": xyz,
        "fiscal_year_start": fiscal_year_start,
        "as_of": as_of.isoformat() if as_of else None,
    }
    return AnalysisResult("abc", parameters, summary, rows, tables, warnings)


def abc(
    tables: Mapping[str, ir.Table],
    *,
    metric: str = "revenue",
    **options: object,
) -> AnalysisResult:
    """:func:`abc_classes` over the canonical tables keyed by store table name."""
    return abc_classes(
        metric_values(tables, metric),
        accounts=tables.get("accounts"),
        metric=metric,
        **options,  # type: ignore[arg-type]
    )
