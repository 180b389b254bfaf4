"""The Pareto and ABC slides of the portfolio deck.

Importing this module registers their builders (:mod:`kam.deck.registry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.charts import add_abc_shares_chart, add_classes_chart, add_pareto_chart
from kam.deck.layout import BODY, Deck
from kam.deck.registry import parameters_text, slide_builder, top_rows
from kam.deck.theme import rgb
from kam.render import cell_text

__all__ = [
    "FROM_STATES",
    "TO_STATES",
    "abc_slides",
    "migration_sentence",
    "pareto_slides",
]

FROM_STATES = ("A", "B", "C", "new")
TO_STATES = ("A", "B", "C", "lost")
_ORDER = {"A": 0, "B": 1, "C": 2}
_UP = rgb("D8EFD9")
_DOWN = rgb("F8D7DA")
_SAME = rgb("EEEEEE")


def _pct(value: object) -> str:
    return cell_text("share", value)


@slide_builder("pareto")
def pareto_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The Pareto combo chart, then the ranked accounts (top rows + others)."""
    s = result.summary
    metric = str(result.parameters.get("metric", "value"))
    threshold = float(str(result.parameters.get("threshold", 0.8)))
    headline = str(s.get("headline", ""))
    top = result.rows[0] if result.rows else None
    notes = (
        f"How to read: columns are {metric} per account, largest first; the orange "
        f"line is the cumulative share on the right axis (0–100 %), the dashed line "
        f"the {threshold:.0%} threshold. Where the line crosses the threshold ends the "
        f"vital few. The numbers: {headline}."
    )
    if top is not None:
        notes += (
            f" The largest account, {top['name'] or top['account_id']}, holds "
            f"{_pct(top['share'])}; the top 5 hold {_pct(s.get('top5_share'))} and "
            f"the top 10 {_pct(s.get('top10_share'))}. "
            f"HHI {float(str(s.get('hhi', 0))):.3f}, "
            f"Gini {float(str(s.get('gini', 0))):.2f}."
        )
    slide = deck.slide(f"Pareto: {headline}", notes)
    add_pareto_chart(
        slide.shapes,
        BODY,
        result.rows,
        threshold=threshold,
        metric=metric,
        theme=deck.theme,
    )
    columns = ["rank", "account", metric, "share", "cumulative", "vital few"]
    rows = [
        [
            str(r["rank"]),
            str(r["name"] or r["account_id"]),
            cell_text("value", r["value"]),
            _pct(r["share"]),
            _pct(r["cum_share"]),
            "yes" if r["vital_few"] else "",
        ]
        for r in result.rows
    ]

    def others(n: int) -> list[str]:
        rest = result.rows[-n:]
        total = sum((_dec(r["value"]) for r in rest), Decimal(0))
        share = sum(float(str(r["share"])) for r in rest)
        return [
            "",
            f"others ({n} accounts)",
            cell_text("value", total),
            _pct(share),
            _pct(1.0),
            "",
        ]

    deck.table(
        "Pareto: accounts by " + metric,
        f"The accounts ranked by {metric} with their share and the cumulative share; "
        f"'vital few' marks the {s.get('k')} accounts that first reach the "
        f"{threshold:.0%} threshold. Accounts beyond the first rows are summed in "
        f"'others'. Parameters: {parameters_text(result)}.",
        columns,
        top_rows(rows, others),
    )


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def migration_counts(
    migration: Sequence[dict[str, object]], period_from: str, period_to: str
) -> dict[tuple[str, str], int]:
    """Accounts per (from, to) state between two periods."""
    return {
        (str(m["from_class"]), str(m["to_class"])): int(str(m["accounts"]))
        for m in migration
        if m["period_from"] == period_from and m["period_to"] == period_to
    }


