"""ABC classes over several periods, with migration and XYZ (analyses.md §2).

Classes per grain period and for the pooled range, with each account's class in the
previous grain period, are fetched once, as Arrow (:mod:`kam.analysis.abc_fetch`):
ranked at query time (window functions partitioned by the period's position), or,
for whole calendar years and the default range, read from the ranks the engine
stores once per data version (:mod:`kam.analysis.year_ranks`). The class summary,
the migration matrices and the lists of moves are counted from that table
(:mod:`kam.analysis.migration`). The values are read through
:func:`kam.analysis.period_reads.period_sums`, which takes whole years from the
yearly rollup when the engine has one, and ranked as ``decimal(18, 2)`` when the
facts learnt of them show that every sum fits
(:func:`kam.analysis.facts.narrow_money`). Each row's explanation, the class it
shows for the period before and the account's name (the Accounts rows are fetched
apart, one per account) are written only when the row is read.

The rules that give a class (cut-offs, ``boundary``, ``basis``, ties) and the text
that explains it are in :mod:`kam.analysis.abc_rules`; :func:`check_cutoffs` and
:func:`classified` are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import ibis.expr.types as ir

from kam.analysis.abc_fetch import fetch_computed, fetch_stored
from kam.analysis.abc_rules import (
    BASES,
    BOUNDARIES,
    check_cutoffs,
    classified,
    why,
)
from kam.analysis.facts import known_facts, narrow_money
from kam.analysis.lookups import account_names
from kam.analysis.migration import (
    CLASSES,
    POOLED,
    came_from,
    changes,
    tally,
)
from kam.analysis.pareto import percent
from kam.analysis.period_reads import period_sums
from kam.analysis.periods import GRAINS, Grain, grain_labels, grain_span, label_for
from kam.analysis.preagg import METRIC_WORDS, metric_values, scoped_values
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.xyz import xyz_classes
from kam.analysis.year_ranks import stored_ranks, stored_years
from kam.errors import ParameterError

__all__ = [
    "BASES",
    "BOUNDARIES",
    "OUTPUT_COLUMNS",
    "POOLED",
    "abc",
    "abc_classes",
    "check_cutoffs",
    "classified",
]

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


def _choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise ParameterError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


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
    strict), ``basis`` (value | count, with ``count_cutoffs`` 0.20, 0.50): see
    :mod:`kam.analysis.abc_rules`. ``xyz``: add CV and X/Y/Z to the pooled rows
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
    # Whole calendar years: the ranks of each year and of the default range are
    # stored once per data version (kam.analysis.year_ranks), when the engine keeps
    # them for these values.
    whole_years = (
        grain == "year"
        and fiscal_year_start == 1
        and all(rng.covers(grain_span(label)) for label in periods)
    )
    money = narrow_money(values)
    stored = stored_ranks(values, periods, periods) if whole_years else None
    # Other whole calendar years: their stored ranks, and the pooled sums ranked
    # here (the moves are then counted from the rows, in cents).
    ranks = stored or (
        stored_years(values, periods) if whole_years and money is not None else None
    )
    if ranks is not None:
        data = fetch_stored(
            ranks,
            periods,
            cuts=used,
            boundary=boundary,
            basis=basis,
            cents=money is not None,
            pooled=None if stored else period_sums(values, list(labels)),
        )
    else:
        data = fetch_computed(
            period_sums(values, list(labels), labels),
            periods,
            cuts=used,
            boundary=boundary,
            basis=basis,
            money=money,
        )
    # The names are fetched apart (one row per account, not one per period) and
    # looked up when a row is read.
    name_of = account_names(accounts)
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
            # The engine's sums (facts learnt) hold one row per account and period.
            unique=known_facts(values) is not None,
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
    labels_of = [*periods, POOLED]

    def shown(r: dict[str, object]) -> dict[str, object]:
        pidx = int(str(r["pidx"]))
        if r["tie_rank"] != r["rank"]:
            at = starts[pidx] + int(str(r["tie_rank"])) - 1
            r = {**r, "tie_first": ids[at].as_py()}
        cv = cv_map.get(str(r["account_id"])) if pidx == last else None
        cls = CLASSES[int(str(r["class"]))]
        r = {**r, "class": cls}
        return {
            "period": labels_of[pidx],
            "rank": r["rank"],
            "account_id": r["account_id"],
            "name": name_of(r["account_id"]),
            "value": r["value"],
            "share": r["share"],
            "cum_share": r["cum_share"],
            "cum_share_before": r["cum_share_before"],
            "class": cls,
            "previous_class": (
                None if pidx in (0, last) else (came_from(r["came"]) or "new")
            ),
            "why": why(r, cuts=used, boundary=boundary, basis=basis),
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
