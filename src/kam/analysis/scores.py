"""Score expressions of the scoring matrix: per criterion, per account, and checks.

Everything per account is an Ibis expression run in the backend; scores are floats
there and are rounded to :data:`SCALE` decimals before they become exact decimals
(:func:`decimals`), so a score with at most 6 decimals comes out exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir

from kam.analysis.criteria import SECTIONS, Criterion
from kam.errors import InputError

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

#: Name of the derived table of :func:`scores_by_criterion` (built by the engine
#: once per data version).
SCORES_BY_CRITERION = "_scores_by_criterion"

#: Name of the derived table of :func:`scores_by_account` (built by the engine once
#: per data version).
SCORES_BY_ACCOUNT = "_scores_by_account"

#: Most criteria :func:`scores_by_account` spreads into columns, and the names it
#: accepts as column names on every backend.
_WIDE_MOST = 64
_NAME = re.compile(r"[A-Za-z0-9_]{1,48}")

#: Most criteria whose disagreement flags the pre-aggregated scoring sums into one
#: integer per account (exact as a double too, as a backend may divide one).
_FLAG_BITS = 30

#: Decimals kept in every score; ties are judged at this precision.
SCALE = 6
_TWO = Decimal("0.01")


def ones(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 where ``condition`` holds, else 0 (PostgreSQL cannot cast a boolean to
    bigint, so counting uses CASE)."""
    return ibis.cases((condition, 1), else_=0)


def x_column(i: int) -> str:
    """Name of the wide column holding criterion number ``i``'s score."""
    return f"x_{i}"


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