def migration_sentence(counts: dict[tuple[str, str], int]) -> str:
    """ "3 accounts moved from A to B; ..." for every move between classes."""
    moves = [
        f"{n} account{'s' if n != 1 else ''} moved from {a} to {b}"
        for (a, b), n in sorted(counts.items())
        if n and a in _ORDER and b in _ORDER and a != b
    ]
    return "; ".join(moves) if moves else "no account changed class"


def _cell_colour(src: str, dst: str) -> Any:
    if src == dst:
        return _SAME
    if dst == "lost" or (src in _ORDER and dst in _ORDER and _ORDER[dst] > _ORDER[src]):
        return _DOWN
    return _UP


@slide_builder("abc")
def abc_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """Shares per class (two-sided bars), classes per period (stacked columns), one
    coloured migration matrix per pair of consecutive periods, the downgrades."""
    s = result.summary
    classes = result.tables.get("classes", [])
    pooled = [r for r in classes if r["period"] == "pooled"]
    metric = str(result.parameters.get("metric", "value"))
    shares = "; ".join(
        f"class {r['class']}: {_pct(r['account_share'])} of accounts, "
        f"{_pct(r['value_share'])} of {metric}"
        for r in pooled
    )
    slide = deck.slide(
        f"ABC: {s.get('headline', '')}",
        "How to read: for each class, the bar to the left is its share of the "
        f"accounts and the bar to the right its share of {metric}, pooled over "
        f"{s.get('period_from')}–{s.get('period_to')}. The numbers: {shares}.",
    )
    add_abc_shares_chart(slide.shapes, BODY, pooled, theme=deck.theme)

    per_period = [r for r in classes if r["period"] != "pooled"]
    counts = "; ".join(
        f"{p}: "
        + ", ".join(
            f"{r['accounts']} {r['class']}" for r in per_period if r["period"] == p
        )
        for p in dict.fromkeys(str(r["period"]) for r in per_period)
    )
    slide = deck.slide(
        "ABC: classes per period",
        "How to read: one column per period, stacked by class (A at the bottom); "
        f"the height is the number of accounts with {metric} in that period. "
        f"The numbers: {counts}.",
    )
    add_classes_chart(slide.shapes, BODY, per_period, theme=deck.theme)

    migration = result.tables.get("migration", [])
    pairs = list(
        dict.fromkeys((str(m["period_from"]), str(m["period_to"])) for m in migration)
    )
    for p_from, p_to in pairs:
        cells = migration_counts(migration, p_from, p_to)
        slide = deck.slide(
            f"ABC: migration {p_from} → {p_to}",
            f"How to read: rows are the class in {p_from}, columns the class in "
            f"{p_to}; each cell counts accounts. Green cells are upgrades, red cells "
            f"downgrades or lost accounts, grey cells stayed. The numbers: "
            f"{migration_sentence(cells)}.",
        )
        table = deck.add_table(
            slide,
            [f"{p_from} \\ {p_to}", *TO_STATES],
            [
                [src, *(str(cells.get((src, dst), 0)) for dst in TO_STATES)]
                for src in FROM_STATES
            ],
        )
        for r, src in enumerate(FROM_STATES, start=1):
            for c, dst in enumerate(TO_STATES, start=1):
                fill = table.cell(r, c).fill
                fill.solid()
                fill.fore_color.rgb = _cell_colour(src, dst)

    downgrades = result.tables.get("downgrades", [])
    if downgrades:
        rows = [
            [
                f"{d['period_from']} → {d['period_to']}",
                str(d["name"] or d["account_id"]),
                f"{d['from_class']} → {d['to_class']}",
                cell_text("value", d["value_before"]),
                cell_text("value", d["value_after"]),
            ]
            for d in downgrades
        ]
        deck.table(
            "ABC: downgrades",
            f"The {len(downgrades)} accounts that fell to a lower class between two "
            "periods, with their value before and after: candidates for a review.",
            ["periods", "account", "class", "before", "after"],
            top_rows(rows, lambda n: ["", f"… {n} more accounts", "", "", ""]),
        )
