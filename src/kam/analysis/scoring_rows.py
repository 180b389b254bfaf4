"""The scoring matrix's rows as handed out (:data:`OUTPUT_COLUMNS`): the order of
the fetched rows, their columns as arrays, each row converted to exact decimals
with its name, revenue, ABC class, tie, partial and quadrant marks
(:func:`selection_row`), the quadrant counts and the headline
(:mod:`kam.analysis.scoring` builds the query and ranks).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from kam.analysis.score_values import decimals

__all__ = [
    "CLASS_FIELDS",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "no_class",
    "no_name",
    "quadrant_counts",
    "score_order",
    "selection_headline",
    "selection_row",
    "taken_columns",
]

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


def _quadrant(growth: object, harmony: object, line: Decimal) -> str | None:
    if not isinstance(growth, Decimal) or not isinstance(harmony, Decimal):
        return None
    return QUADRANTS[(growth >= line, harmony >= line)]


def score_order(data: Any) -> Any:
    """Positions of the rows of the fetched Arrow table ``data`` by score
    (descending), then account_id: an array of row numbers, found by sorting those
    two columns and the row numbers alone."""
    count = data.column("score").is_valid().to_numpy(zero_copy_only=False)
    numbered = data.select(["score", "account_id"]).append_column(
        "row", [count.cumsum() - 1]
    )
    ordered = numbered.sort_by([("score", "descending"), ("account_id", "ascending")])
    return ordered.column("row").to_numpy()


def taken_columns(data: Any, order: Any) -> Callable[[str], Any]:
    """The columns of a fetched Arrow table as arrays (nulls of float columns as
    NaN) with their rows taken in ``order`` (:func:`score_order`), each converted once,
    through the table's own ``to_numpy``."""
    cache: dict[str, Any] = {}

    def col(name: str) -> Any:
        if name not in cache:
            cache[name] = data.column(name).to_numpy()[order]
        return cache[name]

    return col


def quadrant_counts(growth: Any, harmony: Any, line: float) -> dict[str, int]:
    """Accounts per quadrant, from the rounded section scores (arrays, NaN when
    blank). The scores are the doubles nearest to 6-decimal values, so comparing
    them with the line's double decides as the exact decimals do."""
    known = (growth == growth) & (harmony == harmony)
    high_g, high_h = growth >= line, harmony >= line
    return {
        q: int((known & (high_g == g) & (high_h == h)).sum())
        for (g, h), q in QUADRANTS.items()
    }


def selection_row(
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


def no_name(_: object) -> None:
    return None


#: The selection columns of an account (:func:`~kam.analysis.selection.by_account`).
CLASS_FIELDS = ("revenue", "abc_class")


def no_class(_: object) -> tuple[object, ...]:
    return (None, None)


def selection_headline(
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
