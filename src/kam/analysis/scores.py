"""Score expressions of the scoring matrix: per criterion and per account.

Everything per account is an Ibis expression run in the backend: the score of each
(account, criterion) pair (:func:`criterion_scores`), the section sums, section
scores and overall score of each account (:func:`account_scores`,
:func:`account_matrix`), read from the Scores rows or from their per-data-version
pre-aggregates.

The pieces around it live beside it and stay importable from here: the score
values and shared helpers in :mod:`kam.analysis.score_values`, the pre-aggregates
in :mod:`kam.analysis.score_preagg`, the criteria and disagreement tables and the
checks of the Scores rows in :mod:`kam.analysis.score_details`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir

from kam.analysis.criteria import SECTIONS, Criterion
from kam.analysis.score_details import (
    criteria_table,
    criterion_stats,
    disagreement_rows,
    reject_bad_scores,
)
from kam.analysis.score_preagg import (
    COUNT_COLUMNS,
    SCORES_BY_ACCOUNT,
    SCORES_BY_CRITERION,
    count_columns,
    one_rater,
    rater_groups,
    scores_by_account,
    scores_by_criterion,
    wide_ids,
)
from kam.analysis.score_values import SCALE, decimals, ones, x_column

__all__ = [
    "SCALE",
    "SCORES_BY_ACCOUNT",
    "SCORES_BY_CRITERION",
    "account_matrix",
    "account_scores",
    "criteria_table",
    "criterion_scores",
    "criterion_stats",
    "decimals",
    "disagreement_rows",
    "ones",
    "reject_bad_scores",
    "scores_by_account",
    "scores_by_criterion",
    "x_column",
]

#: Most criteria whose disagreement flags the pre-aggregated scoring sums into one
#: integer per account (exact as a double too, as a backend may divide one).
_FLAG_BITS = 30


def _lookup(
    column: ir.StringValue, mapping: Mapping[str, object], dtype: str
) -> ir.Value:
    branches = [
        (column == key, ibis.literal(v, type=dtype)) for key, v in mapping.items()
    ]
    return ibis.cases(*branches, else_=ibis.null(dtype))


def criterion_scores(
    scores: ir.Table,
    criteria: Sequence[Criterion],
    *,
    aggregate: str = "mean",
    disagreement: float = 3.0,
) -> ir.Table:
    """One row per (account, criterion) scored.

    Columns: ``account_id, criterion_id, x`` (mean or median of the raters'
    scores), ``low, high`` (lowest and highest rater), ``raters``, ``flag`` (high −
    low > ``disagreement``), ``dups`` (1 when one rater gave both of two scores),
    ``multi`` (1 when the pair has more than two scores, to be checked exactly),
    ``bad`` (scores outside 1–10 or blank), ``section`` and ``w`` (the criterion's
    share of its section's weight; null for an unknown criterion).
    """
    rater = ibis.coalesce(scores.rater.cast("string"), ibis.literal(""))
    s = scores.select("account_id", "criterion_id", "score", rater=rater)
    keys = ["account_id", "criterion_id"]
    bad = ones(s.score.isnull() | (s.score < 1) | (s.score > 10))
    if aggregate == "median":
        ordered = ibis.window(group_by=keys, order_by=[s.score, s.rater])
        s = s.mutate(
            pos=ibis.row_number().over(ordered),
            cnt=s.score.count().over(ibis.window(group_by=keys)),
        )
        # 0-based positions (cnt − 1) // 2 and cnt // 2 hold the median's values.
        mid = (s.pos == (s.cnt - 1) // 2) | (s.pos == s.cnt // 2)
        value = ibis.cases((mid, s.score), else_=ibis.null("float64")).mean()
    else:
        value = s.score.mean()
    # One group-by over the raw rows, without COUNT(DISTINCT) (several times
    # slower): two rows of one rater show as min = max; pairs with three or more
    # rows are marked ``multi`` and checked exactly by reject_bad_scores.
    pc = s.group_by(keys).agg(
        x=value,
        low=s.score.min(),
        high=s.score.max(),
        raters=s.count(),
        first_rater=s.rater.min(),
        last_rater=s.rater.max(),
        bad=bad.sum(),
    )
    pc = pc.mutate(
        dups=ones((pc.raters == 2) & (pc.first_rater == pc.last_rater)),
        multi=ones(pc.raters > 2),
    ).drop("first_rater", "last_rater")
    ids = [c.criterion_id for c in criteria]
    return pc.mutate(
        flag=(pc.high - pc.low) > disagreement,
        section=_lookup(
            pc.criterion_id, {c.criterion_id: c.section for c in criteria}, "string"
        ),
        w=_lookup(
            pc.criterion_id,
            {c.criterion_id: float(c.share) for c in criteria},
            "float64",
        ),
        index=_lookup(pc.criterion_id, {cid: i for i, cid in enumerate(ids)}, "int64"),
    )


def account_scores(
    per_criterion: ir.Table,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    *,
    wide: bool = False,
) -> ir.Table:
    """One row per account scored.

    Columns: ``account_id``; per section ``num_<s>`` (Σ w x), ``den_<s>`` (Σ w) and
    ``<s>`` (the section score, unrounded); ``overall`` (unrounded), ``weight_sum``
    (Σ V over the account's scored sections), ``criteria_scored``, ``unknown``
    (scores of criteria not on the Criteria sheet), ``disagreements``, ``dups``,
    ``multi``, ``bad``; with ``wide`` also ``x_<i>`` (the score) and ``flag_<i>`` (1
    when its raters disagree) per criterion (in ``criteria`` order).
    """
    pc = per_criterion
    aggs: dict[str, ir.Value] = {}
    for s in SECTIONS:
        here = pc.section == s
        aggs[f"num_{s}"] = ibis.cases(
            (here, pc.w * pc.x), else_=ibis.null("float64")
        ).sum()
        aggs[f"den_{s}"] = ibis.cases((here, pc.w), else_=ibis.null("float64")).sum()
    if wide:
        for i in range(len(criteria)):
            here = pc.index == i
            aggs[x_column(i)] = ibis.cases(
                (here, pc.x), else_=ibis.null("float64")
            ).max()
            aggs[f"flag_{i}"] = ibis.cases((here & pc.flag, 1), else_=0).max()
    t = pc.group_by("account_id").agg(
        criteria_scored=pc.section.count(),
        unknown=ones(pc.section.isnull()).sum(),
        disagreements=ones(pc.flag).sum(),
        dups=pc.dups.sum(),
        multi=pc.multi.sum(),
        bad=pc.bad.sum(),
        **aggs,
    )
    return _with_overall(t, criteria, section_weights)


def account_matrix(
    scores: ir.Table,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    *,
    aggregate: str = "mean",
    disagreement: float = 3.0,
    pairs: ir.Table | None = None,
    wide: ir.Table | None = None,
) -> ir.Table:
    """The wide per-account table of :func:`account_scores` (``wide=True``) straight
    from the Scores rows, or from their pre-aggregate ``pairs``
    (:func:`scores_by_criterion`) when given with ``aggregate='mean'``.

    With ``aggregate='mean'`` this is one GROUP BY account over the raw rows, each
    criterion's figures being conditional aggregates (mean, lowest and highest
    rater, rows, first and last rater), instead of a group-by per (account,
    criterion) followed by one per account: the per-pair table has as many groups
    as there are scores to combine and costs several times more. The median needs
    the raters in order and goes through :func:`criterion_scores`. With ``wide``
    (:func:`scores_by_account`, the same conditional aggregates built once per data
    version) holding the criteria's ids, the mean reads it instead: one row per
    account, no group-by.
    """
    if aggregate != "mean":
        pc = criterion_scores(
            scores, criteria, aggregate=aggregate, disagreement=disagreement
        )
        return account_scores(pc, criteria, section_weights, wide=True)
    ids = [c.criterion_id for c in criteria]
    if wide is not None and wide_ids(wide) == sorted(ids):
        # Read in place (no renaming projection for Ibis to merge).
        return _matrix(
            wide,
            criteria,
            section_weights,
            disagreement,
            spread=lambda i: wide[f"spread__{ids[i]}"],
            dup=lambda i: wide[f"dup__{ids[i]}"],
            name=lambda kind, i: f"{kind}__{ids[i]}",
        )
    if pairs is not None:
        return _pairs_matrix(pairs, criteria, section_weights, disagreement)
    g = rater_groups(scores, ids)
    return _matrix(
        g,
        criteria,
        section_weights,
        disagreement,
        spread=lambda i: g[f"high_{i}"] - g[f"low_{i}"],
        dup=lambda i: one_rater(g, i),
    )


def _pairs_matrix(
    pairs: ir.Table,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    disagreement: float,
) -> ir.Table:
    """:func:`account_matrix` from the pre-aggregated pairs: each criterion's
    number (``idx``) is looked up once per pair, and only the score and the flag
    are spread into columns; the counts are sums over the account's pairs. With
    at most :data:`_FLAG_BITS` criteria the table also has ``flags`` (bit ``i`` set
    when ``flag_<i>`` is 1)."""
    ids = [c.criterion_id for c in criteria]
    idx = _lookup(pairs.criterion_id, {cid: i for i, cid in enumerate(ids)}, "int64")
    bits = len(ids) <= _FLAG_BITS
    more: dict[str, ir.Value] = {}
    if bits:
        more["bit"] = _lookup(
            pairs.criterion_id, {cid: 2**i for i, cid in enumerate(ids)}, "int32"
        )
    p = pairs.select(
        "account_id",
        "x",
        "raters",
        "dups",
        "bad",
        idx=idx,
        flag=ones((pairs.high - pairs.low) > disagreement),
        **more,
    )
    known = p.idx.notnull()
    aggs: dict[str, ir.Value] = {}
    for i in range(len(ids)):
        here = p.idx == i
        aggs[x_column(i)] = ibis.cases((here, p.x), else_=ibis.null("float64")).max()
        if not bits:
            aggs[f"flag_{i}"] = ibis.cases((here, p.flag), else_=0).max()
    if bits:
        # The flags of an account in one sum of distinct powers of two (each pair
        # once per account), spread into flag_<i> after the group-by: one
        # aggregate instead of one per criterion, which cost more than the scores.
        aggs["flags"] = ibis.cases((p.flag == 1, p.bit), else_=0).sum()
    g = p.group_by("account_id").agg(
        unknown=ones(~known).sum(),
        bad=p.bad.sum(),
        criteria_scored=ones(known & (p.raters > 0)).sum(),
        disagreements=ibis.cases((known, p.flag), else_=0).sum(),
        dups=ibis.cases((known, p.dups), else_=0).sum(),
        multi=ones(known & (p.raters > 2)).sum(),
        **aggs,
    )
    spread: dict[str, ir.Value] = {}
    if bits:
        spread = {f"flag_{i}": (g.flags // 2**i) % 2 for i in range(len(ids))}
    # One projection for the flags and the section sums (each stacked projection
    # costs Ibis a merge when it compiles the query).
    return _with_overall(
        g.mutate(**spread, **_section_sums(criteria, lambda i: g[x_column(i)])),
        criteria,
        section_weights,
    )


def _section_sums(
    criteria: Sequence[Criterion], score: Callable[[int], ir.FloatingValue]
) -> dict[str, ir.Value]:
    """``num_<s>`` (Σ w x) and ``den_<s>`` (Σ w) over the criteria of each section
    the account has a score for (``score(i)``: criterion number ``i``'s column);
    null when it has none in the section, as SUM over no rows."""
    nums: dict[str, ir.FloatingValue] = {}
    dens: dict[str, ir.FloatingValue] = {}
    for i, c in enumerate(criteria):
        x = score(i)
        w = float(c.share)
        nums[c.section] = nums.get(c.section, ibis.literal(0.0)) + ibis.cases(
            (x.notnull(), x * w), else_=0.0
        )
        dens[c.section] = dens.get(c.section, ibis.literal(0.0)) + ibis.cases(
            (x.notnull(), w), else_=0.0
        )
    sums: dict[str, ir.Value] = {}
    for sec in SECTIONS:
        den = dens.get(sec, ibis.literal(0.0))
        some = ibis.literal(False)
        for i, c in enumerate(criteria):
            if c.section == sec:
                some = some | score(i).notnull()
        nothing = ibis.null("float64")
        # Doubles on every backend (PostgreSQL reads a literal 0.0 as numeric).
        num = ibis.cases((some, nums.get(sec, 0.0)), else_=nothing)
        sums[f"num_{sec}"] = _double(num)
        sums[f"den_{sec}"] = _double(ibis.cases((some, den), else_=nothing))
    return sums


def _matrix(
    g: ir.Table,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    disagreement: float,
    *,
    spread: Callable[[int], ir.FloatingValue],
    dup: Callable[[int], ir.IntegerValue],
    name: Callable[[str, int], str] = lambda kind, i: f"{kind}_{i}",
) -> ir.Table:
    """The wide per-account table from ``g``: one row per account with ``x_<i>``
    and ``rows_<i>`` per criterion (named ``name('x', i)`` and ``name('rows',
    i)`` in ``g``), ``unknown`` and ``bad``; ``spread(i)`` is the gap between the
    criterion's lowest and highest rater, ``dup(i)`` 1 when one rater scored it
    twice."""
    zero: ir.IntegerValue = ibis.literal(0)
    flagged = zero
    per: dict[str, ir.Value] = {}
    for i in range(len(criteria)):
        flag = ones(spread(i) > disagreement)
        per[f"flag_{i}"] = flag
        flagged = flagged + flag
    # The counts over every criterion, read when ``g`` holds them
    # (:func:`scores_by_account`): fewer expressions to compile.
    counts: dict[str, ir.Value] = {k: g[k] for k in COUNT_COLUMNS if k in g.columns}
    if len(counts) < len(COUNT_COLUMNS):
        counts = count_columns(
            len(criteria), lambda i: g[name("rows", i)], dup, COUNT_COLUMNS
        )
    sums = _section_sums(criteria, lambda i: g[name("x", i)])
    t = g.select(
        "account_id",
        "unknown",
        "bad",
        **{x_column(i): g[name("x", i)] for i in range(len(criteria))},
        criteria_scored=counts["criteria_scored"],
        disagreements=flagged,
        dups=counts["dups"],
        multi=counts["multi"],
        **per,
        **sums,
    )
    return _with_overall(t, criteria, section_weights)


def _double(value: ir.Value) -> ir.FloatingValue:
    """``value`` cast to a double in the SQL itself: Ibis drops a cast to the type
    it already infers, but a backend may compute a sum of literals as a decimal
    (PostgreSQL and DuckDB read ``0.0`` as one) and hand the column back so."""
    expr: ir.FloatingValue = ops.Cast(value, to=dt.float64).to_expr()
    return expr


def _with_overall(
    t: ir.Table, criteria: Sequence[Criterion], section_weights: Mapping[str, Decimal]
) -> ir.Table:
    """Section scores, ``weight_sum`` and ``overall`` from ``num_<s>``/``den_<s>``."""
    used = {c.section for c in criteria}
    num: ir.FloatingValue = ibis.literal(0.0)
    den: ir.FloatingValue = ibis.literal(0.0)
    sections: dict[str, ir.Value] = {}
    for s in SECTIONS:
        score = t[f"num_{s}"] / t[f"den_{s}"].nullif(0.0)
        sections[s] = score
        v = float(section_weights[s])
        if s in used and v > 0:
            num = num + ibis.coalesce(score, 0.0) * v
            den = den + ibis.cases((score.notnull(), v), else_=0.0)
    weight_sum = _double(den)
    # One projection (Ibis would merge a second one into it when compiling).
    return t.mutate(
        **sections, weight_sum=weight_sum, overall=num / weight_sum.nullif(0.0)
    )
