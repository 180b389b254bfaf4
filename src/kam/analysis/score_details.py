"""What the scoring matrix reports besides its rows, and the errors naming bad
Scores rows: the criteria table (:func:`criterion_stats`, :func:`criteria_table`),
the raters' disagreements (:func:`disagreement_rows`) and the InputError for scores
out of range, unknown criteria or a rater scoring one pair twice
(:func:`reject_bad_scores`) or for accounts missing a score (:func:`reject_missing`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analysis.criteria import Criterion
from kam.analysis.score_values import SCALE, decimals, x_column
from kam.errors import InputError

__all__ = [
    "criteria_table",
    "criterion_stats",
    "disagreement_rows",
    "reject_bad_scores",
    "reject_missing",
]


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


def reject_missing(scores: ir.Table, lacking: Any, crits: Sequence[Criterion]) -> None:
    """InputError naming up to five accounts of ``lacking`` (account ids, an Arrow
    array) and the criteria they have no score for."""
    ids_lacking = sorted(str(a) for a in lacking.to_pylist())
    shown = ids_lacking[:5]
    have = scores.filter(scores.account_id.isin(shown))
    found: dict[str, set[str]] = {a: set() for a in shown}
    for r in have.select("account_id", "criterion_id").to_pyarrow().to_pylist():
        found[str(r["account_id"])].add(str(r["criterion_id"]))
    ids = [c.criterion_id for c in crits]
    listed = "; ".join(
        f"account {a} has no score for {', '.join(i for i in ids if i not in found[a])}"
        for a in shown
    )
    more = (
        f" (and {len(ids_lacking) - 5} more accounts)" if len(ids_lacking) > 5 else ""
    )
    raise InputError(
        f"Scores: {listed}{more}; score them or run with missing=skip "
        "(partial accounts are then marked)"
    )


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def criterion_stats(col: Callable[[str], Any], n_criteria: int) -> dict[str, object]:
    """Each criterion's mean score over the accounts scored (``mean_<i>``, rounded
    to :data:`~kam.analysis.score_values.SCALE`), accounts scored (``n_<i>``) and
    disagreements (``d_<i>``), from the fetched ``x_<i>``/``flag_<i>`` columns
    (arrays, nulls as NaN) as :func:`criteria_table` reads them."""
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
