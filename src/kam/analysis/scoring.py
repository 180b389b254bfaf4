"""The scoring matrix: section and overall scores, ranks and the selection table
(analyses.md §3).

- Each (account, criterion) gets one score ``x``: the mean (or median) of its
  raters' scores; raters more than ``disagreement`` points apart are flagged.
- Section score ``S(a, s) = Σ w_c x(a, c) / Σ w_c`` over the criteria of ``s`` the
  account has; overall ``O(a) = Σ V_s S(a, s) / Σ V_s`` over its scored sections,
  ``V`` the section weights (equal by default).
- Rank by ``O``, descending; equal scores share the smallest rank (1, 1, 3).
- Scores are computed in the backend and rounded to 6 decimals, then given as exact
  decimals: a score with at most 6 decimals (0.15·8 + 0.35·3 + 0.20·2 + 0.30·1 =
  2.95) comes out exactly, never as 2.9499999999999997. Ties are judged on these
  rounded values.

This module checks the parameters, runs the one query and ranks its rows
(:func:`scoring_matrix`); the score expressions are in :mod:`kam.analysis.scores`,
the rows' columns and their conversion in :mod:`kam.analysis.scoring_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import ibis.expr.types as ir

from kam.analysis.criteria import SECTIONS, read_criteria
from kam.analysis.lookups import account_names, by_account
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.score_details import (
    criteria_table,
    criterion_stats,
    disagreement_rows,
    reject_bad_scores,
    reject_missing,
)
from kam.analysis.score_preagg import SCORES_BY_ACCOUNT, SCORES_BY_CRITERION
from kam.analysis.score_values import SCALE
from kam.analysis.scores import account_matrix, criterion_scores
from kam.analysis.scoring_rows import (
    CLASS_FIELDS,
    OUTPUT_COLUMNS,
    QUADRANTS,
    no_class,
    no_name,
    quadrant_counts,
    score_order,
    selection_headline,
    selection_row,
    taken_columns,
)
from kam.analysis.selection import account_classes
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.stability import rank_stability, ranks_in_order
from kam.errors import ParameterError

__all__ = [
    "AGGREGATES",
    "ANALYSIS",
    "MISSING",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "scoring",
    "scoring_matrix",
]

AGGREGATES: tuple[str, ...] = ("mean", "median")
MISSING: tuple[str, ...] = ("error", "skip")


def _choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise ParameterError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def section_weights(
    growth: float = 1.0, harmony: float = 1.0, value_creation: float = 1.0
) -> dict[str, Decimal]:
    """The section weights as decimals; ParameterError when one is negative or all
    are zero. They need not sum to anything: the overall score divides by their sum.
    """
    given = dict(zip(SECTIONS, (growth, harmony, value_creation), strict=True))
    for section, w in given.items():
        if not w >= 0:
            raise ParameterError(f"{section}_weight", f"{w!r} is not a weight ≥ 0")
    if sum(given.values()) <= 0:
        raise ParameterError("growth_weight", "at least one section weight must be > 0")
    return {s: Decimal(str(w)) for s, w in given.items()}


def scoring_matrix(
    criteria: ir.Table,
    scores: ir.Table,
    *,
    accounts: ir.Table | None = None,
    tables: Mapping[str, ir.Table] | None = None,
    pairs: ir.Table | None = None,
    wide: ir.Table | None = None,
    growth_weight: float = 1.0,
    harmony_weight: float = 1.0,
    value_creation_weight: float = 1.0,
    aggregate_raters: str = "mean",
    missing: str = "error",
    disagreement: float = 3.0,
    quadrant_line: float = 5.5,
    stability: bool = True,
    perturbation: float = 0.20,
    period_from: str | None = None,
    period_to: str | None = None,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
    as_of: date | None = None,
) -> AnalysisResult:
    """Section scores, overall score, rank, quadrant, ABC class and rank stability.

    ``criteria``, ``scores``: the Criteria and Scores tables; ``accounts``: names;
    ``tables``: the canonical tables, whose ``revenue`` gives the revenue and pooled
    ABC class over ``period_from``…``period_to`` (default: the last complete fiscal
    year) with ``cutoffs``. Section weights need not sum to anything. ``pairs``:
    the raters' scores per (account, criterion) summed once per data version
    (:func:`~kam.analysis.score_preagg.scores_by_criterion` of ``scores``), read instead
    of ``scores`` for the mean of the raters; checks that need the rows (the
    median, the accounts and rows an error names) still read ``scores``. ``wide``:
    the same spread over one row per account
    (:func:`~kam.analysis.score_preagg.scores_by_account`), read first when it holds the
    criteria of ``criteria``.

    Rows: :data:`OUTPUT_COLUMNS`, by rank then account_id. Tables: ``criteria`` (per
    criterion: criterion_id, section, name, weight, share of its section, mean score,
    accounts scored, disagreements) and ``disagreements`` (account_id, criterion_id,
    low, high, spread, raters). Raises InputError for section weights not summing to
    1 or 100, a negative weight, a score outside 1–10, an unknown criterion, a rater
    scoring one pair twice, and a missing score unless ``missing='skip'``.
    """
    _choice(aggregate_raters, AGGREGATES, "aggregate_raters")
    _choice(missing, MISSING, "missing")
    if not 0 < perturbation < 1:
        raise ParameterError("perturbation", f"{perturbation!r} is not inside (0, 1)")
    if not disagreement >= 0:
        raise ParameterError("disagreement", f"{disagreement!r} is not ≥ 0")
    weights = section_weights(growth_weight, harmony_weight, value_creation_weight)
    crits = read_criteria(criteria)
    warnings: list[str] = []
    used = {c.section for c in crits}
    for s in SECTIONS:
        if s not in used and weights[s] > 0:
            warnings.append(f"no criteria in section {s}: overall scores leave it out")

    if aggregate_raters != "mean":
        pairs = None
    matrix_table = account_matrix(
        scores,
        crits,
        weights,
        aggregate=aggregate_raters,
        disagreement=disagreement,
        pairs=pairs,
        wide=wide,
    )
    t = matrix_table.filter(matrix_table.overall.notnull())
    classes = account_classes(
        tables or {},
        period_from=period_from,
        period_to=period_to,
        cutoffs=cutoffs,
        fiscal_year_start=fiscal_year_start,
        as_of=as_of,
    )
    warnings += classes.warnings
    # The names, revenue and classes are looked up as the rows are read
    # (by_account): joining them to this query cost the backend half of it.
    rounded = {"score": t.overall, **{s: t[s] for s in SECTIONS}}
    keep = [
        "account_id", "score", *SECTIONS, "criteria_scored", "disagreements",
    ]  # fmt: skip
    checks = ["unknown", "dups", "multi", "bad"]
    matrix = [f"{k}_{i}" for i in range(len(crits)) for k in ("x", "flag")]
    if stability:
        matrix += ["overall", "weight_sum"]
        matrix += [f"{k}_{s}" for s in SECTIONS for k in ("num", "den")]
    plain = [k for k in (*keep, *checks, *matrix) if k not in rounded]
    # One query; ranks, ties, rank stability and the criterion figures are
    # computed on its columns (vectorised, no per-account Python), in the order
    # of the rows handed out (by score, then account_id, as the backend would
    # order them). The fetched table finds that order on those two columns and
    # each column is taken in it as it is read: sorting every column of the table
    # costs three times as much, and a backend ORDER BY ten times.
    fetched = t.select(
        *plain, **{k: v.round(SCALE) for k, v in rounded.items()}
    ).to_pyarrow()
    n_rows = fetched.num_rows
    order = score_order(fetched)
    col = taken_columns(fetched, order)
    if any(int(col(k).sum()) for k in checks):
        reject_bad_scores(scores, crits)
    score = col("score")
    rank, ties = ranks_in_order(score)
    out = fetched.select(keep).take(order)
    out = out.append_column("rank", [rank]).append_column("ties", [ties])
    perturbations = 2 * len(crits)
    changes = None
    if stability:
        changes, low, high = rank_stability(
            col, rank, crits, weights, perturbation=perturbation
        )
        out = out.append_column("rank_changes", [changes])
        out = out.append_column("rank_min", [low]).append_column("rank_max", [high])
    scored = col("criteria_scored")
    lacking = scored < len(crits)
    if missing == "error" and n_rows and bool(lacking.any()):
        ids = fetched.column("account_id").take(order)
        reject_missing(scores, ids.filter(lacking), crits)
    partial = int(lacking.sum()) if n_rows else 0
    if partial:
        warnings.append(f"{partial} accounts are partial: some criteria have no score")
    line = Decimal(str(quadrant_line))
    names = account_names(accounts)
    selection = (
        no_class if classes.table is None else by_account(classes.table, CLASS_FIELDS)
    )
    rows = Rows(out, selection_row(len(crits), perturbations, line, names, selection))
    disagreements = int(col("disagreements").sum()) if n_rows else 0
    summary: dict[str, object] = {
        "accounts": n_rows,
        "criteria": len(crits),
        "partial": partial,
        "tied": int((ties > 1).sum()) if n_rows else 0,
        "disagreements": disagreements,
        "perturbations": perturbations if stability else 0,
        "unstable": int((changes > 0).sum()) if changes is not None and n_rows else 0,
        "quadrants": quadrant_counts(col("growth"), col("harmony"), float(line)),
        "revenue_range": classes.range,
        "headline": selection_headline(
            out, selection_row(len(crits), perturbations, line, no_name, no_class)
        ),
    }
    parameters: dict[str, object] = {
        "growth_weight": float(weights["growth"]),
        "harmony_weight": float(weights["harmony"]),
        "value_creation_weight": float(weights["value_creation"]),
        "aggregate_raters": aggregate_raters,
        "missing": missing,
        "disagreement": disagreement,
        "quadrant_line": quadrant_line,
        "stability": stability,
        "perturbation": perturbation,
        "period_from": period_from,
        "period_to": period_to,
        "cutoffs": list(cutoffs),
        "fiscal_year_start": fiscal_year_start,
        "as_of": as_of.isoformat() if as_of else None,
    }
    flagged: list[dict[str, object]] = []
    if disagreements:
        flagged = disagreement_rows(
            criterion_scores(
                scores, crits, aggregate=aggregate_raters, disagreement=disagreement
            )
            if pairs is None
            else pairs.mutate(flag=(pairs.high - pairs.low) > disagreement)
        )
    return AnalysisResult(
        "scoring",
        parameters,
        summary,
        rows,
        {
            "criteria": criteria_table(criterion_stats(col, len(crits)), crits),
            "disagreements": flagged,
        },
        warnings,
    )


def scoring(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`scoring_matrix` over the canonical tables keyed by store table name."""
    return scoring_matrix(
        tables["criteria"],
        tables["scores"],
        accounts=tables.get("accounts"),
        tables=tables,
        pairs=tables.get(SCORES_BY_CRITERION),
        wide=tables.get(SCORES_BY_ACCOUNT),
        **options,  # type: ignore[arg-type]
    )


