"""Slide builders by analysis name: how each tool appears in the portfolio deck.

A later tool adds its slides with::

    @slide_builder("scoring")
    def scoring_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
        ...

An analysis of the registry without a builder still gets a slide: its headline, its
first rows as a table and notes naming its parameters (:func:`generic_slides`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.layout import Deck
from kam.render import cell_text

__all__ = [
    "BUILDERS",
    "SlideBuilder",
    "builder_for",
    "generic_slides",
    "parameters_text",
    "slide_builder",
    "top_rows",
]

SlideBuilder = Callable[[Deck, AnalysisResult, Analysis], None]

#: Slide builders by analysis name.
BUILDERS: dict[str, SlideBuilder] = {}
#: Rows of a ranked table before the rest is summed into "others".
TOP_ROWS = 27


def slide_builder(name: str) -> Callable[[SlideBuilder], SlideBuilder]:
    """Register the decorated function as the slide builder of analysis ``name``."""

    def register(fn: SlideBuilder) -> SlideBuilder:
        BUILDERS[name] = fn
        return fn

    return register


def builder_for(name: str) -> SlideBuilder:
    """The builder of ``name``, else :func:`generic_slides`."""
    return BUILDERS.get(name, generic_slides)


def parameters_text(result: AnalysisResult) -> str:
    """The parameters a result was computed with, as the footer shows them."""
    parts = []
    for key, value in result.parameters.items():
        if value is None or key == "as_of":
            continue
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def top_rows(
    rows: Sequence[Sequence[str]], others: Callable[[int], Sequence[str]]
) -> list[Sequence[str]]:
    """The first :data:`TOP_ROWS` rows, then ``others(n)`` standing for the ``n``
    rows left out (nothing is added when every row fits)."""
    if len(rows) <= TOP_ROWS:
        return list(rows)
    return [*rows[:TOP_ROWS], others(len(rows) - TOP_ROWS)]


def generic_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The headline and the first rows of any analysis, as a table."""
    columns = [c for c, _ in analysis.output_columns][:7]
    rows = [[cell_text(c, r.get(c)) for c in columns] for r in result.rows]
    headline = str(result.summary.get("headline") or analysis.description)
    first_line = headline.splitlines()[0] if headline else ""
    if len(first_line) > 70:
        first_line = first_line[:69] + "…"
    notes = (
        f"{analysis.title}: {analysis.description}\n{headline}\nEach row is one "
        f"line of the result; {len(result.rows)} rows in all. Parameters: "
        f"{parameters_text(result)}."
    )
    deck.table(
        f"{analysis.title}: {first_line}",
        notes,
        columns,
        top_rows(rows, lambda n: [f"… {n} more rows", *[""] * (len(columns) - 1)]),
    )