def scores_by_criterion(scores: ir.Table) -> ir.Table:
    """The raters' scores of each (account, criterion) pair, summed once per data
    version (the derived table :data:`SCORES_BY_CRITERION`): what the mean scoring
    needs, whatever the Criteria sheet and the parameters.

    Columns: ``account_id, criterion_id``; ``x`` (mean of the scores given),
    ``low``, ``high`` (lowest and highest score), ``raters`` (scores given),
    ``dups`` (1 when two scores come from one rater), ``multi`` (1 for more than two
    scores, to be checked exactly) and ``bad`` (scores outside 1–10 or blank), each
    as :func:`account_matrix` computes them from the raw rows.
    """
    rater = ibis.coalesce(scores.rater.cast("string"), ibis.literal(""))
    # Doubles whatever the backend stores (PostgreSQL averages a numeric column
    # to a numeric).
    score = scores.score.cast("float64")
    s = scores.select("account_id", "criterion_id", score=score, rater=rater)
    bad = ones(s.score.isnull() | (s.score < 1) | (s.score > 10))
    pc = s.group_by("account_id", "criterion_id").agg(
        x=s.score.mean(),
        low=s.score.min(),
        high=s.score.max(),
        raters=s.score.count(),
        first_rater=s.rater.min(),
        last_rater=s.rater.max(),
        bad=bad.sum(),
    )
    return pc.select(
        "account_id",
        "criterion_id",
        "x",
        "low",
        "high",
        "raters",
        dups=ones((pc.raters == 2) & (pc.first_rater == pc.last_rater)),
        multi=ones(pc.raters > 2),
        bad=pc.bad,
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
    if wide is not None and _wide_ids(wide) == sorted(ids):
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
    g = _rater_groups(scores, ids)
    return _matrix(
        g,
        criteria,
        section_weights,
        disagreement,
        spread=lambda i: g[f"high_{i}"] - g[f"low_{i}"],
        dup=lambda i: _dup(g, i),
    )


def _rater_groups(scores: ir.Table, ids: Sequence[str]) -> ir.Table:
    """One GROUP BY account over the Scores rows: per criterion number ``i`` (of
    ``ids``) the mean ``x_<i>``, lowest and highest rater ``low_<i>``/``high_<i>``,
    scores given ``rows_<i>`` and first and last rater ``first_<i>``/``last_<i>``;
    ``unknown`` (rows of other criteria) and ``bad`` (scores outside 1–10 or
    blank)."""
    rater = ibis.coalesce(scores.rater.cast("string"), ibis.literal(""))
    s = scores.select("account_id", "criterion_id", "score", rater=rater)
    aggs: dict[str, ir.Value] = {}
    for i, cid in enumerate(ids):
        here = s.criterion_id == cid
        value = ibis.cases((here, s.score), else_=ibis.null("float64"))
        who = ibis.cases((here, s.rater), else_=ibis.null("string"))
        aggs[x_column(i)] = value.mean()
        aggs[f"low_{i}"] = value.min()
        aggs[f"high_{i}"] = value.max()
        # Scores given (a blank score is refused as out of range anyway).
        aggs[f"rows_{i}"] = value.count()
        aggs[f"first_{i}"] = who.min()
        aggs[f"last_{i}"] = who.max()
    bad = ones(s.score.isnull() | (s.score < 1) | (s.score > 10))
    return s.group_by("account_id").agg(
        # A blank criterion_id is unknown too (CASE sends NULL to ELSE).
        unknown=ibis.cases((s.criterion_id.isin(ids), 0), else_=1).sum(),
        bad=bad.sum(),
        **aggs,
    )


def _wide_ids(wide: ir.Table) -> list[str]:
    """The criterion ids a :func:`scores_by_account` table holds, sorted."""
    return sorted(c[3:] for c in wide.columns if c.startswith("x__"))


def scores_by_account(scores: ir.Table, criteria: ir.Table) -> ir.Table | None:
    """The raters' scores of each account spread over one column per criterion of
    the Criteria sheet, built once per data version (the derived table
    :data:`SCORES_BY_ACCOUNT`); ``None`` when the criterion ids cannot name
    columns (blank, more than :data:`_WIDE_MOST`, other characters than letters,
    digits and ``_``, or equal but for case).

    Columns: ``account_id``, ``unknown`` (scores of criteria not on the sheet),
    ``bad`` (scores outside 1–10 or blank), ``criteria_scored``, ``dups`` and
    ``multi`` (the counts over every criterion that :func:`account_matrix` gives)
    and per criterion id ``<cid>``:
    ``x__<cid>`` (mean of the raters' scores), ``rows__<cid>`` (scores given),
    ``spread__<cid>`` (highest − lowest rater) and ``dup__<cid>`` (1 when its two
    scores come from one rater), as :func:`account_matrix` computes them from the
    Scores rows. The scoring matrix reads it when its ids are the sheet's, whatever
    the section weights and the disagreement threshold.
    """
    found = criteria.select("criterion_id").distinct().to_pyarrow()
    ids = sorted(str(v) for v in found.column(0).to_pylist() if v is not None)
    folded = {i.casefold() for i in ids}
    if (
        not ids
        or len(ids) != found.num_rows
        or len(ids) > _WIDE_MOST
        or len(folded) != len(ids)
        or not all(_NAME.fullmatch(i) for i in ids)
    ):
        return None
    # Doubles whatever the backend stores, as scores_by_criterion reads them.
    g = _rater_groups(scores.mutate(score=scores.score.cast("float64")), ids)
    per: dict[str, ir.Value] = {}
    for i, cid in enumerate(ids):
        per[f"x__{cid}"] = g[x_column(i)]
        per[f"rows__{cid}"] = g[f"rows_{i}"]
        per[f"spread__{cid}"] = g[f"high_{i}"] - g[f"low_{i}"]
        per[f"dup__{cid}"] = _dup(g, i)
    counts = _counts(len(ids), lambda i: g[f"rows_{i}"], lambda i: _dup(g, i))
    return g.select("account_id", "unknown", "bad", **counts, **per)


def _dup(g: ir.Table, i: int) -> ir.IntegerValue:
    """1 when the two scores of criterion number ``i`` in :func:`_rater_groups`
    come from one rater."""
    return ones((g[f"rows_{i}"] == 2) & (g[f"first_{i}"] == g[f"last_{i}"]))


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
    counts: dict[str, ir.Value] = {k: g[k] for k in _COUNTS if k in g.columns}
    if len(counts) < len(_COUNTS):
        counts = _counts(len(criteria), lambda i: g[name("rows", i)], dup, _COUNTS)
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


#: The per-account counts over every criterion (:func:`_counts`).
_COUNTS = ("criteria_scored", "dups", "multi")


def _counts(
    n_criteria: int,
    rows: Callable[[int], ir.IntegerValue],
    dup: Callable[[int], ir.IntegerValue],
    names: Sequence[str] = _COUNTS,
) -> dict[str, ir.Value]:
    """Criteria scored (``rows(i) > 0``), criteria scored twice by one rater
    (``dup(i)``) and criteria with more than two scores, summed over the criterion
    numbers ``0 … n_criteria − 1``, keyed by ``names``."""
    zero: ir.IntegerValue = ibis.literal(0)
    scored, dups, multi = zero, zero, zero
    for i in range(n_criteria):
        n = rows(i)
        scored = scored + ones(n > 0)
        dups = dups + dup(i)
        multi = multi + ones(n > 2)
    return dict(zip(names, (scored, dups, multi), strict=True))


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


def decimals(values: Sequence[float | None]) -> list[Decimal | None]:
    """Backend floats rounded to :data:`SCALE` as exact decimals (at least 2 places).

    Each distinct value is converted once: a portfolio has few distinct scores.
    """
    cache: dict[float, Decimal] = {}
    out: list[Decimal | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        d = cache.get(v)
        if d is None:
            d = Decimal(f"{v:.{SCALE}f}").normalize()
            if d.as_tuple().exponent > -2:  # type: ignore[operator]
                d = d.quantize(_TWO)
            cache[v] = d
        out.append(d)
    return out


def reject_bad_scores(scores: ir.Table, criteria: Sequence[Criterion]) -> None:
    """Raise InputError naming up to five bad rows: out of range, unknown criterion,
    or the same rater twice for one (account, criterion)."""
    ids = [c.criterion_id for c in criteria]
    s = scores
    problems: list[str] = []
    out = s.filter(s.score.isnull() | (s.score < 1) | (s.score > 10))
    for r in (
        out.order_by("account_id", "criterion_id").limit(5).to_pyarrow().to_pylist()
    ):
        problems.append(
            f"account {r['account_id']}, criterion {r['criterion_id']}: "
            f"{_num(r['score'])} is outside 1–10"
        )
    unknown = s.filter(~s.criterion_id.isin(ids))
    for r in (
        unknown.order_by("account_id", "criterion_id").limit(5).to_pyarrow().to_pylist()
    ):
        problems.append(
            f"account {r['account_id']}: criterion {r['criterion_id']} is not on the "
            "Criteria sheet"
        )
    rater = ibis.coalesce(s.rater.cast("string"), ibis.literal(""))
    keyed = s.mutate(rater=rater)
    dup = keyed.group_by("account_id", "criterion_id", "rater").agg(n=keyed.count())
    dup = dup.filter(dup.n > 1).order_by("account_id", "criterion_id", "rater").limit(5)
    for r in dup.to_pyarrow().to_pylist():
        who = r["rater"] or "(no rater)"
        problems.append(
            f"account {r['account_id']}, criterion {r['criterion_id']}: rater {who} "
            f"scored it {r['n']} times (one score per rater)"
        )
    if problems:
        raise InputError("Scores, column score: " + "; ".join(problems))


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def criterion_stats(col: Callable[[str], Any], n_criteria: int) -> dict[str, object]:
    """Each criterion's mean score over the accounts scored (``mean_<i>``, rounded
    to :data:`SCALE`), accounts scored (``n_<i>``) and disagreements (``d_<i>``),
    from the fetched ``x_<i>``/``flag_<i>`` columns (arrays, nulls as NaN) as
    :func:`criteria_table` reads them."""
    out: dict[str, object] = {}
    for i in range(n_criteria):
        x = col(x_column(i))
        present = x[x == x]
        n = len(present)
        out[f"mean_{i}"] = round(float(present.sum()) / n, SCALE) if n else None
        out[f"n_{i}"] = n
        out[f"d_{i}"] = int(col(f"flag_{i}").sum())
    return out


def criteria_table(
    first: Mapping[str, object] | None, criteria: Sequence[Criterion]
) -> list[dict[str, object]]:
    """Per criterion: section, name, weight, share of the section, mean score,
    accounts scored and disagreements (the slide's criteria × accounts table), read
    from the :func:`criterion_stats` figures (``first``; ``None`` without accounts)."""
    out: list[dict[str, object]] = []
    for i, c in enumerate(criteria):
        mean = first.get(f"mean_{i}") if first else None
        out.append(
            {
                "criterion_id": c.criterion_id,
                "section": c.section,
                "name": c.name,
                "weight": c.weight,
                "share": c.share,
                "mean_score": decimals([_float(mean)])[0],
                "accounts": first.get(f"n_{i}", 0) if first else 0,
                "disagreements": first.get(f"d_{i}", 0) if first else 0,
            }
        )
    return out


def disagreement_rows(per_criterion: ir.Table) -> list[dict[str, object]]:
    """The (account, criterion) pairs whose raters disagree: low, high, spread."""
    pc = per_criterion.filter(per_criterion.flag)
    pc = pc.select("account_id", "criterion_id", "low", "high", "raters")
    rows: list[dict[str, object]] = (
        pc.order_by("account_id", "criterion_id").to_pyarrow().to_pylist()
    )
    for r in rows:
        low, high = decimals([_float(r["low"]), _float(r["high"])])
        r["low"], r["high"] = low, high
        r["spread"] = None if low is None or high is None else high - low
    return rows


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
