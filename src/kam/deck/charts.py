"""Native, editable charts of the deck, built from analysis results.

Every category label and series name passes through :func:`safe_text`: python-pptx
writes chart data into the embedded workbook with XlsxWriter's ``write()``, which
would turn a label such as ``=HYPERLINK(...)`` into a live formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pptx.chart import data as _chart_data
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.util import Pt

from kam.deck.combo import add_combo_chart
from kam.deck.theme import Theme

__all__ = [
    "FORMULA_START",
    "ParetoSeries",
    "add_abc_shares_chart",
    "add_classes_chart",
    "add_column_chart",
    "add_line_chart",
    "add_pareto_chart",
    "add_stacked_column_chart",
    "pareto_series",
    "safe_text",
]

#: First characters a spreadsheet may run as a formula (design.md §6).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Above this many accounts, the Pareto groups accounts by rank percentile.
MAX_BARS = 40
#: Rank-percentile groups of the Pareto when accounts are many (5 % each).
GROUPS = 20

Box = tuple[int, int, int, int]
#: python-pptx leaves this class unannotated; typed as Any in one place.
CategoryChartData: Any = _chart_data.CategoryChartData


def safe_text(value: object) -> str:
    """``value`` as text that no spreadsheet runs: a leading ``= + - @`` or control
    character gets a ``'`` in front, as in kam's CSV exports."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass(frozen=True)
class ParetoSeries:
    """What the Pareto chart plots: a label, a value and a cumulative share per bar."""

    labels: list[str]
    values: list[float]
    cum_shares: list[float]
    grouped: bool


def pareto_series(rows: Sequence[dict[str, object]]) -> ParetoSeries:
    """One bar per account (by name) up to :data:`MAX_BARS` accounts; beyond, one bar
    per 5 % of accounts by rank ("top 5 %", "5–10 %", ...) holding their summed value
    and the cumulative share at its last account."""
    if len(rows) <= MAX_BARS:
        return ParetoSeries(
            labels=[safe_text(r["name"] or r["account_id"]) for r in rows],
            values=[float(_number(r["value"])) for r in rows],
            cum_shares=[float(_number(r["cum_share"])) for r in rows],
            grouped=False,
        )
    n = len(rows)
    labels: list[str] = []
    values: list[float] = []
    cums: list[float] = []
    start = 0
    for g in range(1, GROUPS + 1):
        # Accounts whose rank_pct = rank / n falls in ((g-1)/20, g/20].
        end = (g * n) // GROUPS
        if end <= start:
            continue
        chunk = rows[start:end]
        lo, hi = (g - 1) * 100 // GROUPS, g * 100 // GROUPS
        labels.append(f"top {hi} %" if lo == 0 else f"{lo}–{hi} %")
        values.append(float(sum(_number(r["value"]) for r in chunk)))
        cums.append(float(_number(chunk[-1]["cum_share"])))
        start = end
    return ParetoSeries(labels, values, cums, grouped=True)


def _number(value: object) -> Decimal | float:
    if isinstance(value, Decimal | float | int):
        return value
    return Decimal(str(value))


def _style(chart: Any, theme: Theme, *, legend: bool = True) -> None:
    chart.font.name = theme.font
    chart.font.size = Pt(11)
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def add_pareto_chart(
    shapes: Any,
    box: Box,
    rows: Sequence[dict[str, object]],
    *,
    threshold: float,
    metric: str,
    theme: Theme,
) -> Any:
    """The Pareto combo chart: value columns, cumulative-share line and a dashed
    threshold line on a 0–100 % right axis."""
    series = pareto_series(rows)
    data = CategoryChartData(number_format="#,##0")
    data.categories = series.labels
    data.add_series(safe_text(metric), series.values, number_format="#,##0")
    data.add_series("cumulative share", series.cum_shares, number_format="0.0%")
    data.add_series(
        f"threshold {threshold:.0%}", [threshold] * len(series.labels), "0%"
    )
    chart = add_combo_chart(shapes, box, data)
    _style(chart, theme)
    bar_plot, line_plot = chart.plots[0], chart.plots[1]
    bar_plot.gap_width = 40
    bars = bar_plot.series[0].format.fill
    bars.solid()
    bars.fore_color.rgb = theme.rgb("primary")
    cum, limit = line_plot.series
    cum.format.line.color.rgb = theme.rgb("accent")
    cum.format.line.width = Pt(2.25)
    limit.format.line.color.rgb = theme.rgb("muted")
    limit.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
    limit.format.line.width = Pt(1.5)
    chart.category_axis.tick_labels.font.size = Pt(8 if not series.grouped else 9)
    return chart


