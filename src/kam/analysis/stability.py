"""Rank stability of the scoring matrix under one-at-a-time weight perturbations.

Each criterion weight in turn is multiplied by ``1 + p`` and by ``1 − p`` (2 × the
number of criteria perturbations); the section is renormalised, so only the section
of that criterion moves:

    S'(a, s) = (Σ w x + δ w_c x_c) / (Σ w + δ w_c)     (when a has a score for c)
    O'(a)    = O(a) + V_s (S'(a, s) − S(a, s)) / Σ V

Every perturbed ranking is computed in the backend (a union of one select per
perturbation over the wide per-account table, ranked per perturbation with ties
sharing a rank); only one row per account travels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.criteria import Criterion
from kam.analysis.scores import SCALE, ones, x_column

__all__ = ["rank_stability"]


def rank_stability(
    wide: ir.Table,
    criteria: Sequence[Criterion],
    section_weights: Mapping[str, Decimal],
    *,
    perturbation: float = 0.20,
) -> ir.Table:
    """Per account: ``account_id, rank_changes, rank_min, rank_max``.

    ``wide``: :func:`~kam.analysis.scores.account_scores` with ``wide=True`` and a
    ``rank`` column (the base ranking). ``rank_changes``: perturbations whose ranking
    gives the account another rank; ``rank_min``/``rank_max``: best and worst rank
    over the perturbations and the base ranking.
    """
    branches: list[ir.Table] = []
    k = 0
    for i, c in enumerate(criteria):
        x = wide[x_column(i)]
        num, den = wide[f"num_{c.section}"], wide[f"den_{c.section}"]
        v = float(section_weights[c.section])
        for sign in (1.0, -1.0):
            dw = sign * perturbation * float(c.share)
            moved = (num + x * dw) / (den + dw) - num / den
            score = ibis.cases(
                (
                    x.notnull() & (wide.weight_sum > 0),
                    wide.overall + moved * v / wide.weight_sum,
                ),
                else_=wide.overall,
            )
            branches.append(
                wide.select(
                    "account_id",
                    base=wide["rank"],
                    k=ibis.literal(k, type="int64"),
                    s=score.round(SCALE),
                )
            )
            k += 1
    allp = ibis.union(*branches) if len(branches) > 1 else branches[0]
    ranked = allp.mutate(
        r=ibis.rank().over(ibis.window(group_by=allp.k, order_by=allp.s.desc())) + 1
    )
    out = ranked.group_by("account_id").agg(
        rank_changes=ones(ranked.r != ranked.base).sum(),
        lo=ranked.r.min(),
        hi=ranked.r.max(),
        base=ranked.base.min(),
    )
    return out.select(
        "account_id",
        "rank_changes",
        rank_min=ibis.least(out.lo, out.base),
        rank_max=ibis.greatest(out.hi, out.base),
    )
