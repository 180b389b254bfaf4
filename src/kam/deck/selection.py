"""Deck slides of the scoring matrix and the profit matrix (native charts).

- scoring: the harmony × growth bubble chart (one series per ABC class, bubble =
  revenue, the axes crossing at the quadrant line), the top of the selection table;
- profit: the CTS % × NPI bubble chart (one series per profit sign, bubble = net
  revenue, the axes crossing at the cut-offs), the whale curve as a line chart, the
  customer × product action grid as a coloured table with its policy labels.

Bubble charts hold at most :data:`MAX_BUBBLES` accounts (the best ranked); the notes
say when more were left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pptx.chart.data import BubbleChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_TICK_LABEL_POSITION
from pptx.util import Pt

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.charts import _style, add_line_chart, safe_text
from kam.deck.layout import BODY, Box, Deck
from kam.deck.registry import parameters_text, slide_builder, top_rows
from kam.deck.theme import Theme, rgb
from kam.render import cell_text

__all__ = [
    "GRID_COLOURS",
    "MAX_BUBBLES",
    "WHALE_POINTS",
    "add_bubble_chart",
    "profit_slides",
    "scoring_slides",
    "whale_points",
]

#: Accounts drawn at most in a bubble chart (the first rows of the result).
MAX_BUBBLES = 200
#: Points of the whale curve at most (sampled beyond, keeping the peak and the end).
WHALE_POINTS = 40
#: Fill of an action-grid cell: profit ≥ 0, loss, no pairs.
GRID_COLOURS = {"gain": "D8EFD9", "loss": "F8D7DA", "empty": "EEEEEE"}
_PROFIT_COLOURS = {"profit ≥ 0": "2E8B57", "loss": "C0392B"}

Point = tuple[float, float, float]


def _f(value: object) -> float | None:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return None


def add_bubble_chart(
    shapes: Any,
    box: Box,
    series: Sequence[tuple[str, Sequence[Point], Any]],
    *,
    theme: Theme,
    x_title: str,
    y_title: str,
    cross: tuple[float | None, float | None],
    x_format: str = "0.0",
    y_format: str = "0.0",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
) -> Any:
    """A native bubble chart: per series (name, [(x, y, size)], colour). The axes
    cross at ``cross`` (x, y), so they draw the quadrant lines; tick labels stay at
    the chart's edges."""
    data = BubbleChartData()  # type: ignore[no-untyped-call]
    for name, points, _ in series:
        s = data.add_series(safe_text(name))  # type: ignore[no-untyped-call]
        for x, y, size in points:
            s.add_data_point(x, y, size)
    x0, y0, cx, cy = box
    chart = shapes.add_chart(XL_CHART_TYPE.BUBBLE, x0, y0, cx, cy, data).chart
    _style(chart, theme, legend=len(series) > 1)
    for plot_series, (_, _, colour) in zip(chart.plots[0].series, series, strict=True):
        fill = plot_series.format.fill
        fill.solid()
        fill.fore_color.rgb = colour
    x_axis, y_axis = chart.category_axis, chart.value_axis
    for axis, title, fmt, rng in (
        (x_axis, x_title, x_format, x_range),
        (y_axis, y_title, y_format, y_range),
    ):
        axis.has_title = True
        axis.axis_title.text_frame.text = safe_text(title)
        axis.tick_labels.number_format = fmt
        axis.tick_labels.number_format_is_linked = False
        axis.tick_labels.font.size = Pt(9)
        axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        if rng is not None:
            axis.minimum_scale, axis.maximum_scale = rng
    # ``crosses_at`` on one axis says where the other one crosses it.
    if cross[0] is not None:
        x_axis.crosses_at = cross[0]
    if cross[1] is not None:
        y_axis.crosses_at = cross[1]
    return chart


def _left_out(total: int) -> str:
    if total <= MAX_BUBBLES:
        return ""
    return f" The chart shows the first {MAX_BUBBLES} of {total} accounts."