def _weight(section: str) -> Parameter:
    return Parameter(
        f"{section}_weight",
        "float",
        1.0,
        f"weight of the {section} section in the overall score (relative; equal "
        "by default)",
        minimum=0,
    )


ANALYSIS = Analysis(
    name="scoring",
    title="Scoring matrix",
    description="Section and overall scores per account, ranks, rank stability and "
    "the selection table.",
    parameters=(
        _weight("growth"),
        _weight("harmony"),
        _weight("value_creation"),
        Parameter(
            "aggregate_raters",
            "choice",
            "mean",
            "how several raters' scores of one criterion combine",
            choices=AGGREGATES,
        ),
        Parameter(
            "missing",
            "choice",
            "error",
            "error: every account needs every criterion; skip: score the criteria "
            "given and mark the account partial",
            choices=MISSING,
        ),
        Parameter(
            "disagreement",
            "float",
            3.0,
            "raters further apart than this many points are flagged",
            minimum=0,
        ),
        Parameter(
            "quadrant_line",
            "float",
            5.5,
            "where the growth × harmony matrix splits high from low",
            minimum=1,
            maximum=10,
        ),
        Parameter(
            "stability", "bool", True, "perturb each weight and report rank stability"
        ),
        Parameter(
            "perturbation",
            "float",
            0.20,
            "relative change of each weight in the rank-stability check",
            minimum=0,
            maximum=1,
            exclusive=True,
        ),
        Parameter(
            "period_from",
            "period",
            None,
            "first period of the revenue range (default: the last complete fiscal "
            "year)",
        ),
        Parameter("period_to", "period", None, "last period of the revenue range"),
        Parameter(
            "cutoffs",
            "floats",
            (0.80, 0.95),
            "cumulative shares that end ABC classes A and B",
            minimum=0,
            maximum=1,
            exclusive=True,
            setting="abc_cutoffs",
            length=2,
        ),
        Parameter(
            "fiscal_year_start",
            "int",
            1,
            "first month of the fiscal year",
            minimum=1,
            maximum=12,
            setting="fiscal_year_start",
        ),
        Parameter("as_of", "date", None, "date the data describes", setting="as_of"),
    ),
    needs=("Criteria", "Scores"),
    output_columns=OUTPUT_COLUMNS,
    run=scoring,
)