def add_abc_shares_chart(
    shapes: Any, box: Box, classes: Sequence[dict[str, object]], *, theme: Theme
) -> Any:
    """Two-sided bars per class: share of accounts to the left, share of value to
    the right (account shares are plotted negative and shown without a sign)."""
    data = CategoryChartData(number_format="0%;0%")
    data.categories = [safe_text(r["class"]) for r in classes]
    data.add_series(
        "share of accounts", [-float(_number(r["account_share"])) for r in classes]
    )
    data.add_series(
        "share of value", [float(_number(r["value_share"])) for r in classes]
    )
    x, y, cx, cy = box
    chart = shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, x, y, cx, cy, data).chart
    _style(chart, theme)
    plot = chart.plots[0]
    plot.overlap = 100
    plot.gap_width = 40
    plot.has_data_labels = True
    plot.data_labels.number_format = "0%;0%"
    plot.data_labels.number_format_is_linked = False
    for ser, role in zip(plot.series, ("muted", "primary"), strict=True):
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = theme.rgb(role)
        ser.invert_if_negative = False
    chart.value_axis.minimum_scale = -1
    chart.value_axis.maximum_scale = 1
    chart.value_axis.tick_labels.number_format = "0%;0%"
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.category_axis.reverse_order = True
    return chart


def add_classes_chart(
    shapes: Any, box: Box, classes: Sequence[dict[str, object]], *, theme: Theme
) -> Any:
    """Accounts per class and period as stacked columns (A at the bottom)."""
    periods = list(dict.fromkeys(str(r["period"]) for r in classes))
    counts = {(str(r["period"]), str(r["class"])): r["accounts"] for r in classes}
    data = CategoryChartData(number_format="0")
    data.categories = [safe_text(p) for p in periods]
    for cls in ("A", "B", "C"):
        data.add_series(
            f"class {cls}", [float(_number(counts.get((p, cls), 0))) for p in periods]
        )
    x, y, cx, cy = box
    chart = shapes.add_chart(XL_CHART_TYPE.COLUMN_STACKED, x, y, cx, cy, data).chart
    _style(chart, theme)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    for ser, cls in zip(plot.series, "ABC", strict=True):
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = theme.class_rgb(cls)
    return chart


def _category_chart(
    shapes: Any,
    box: Box,
    chart_type: Any,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    theme: Theme,
    number_format: str,
) -> Any:
    """A category chart of ``chart_type``, one series per name, labels made safe."""
    data = CategoryChartData(number_format=number_format)
    data.categories = [safe_text(c) for c in categories]
    for name, values in series:
        data.add_series(safe_text(name), list(values))
    x, y, cx, cy = box
    chart = shapes.add_chart(chart_type, x, y, cx, cy, data).chart
    _style(chart, theme, legend=len(series) > 1)
    return chart


def add_line_chart(
    shapes: Any,
    box: Box,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    theme: Theme,
    number_format: str = "#,##0",
) -> Any:
    """A plain line chart (one line per named series), e.g. an account's MRR; a
    None value leaves a gap."""
    return _category_chart(
        shapes,
        box,
        XL_CHART_TYPE.LINE_MARKERS,
        categories,
        series,
        theme=theme,
        number_format=number_format,
    )


def add_column_chart(
    shapes: Any,
    box: Box,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    theme: Theme,
    number_format: str = "#,##0",
) -> Any:
    """Clustered columns (one colour per named series), e.g. revenue per year."""
    chart = _category_chart(
        shapes,
        box,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        categories,
        series,
        theme=theme,
        number_format=number_format,
    )
    first = chart.plots[0].series[0].format.fill
    first.solid()
    first.fore_color.rgb = theme.rgb("primary")
    return chart


def add_stacked_column_chart(
    shapes: Any,
    box: Box,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    theme: Theme,
    number_format: str = "#,##0",
) -> Any:
    """Stacked columns (the first series at the bottom), e.g. MRR by plan per month
    or a waterfall drawn over an invisible base series."""
    chart = _category_chart(
        shapes,
        box,
        XL_CHART_TYPE.COLUMN_STACKED,
        categories,
        series,
        theme=theme,
        number_format=number_format,
    )
    chart.plots[0].gap_width = 50
    return chart