@slide_builder("scoring")
def scoring_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The harmony × growth bubbles and the top of the selection table."""
    rows = list(result.rows)
    s = result.summary
    line = float(str(result.parameters.get("quadrant_line", 5.5)))
    drawn = [
        r
        for r in rows
        if _f(r.get("harmony")) is not None and _f(r.get("growth")) is not None
    ][:MAX_BUBBLES]
    by_class: dict[str, list[Point]] = {}
    for r in drawn:
        cls = str(r.get("abc_class") or "")
        size = max(_f(r.get("revenue")) or 0.0, 0.0) or 1.0
        by_class.setdefault(cls, []).append(
            (_f(r["harmony"]) or 0.0, _f(r["growth"]) or 0.0, size)
        )
    series = [
        (
            f"class {c}" if c else "no class",
            by_class[c],
            deck.theme.class_rgb(c)
            if c in ("A", "B", "C")
            else deck.theme.rgb("muted"),
        )
        for c in sorted(by_class, key=lambda c: (c == "", c))
    ]
    quadrants = _counts(s.get("quadrants"))
    slide = deck.slide(
        f"Scoring: {s.get('headline', '')}",
        "How to read: each bubble is an account, harmony to the right, growth up; "
        f"the axes cross at {line}, splitting the four quadrants (top right: key "
        "accounts). Bubble area is revenue over "
        f"{s.get('revenue_range') or 'the range'}; colour is the ABC class. "
        f"The numbers: {quadrants}.{_left_out(len(rows))}",
    )
    if series:
        add_bubble_chart(
            slide.shapes,
            BODY,
            series,
            theme=deck.theme,
            x_title="harmony",
            y_title="growth",
            cross=(line, line),
            x_range=(1.0, 10.0),
            y_range=(1.0, 10.0),
        )
    table = [
        [
            f"{r['rank']}{'=' if r['tied'] else ''}",
            str(r.get("name") or r["account_id"]),
            _exact(r["score"]),
            _exact(r["growth"]),
            _exact(r["harmony"]),
            str(r.get("quadrant") or ""),
            str(r.get("abc_class") or ""),
            cell_text("revenue", r.get("revenue")),
            "" if r.get("rank_min") is None else f"{r['rank_min']}–{r['rank_max']}",
        ]
        for r in rows
    ]
    deck.table(
        "Scoring: the selection table",
        f"The accounts by overall score ({s.get('accounts')} scored; '=' marks a "
        "tie). Rank range: the best and worst rank when each criterion weight moves "
        f"±20 %, one at a time. Parameters: {parameters_text(result)}.",
        [
            "rank",
            "account",
            "score",
            "growth",
            "harmony",
            "quadrant",
            "ABC",
            "revenue",
            "rank range",
        ],
        top_rows(table, lambda n: ["", f"… {n} more accounts", *[""] * 7]),
    )


def whale_points(rows: Sequence[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """(account share, cumulative profit share) from (0, 0), at most
    :data:`WHALE_POINTS` + 2 points: evenly spaced, plus the peak and the end."""
    points = [
        (float(r["account_share"]), float(r["cum_profit_share"]))
        for r in rows
        if r.get("cum_profit_share") is not None
    ]
    if len(points) > WHALE_POINTS:
        step = len(points) / WHALE_POINTS
        peak = max(range(len(points)), key=lambda i: points[i][1])
        keep = {int(i * step) for i in range(WHALE_POINTS)} | {peak, len(points) - 1}
        points = [points[i] for i in sorted(keep)]
    return [(0.0, 0.0), *points]


@slide_builder("profit")
def profit_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The price × cost-to-serve bubbles, the whale curve and the action grid."""
    rows = list(result.rows)
    s = result.summary
    npi_cut, cts_cut = _f(s.get("npi_cutoff")), _f(s.get("cts_cutoff"))
    drawn = [
        r
        for r in rows
        if _f(r.get("npi")) is not None and _f(r.get("cts_share")) is not None
    ][:MAX_BUBBLES]
    signs: dict[str, list[Point]] = {}
    for r in drawn:
        sign = "loss" if (_f(r.get("profit")) or 0.0) < 0 else "profit ≥ 0"
        signs.setdefault(sign, []).append(
            (
                _f(r["cts_share"]) or 0.0,
                _f(r["npi"]) or 0.0,
                _f(r["net_revenue"]) or 0.0,
            )
        )
    series = [
        (sign, signs[sign], rgb(_PROFIT_COLOURS[sign]))
        for sign in ("profit ≥ 0", "loss")
        if sign in signs
    ]
    quadrants = _counts(s.get("quadrants"))
    slide = deck.slide(
        "Profit: price × cost to serve",
        "How to read: each bubble is an account, cost to serve as a share of net "
        "revenue to the right, net price index up; the axes cross at the cut-offs "
        f"(NPI {npi_cut:.3f}, CTS {cts_cut:.1%}), so top left is passive, top "
        "right carriage trade, bottom left bargain basement, bottom right "
        "aggressive. Bubble area is net revenue; red accounts lose money. The "
        f"numbers: {quadrants}.{_left_out(len(rows))}"
        if npi_cut is not None and cts_cut is not None
        else "No account has both a net price index and a cost-to-serve share.",
    )
    if series:
        add_bubble_chart(
            slide.shapes,
            BODY,
            series,
            theme=deck.theme,
            x_title="cost to serve / net revenue",
            y_title="net price index",
            cross=(cts_cut, npi_cut),
            x_format="0%",
            y_format="0.00",
        )
    points = whale_points(rows)
    peak, at = s.get("peak_share"), s.get("peak_accounts")
    slide = deck.slide(
        f"Profit: the whale curve peaks at {cell_text('share', peak)}"
        if isinstance(peak, float)
        else "Profit: the whale curve",
        "How to read: accounts from the most to the least profitable; the line is "
        "the cumulative share of total profit. Above 100 % the rest of the accounts "
        f"give profit back. The numbers: the peak is {cell_text('share', peak)} "
        f"after {at} accounts; {s.get('loss_makers')} loss-makers erode "
        f"{cell_text('profit', Decimal(str(s.get('profit_eroded') or 0)))} of profit.",
    )
    add_line_chart(
        slide.shapes,
        BODY,
        [f"{x:.0%}" for x, _ in points],
        [("cumulative share of profit", [y for _, y in points])],
        theme=deck.theme,
        number_format="0%",
    )
    grid = {
        (str(c["customer_class"]), int(str(c["product_class"]))): c
        for c in result.tables.get("grid", [])
    }
    slide = deck.slide(
        "Profit: customer × product action grid",
        "How to read: rows are customer classes (A = top quartile of account "
        "profit), columns product classes (1 = top quartile of product margin); "
        "each cell gives its service policy, the account × product pairs and their "
        "profit. Red cells lose money, green cells make it, grey cells are empty.",
    )
    products = (1, 2, 3, 4)
    table = deck.add_table(
        slide,
        ["customer \\ product", *(str(k) for k in products)],
        [
            [
                c,
                *(_grid_text(grid.get((c, k))) for k in products),
            ]
            for c in ("A", "B", "C", "D")
        ],
    )
    for line, c in enumerate(("A", "B", "C", "D"), start=1):
        for col, k in enumerate(products, start=1):
            fill = table.cell(line, col).fill
            fill.solid()
            fill.fore_color.rgb = rgb(GRID_COLOURS[_grid_kind(grid.get((c, k)))])


def _counts(value: object) -> str:
    """``{"passive": 3, ...}`` as "passive: 3; …"."""
    if not isinstance(value, Mapping):
        return ""
    return "; ".join(f"{k}: {n}" for k, n in value.items())


def _exact(value: object) -> str:
    """A score as the analysis gives it (2.95, 7.875): never rounded for show."""
    return "" if value is None else str(value)


def _grid_kind(cell: Mapping[str, Any] | None) -> str:
    if not cell or not cell.get("pairs"):
        return "empty"
    return "loss" if Decimal(str(cell["profit"])) < 0 else "gain"


def _grid_text(cell: Mapping[str, Any] | None) -> str:
    if cell is None:
        return ""
    return (
        f"{cell['policy']}\n{cell['pairs']} pairs, profit "
        f"{cell_text('profit', cell['profit'])}"
    )
