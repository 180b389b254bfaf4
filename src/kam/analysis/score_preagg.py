"""The per-data-version pre-aggregates of the Scores rows, which the engine builds
once per data version and the scoring matrix reads instead of the raw rows:

- :func:`scores_by_criterion` (:data:`SCORES_BY_CRITERION`): one row per (account,
  criterion) with the raters' mean, lowest and highest score and the counts the
  checks need;
- :func:`scores_by_account` (:data:`SCORES_BY_ACCOUNT`): the same spread over one
  row per account, one column per criterion of the Criteria sheet.

Also the one GROUP BY account over the Scores rows both it and
:func:`~kam.analysis.scores.account_matrix` build on (:func:`rater_groups`), and
the per-account counts over every criterion (:func:`count_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir

from kam.analysis.score_values import ones, x_column

__all__ = [
    "COUNT_COLUMNS",
    "SCORES_BY_ACCOUNT",
    "SCORES_BY_CRITERION",
    "count_columns",
    "one_rater",
    "rater_groups",
    "scores_by_account",
    "scores_by_criterion",
    "wide_ids",
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


def scores_by_criterion(scores: ir.Table) -> ir.Table:
    """The raters' scores of each (account, criterion) pair, summed once per data
    version (the derived table :data:`SCORES_BY_CRITERION`): what the mean scoring
    needs, whatever the Criteria sheet and the parameters.

    Columns: ``account_id, criterion_id``; ``x`` (mean of the scores given),
    ``low``, ``high`` (lowest and highest score), ``raters`` (scores given),
    ``dups`` (1 when two scores come from one rater), ``multi`` (1 for more than two
    scores, to be checked exactly) and ``bad`` (scores outside 1–10 or blank), each
    as :func:`~kam.analysis.scores.account_matrix` computes them from the raw rows.
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


def scores_by_account(scores: ir.Table, criteria: ir.Table) -> ir.Table | None:
    """The raters' scores of each account spread over one column per criterion of
    the Criteria sheet, built once per data version (the derived table
    :data:`SCORES_BY_ACCOUNT`); ``None`` when the criterion ids cannot name
    columns (blank, more than :data:`_WIDE_MOST`, other characters than letters,
    digits and ``_``, or equal but for case).

    Columns: ``account_id``, ``unknown`` (scores of criteria not on the sheet),
    ``bad`` (scores outside 1–10 or blank), ``criteria_scored``, ``dups`` and
    ``multi`` (the counts over every criterion that
    :func:`~kam.analysis.scores.account_matrix` gives) and per criterion id
    ``<cid>``: ``x__<cid>`` (mean of the raters' scores), ``rows__<cid>`` (scores
    given), ``spread__<cid>`` (highest − lowest rater) and ``dup__<cid>`` (1 when
    its two scores come from one rater), as
    :func:`~kam.analysis.scores.account_matrix` computes them from the Scores rows.
    The scoring matrix reads it when its ids are the sheet's, whatever the section
    weights and the disagreement threshold.
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
    g = rater_groups(scores.mutate(score=scores.score.cast("float64")), ids)
    per: dict[str, ir.Value] = {}
    for i, cid in enumerate(ids):
        per[f"x__{cid}"] = g[x_column(i)]
        per[f"rows__{cid}"] = g[f"rows_{i}"]
        per[f"spread__{cid}"] = g[f"high_{i}"] - g[f"low_{i}"]
        per[f"dup__{cid}"] = one_rater(g, i)
    counts = count_columns(
        len(ids), lambda i: g[f"rows_{i}"], lambda i: one_rater(g, i)
    )
    return g.select("account_id", "unknown", "bad", **counts, **per)


def rater_groups(scores: ir.Table, ids: Sequence[str]) -> ir.Table:
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


def wide_ids(wide: ir.Table) -> list[str]:
    """The criterion ids a :func:`scores_by_account` table holds, sorted."""
    return sorted(c[3:] for c in wide.columns if c.startswith("x__"))


def one_rater(g: ir.Table, i: int) -> ir.IntegerValue:
    """1 when the two scores of criterion number ``i`` in :func:`rater_groups`
    come from one rater."""
    return ones((g[f"rows_{i}"] == 2) & (g[f"first_{i}"] == g[f"last_{i}"]))


#: The per-account counts over every criterion (:func:`count_columns`).
COUNT_COLUMNS = ("criteria_scored", "dups", "multi")


def count_columns(
    n_criteria: int,
    rows: Callable[[int], ir.IntegerValue],
    dup: Callable[[int], ir.IntegerValue],
    names: Sequence[str] = COUNT_COLUMNS,
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
