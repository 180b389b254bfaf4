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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from kam.analysis.criteria import SECTIONS, Criterion, read_criteria
from kam.analysis.result import AnalysisResult, Rows
from kam.analysis.scores import (
    SCALE,
    SCORES_BY_ACCOUNT,
    SCORES_BY_CRITERION,
    account_matrix,
    criteria_table,
    criterion_scores,
    criterion_stats,
    decimals,
    disagreement_rows,
    reject_bad_scores,
)
from kam.analysis.selection import account_classes, account_names, by_account
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.stability import rank_stability, ranks_in_order
from kam.errors import InputError, ParameterError

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

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "1 = the highest overall score; equal scores share a rank"),
    ("tied", "true when another account has the same overall score"),
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("score", "overall score, 1–10 (exact decimal)"),
    ("growth", "growth section score"),
    ("harmony", "harmony section score"),
    ("value_creation", "value creation section score"),
    ("criteria_scored", "criteria with a score for this account"),
    ("partial", "true when some criteria have no score (missing=skip)"),
    ("disagreements", "criteria whose raters are more than `disagreement` apart"),
    ("quadrant", "growth × harmony quadrant at `quadrant_line`"),
    ("abc_class", "pooled ABC class over the revenue range (blank without Revenue)"),
    ("revenue", "revenue over the range (exact decimal; blank without Revenue)"),
    ("rank_change_share", "share of weight perturbations that change the rank"),
    ("rank_min", "best rank over the perturbations and the base ranking"),
    ("rank_max", "worst rank over the perturbations and the base ranking"),
)

#: Quadrant of the growth (y) × harmony (x) matrix: (growth high, harmony high).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "key account",
    (True, False): "build the relationship",
    (False, True): "maintain",
    (False, False): "deprioritise",
}


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


def _quadrant(growth: object, harmony: object, line: Decimal) -> str | None:
    if not isinstance(growth, Decimal) or not isinstance(harmony, Decimal):
        return None
    return QUADRANTS[(growth >= line, harmony >= line)]


def _reject_missing(scores: ir.Table, lacking: Any, crits: Sequence[Criterion]) -> None:
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


def _order(data: Any) -> Any:
    """Positions of the rows of the fetched Arrow table ``data`` by score
    (descending), then account_id: an array of row numbers, found by sorting those
    two columns and the row numbers alone."""
    count = data.column("score").is_valid().to_numpy(zero_copy_only=False)
    numbered = data.select(["score", "account_id"]).append_column(
        "row", [count.cumsum() - 1]
    )
    ordered = numbered.sort_by([("score", "descending"), ("account_id", "ascending")])
    return ordered.column("row").to_numpy()


def _columns(data: Any, order: Any) -> Callable[[str], Any]:
    """The columns of a fetched Arrow table as arrays (nulls of float columns as
    NaN) with their rows taken in ``order`` (:func:`_order`), each converted once,
    through the table's own ``to_numpy``."""
    cache: dict[str, Any] = {}

    def col(name: str) -> Any:
        if name not in cache:
            cache[name] = data.column(name).to_numpy()[order]
        return cache[name]

    return col


def _quadrant_counts(growth: Any, harmony: Any, line: float) -> dict[str, int]:
    """Accounts per quadrant, from the rounded section scores (arrays, NaN when
    blank). The scores are the doubles nearest to 6-decimal values, so comparing
    them with the line's double decides as the exact decimals do."""
    known = (growth == growth) & (harmony == harmony)
    high_g, high_h = growth >= line, harmony >= line
    return {
        q: int((known & (high_g == g) & (high_h == h)).sum())
        for (g, h), q in QUADRANTS.items()
    }


def _row(
    n_criteria: int,
    perturbations: int,
    line: Decimal,
    names: Callable[[object], object],
    selection: Callable[[object], tuple[object, ...]],
) -> Callable[[dict[str, object]], dict[str, object]]:
    """The row handed out from a fetched one: the account's name (``names``),
    revenue and class (``selection``), exact decimal scores, tie, partial and
    quadrant marks, and the share of perturbations that moved the rank."""
    cache: dict[float, Decimal | None] = {}

    def dec(value: object) -> Decimal | None:
        if not isinstance(value, float):
            return None
        d = cache.get(value)
        if d is None:
            d = cache[value] = decimals([value])[0]
        return d

    def convert(r: dict[str, object]) -> dict[str, object]:
        growth, harmony = dec(r["growth"]), dec(r["harmony"])
        scored = int(str(r["criteria_scored"]))
        changes = r.get("rank_changes")
        revenue, abc_class = selection(r["account_id"])
        return {
            "rank": r["rank"],
            "tied": int(str(r["ties"])) > 1,
            "account_id": r["account_id"],
            "name": names(r["account_id"]),
            "score": dec(r["score"]),
            "growth": growth,
            "harmony": harmony,
            "value_creation": dec(r["value_creation"]),
            "criteria_scored": scored,
            "partial": scored < n_criteria,
            "disagreements": r["disagreements"],
            "quadrant": _quadrant(growth, harmony, line),
            "abc_class": abc_class,
            "revenue": revenue,
            "rank_change_share": (
                None if changes is None else int(str(changes)) / perturbations
            ),
            "rank_min": r.get("rank_min"),
            "rank_max": r.get("rank_max"),
        }

    return convert


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
    (:func:`~kam.analysis.scores.scores_by_criterion` of ``scores``), read instead
    of ``scores`` for the mean of the raters; checks that need the rows (the
    median, the accounts and rows an error names) still read ``scores``. ``wide``:
    the same spread over one row per account
    (:func:`~kam.analysis.scores.scores_by_account`), read first when it holds the
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
    order = _order(fetched)
    col = _columns(fetched, order)
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
        _reject_missing(scores, ids.filter(lacking), crits)
    partial = int(lacking.sum()) if n_rows else 0
    if partial:
        warnings.append(f"{partial} accounts are partial: some criteria have no score")
    line = Decimal(str(quadrant_line))
    names = account_names(accounts)
    selection = (
        _no_class if classes.table is None else by_account(classes.table, _CLASS)
    )
    rows = Rows(out, _row(len(crits), perturbations, line, names, selection))
    disagreements = int(col("disagreements").sum()) if n_rows else 0
    summary: dict[str, object] = {
        "accounts": n_rows,
        "criteria": len(crits),
        "partial": partial,
        "tied": int((ties > 1).sum()) if n_rows else 0,
        "disagreements": disagreements,
        "perturbations": perturbations if stability else 0,
        "unstable": int((changes > 0).sum()) if changes is not None and n_rows else 0,
        "quadrants": _quadrant_counts(col("growth"), col("harmony"), float(line)),
        "revenue_range": classes.range,
        "headline": _headline(
            out, _row(len(crits), perturbations, line, _no_name, _no_class)
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


def _no_name(_: object) -> None:
    return None


#: The selection columns of an account (:func:`~kam.analysis.selection.by_account`).
_CLASS = ("revenue", "abc_class")


def _no_class(_: object) -> tuple[object, ...]:
    return (None, None)


def _headline(
    data: Any, convert: Callable[[dict[str, object]], dict[str, object]]
) -> str:
    """The headline from the ordered rows ``data`` (the first read through
    ``convert``; no name is looked up)."""
    if not data.num_rows:
        return "no account has a score"
    top = convert(data.slice(0, 1).to_pylist()[0])
    return (
        f"{data.num_rows} accounts scored; top: {top['account_id']} at {top['score']}"
        f"{' (tied)' if top['tied'] else ''}"
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
