"""Ranks and rank stability of the scoring matrix.

Each criterion weight in turn is multiplied by ``1 + p`` and by ``1 − p`` (2 × the
number of criteria perturbations); the section is renormalised, so only the section
of that criterion moves:

    S'(a, s) = (Σ w x + δ w_c x_c) / (Σ w + δ w_c)     (when a has a score for c)
    O'(a)    = O(a) + V_s (S'(a, s) − S(a, s)) / Σ V

The backend computes the per-account sums once (one row per account); every
perturbed ranking is then a vector expression over those columns and one sort,
done on the arrays of the fetched result (the numpy arrays the Arrow result gives
with ``to_numpy``: this layer imports no array library of its own). Scores are
rounded to :data:`~kam.analysis.score_values.SCALE` decimals before they are ranked,
as the base ranking is, and equal scores share a rank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kam.analysis.criteria import Criterion
from kam.analysis.score_values import SCALE, x_column

__all__ = ["rank_stability", "ranks", "ranks_in_order", "tie_counts"]

#: Column name → its values as an array (nulls of float columns as NaN).
Columns = Callable[[str], Any]


def ranks(scores: Any) -> Any:
    """Rank of each score of the array ``scores`` (no NaN), descending: 1 + the
    number of higher scores, so equal scores share the smallest rank (1, 1, 3)."""
    order = scores.argsort()
    ordered = scores[order]
    # Searching the sorted values themselves walks the array once.
    found = len(scores) - ordered.searchsorted(ordered, side="right") + 1
    out = found.copy()
    out[order] = found
    return out


def ranks_in_order(scores: Any) -> tuple[Any, Any]:
    """:func:`ranks` and :func:`tie_counts` of an array already in descending
    order (no NaN), found by searching it (read backwards, ascending) without
    sorting it again."""
    ascending = scores[::-1]
    above = ascending.searchsorted(scores, side="right")
    ties = above - ascending.searchsorted(scores, side="left")
    return len(scores) - above + 1, ties


def tie_counts(scores: Any) -> Any:
    """How many scores of the array equal each one (1 when it is not tied)."""
    order = scores.argsort()
    ordered = scores[order]
    found = ordered.searchsorted(ordered, side="right") - ordered.searchsorted(
        ordered, side="left"
    )
    out = found.copy()
    out[order] = found
    return out


def rank_stability(
    col: Columns,
    base: Any,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    *,
    perturbation: float = 0.20,
) -> tuple[Any, Any, Any]:
    """Per account (arrays in the order of ``base``): perturbations whose ranking
    gives the account another rank than ``base``, and its best and worst rank over
    the perturbations and the base ranking.

    ``col``: the columns of the fetched per-account table: ``overall`` (unrounded),
    ``weight_sum``, ``num_<s>``/``den_<s>`` per section and ``x_<i>`` per criterion
    (:func:`~kam.analysis.scores.account_matrix`).
    """
    overall, weight_sum = col("overall"), col("weight_sum")
    changes = base * 0
    low, high = base.copy(), base.copy()
    for i, c in enumerate(criteria):
        x = col(x_column(i))
        num, den = col(f"num_{c.section}"), col(f"den_{c.section}")
        v = float(section_weights[c.section])
        # Accounts the perturbation moves: a score for c in a section that counts.
        # Elsewhere the overall score stays (and no division by zero is tried).
        moved = ((x == x) & (den != 0) & (weight_sum > 0)).nonzero()[0]
        xm, nm, dm, wm = x[moved], num[moved], den[moved], weight_sum[moved]
        base_section = nm / dm
        for sign in (1.0, -1.0):
            dw = sign * perturbation * float(c.share)
            if dw == 0:
                continue  # a weight of 0 stays 0: the ranking is the base one
            score = overall.copy()
            score[moved] = (
                overall[moved] + ((nm + xm * dw) / (dm + dw) - base_section) * v / wm
            )
            r = ranks(score.round(SCALE))
            changes += r != base
            low = low.clip(None, r)
            high = high.clip(r, None)
    return changes, low, high
