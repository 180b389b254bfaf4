"""Native charts of the dashboard and retention sheets of the results workbook.

:mod:`kam.workbook.results` writes every analysis' rows and tables; the functions
here add, beside them: MRR by plan per month as stacked columns (a month × plan pivot
next to the ``mrr series`` table), the MRR bridge of the last twelve months as a
waterfall (stacked columns over a base series with no fill and no border), GRR beside
NRR as lines, the NPS and CSAT trend as lines, and the cohort tables coloured as
heat maps (a two-colour scale over the age columns).

Each function takes the workbook, the worksheet and its name, the rows written and
where: ``header`` is the row of the table's header, ``columns`` its columns in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["CHARTS", "ChartWriter", "place", "stacked_columns", "waterfall_rows"]

ChartWriter = Callable[
    [Any, Any, str, Sequence[Mapping[str, object]], int, Sequence[str]], None
]

#: The bridge's bars in order: (movement, +1 up / −1 down / 0 a total).
_STEPS = (
    ("start", 0),
    ("new", 1),
    ("expansion", 1),
    ("reactivation", 1),
    ("contraction", -1),
    ("churn", -1),
    ("end", 0),
)
_MONTHS = 12


def _dec(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def place(ws: Any, chart: Any, row: int, col: int, *, legend: bool = True) -> None:
    """Put ``chart`` (720 × 360 px, its legend below or none) at (``row``, ``col``)."""
    chart.set_legend({"position": "bottom"} if legend else {"none": True})
    chart.set_size({"width": 720, "height": 360})
    ws.insert_chart(row, col, chart)


def stacked_columns(
    workbook: Any,
    ws: Any,
    sheet: str,
    at: tuple[int, int],
    names: Sequence[str],
    bars: Sequence[tuple[str, Sequence[float]]],
    *,
    header_format: Any = None,
    series: Sequence[Mapping[str, Any]] = (),
) -> Any:
    """A stacked column chart over a block written at ``at`` (row, column).

    The block's first row is ``names`` (the category column's, then each series');
    each bar adds a row: its label, then one value per series. The chart has a
    series per value column, named by its header cell; ``series`` (optional, one
    per value column) adds options to each (a gap, a fill).
    """
    header, col0 = at
    for j, name in enumerate(names):
        ws.write_string(header, col0 + j, name, header_format)
    for i, (label, values) in enumerate(bars, start=header + 1):
        ws.write_string(i, col0, label)
        for j, value in enumerate(values, start=1):
            ws.write_number(i, col0 + j, value)
    last = header + len(bars)
    chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
    for j in range(1, len(names)):
        chart.add_series(
            {
                "name": [sheet, header, col0 + j],
                "categories": [sheet, header + 1, col0, last, col0],
                "values": [sheet, header + 1, col0 + j, last, col0 + j],
                **(series[j - 1] if series else {}),
            }
        )
    return chart


def mrr_series_chart(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """A month × plan pivot of the MRR series beside its table, as stacked columns."""
    months = list(dict.fromkeys(str(r["month"]) for r in rows))
    plans = sorted({str(r["plan"]) for r in rows})
    if not months:
        return
    by = {(str(r["month"]), str(r["plan"])): r["mrr"] for r in rows}
    col0 = len(columns) + 1
    bars = [(m, [float(_dec(by.get((m, p)))) for p in plans]) for m in months]
    chart = stacked_columns(
        workbook,
        ws,
        sheet,
        (header, col0),
        ["month", *plans],
        bars,
        series=[{"gap": 50}] * len(plans),
    )
    chart.set_title({"name": "MRR by plan"})
    chart.set_y_axis({"num_format": "#,##0"})
    place(ws, chart, 0, col0 + len(plans) + 2)


def waterfall_rows(
    rows: Sequence[Mapping[str, object]],
) -> list[tuple[str, float, float, float, float]]:
    """(label, base, total, up, down) per bar of the bridge over ``rows``: the first
    month's start, the movements summed, the last month's end; a rise sits on the
    running total, a fall hangs from it."""
    out: list[tuple[str, float, float, float, float]] = []
    if not rows:
        return out
    start, end = _dec(rows[0]["start"]), _dec(rows[-1]["end"])
    running = start
    for name, sign in _STEPS:
        if sign == 0:
            out.append((name, 0.0, float(start if name == "start" else end), 0, 0))
            continue
        value = sum((_dec(r[name]) for r in rows), Decimal(0))
        if sign > 0:
            out.append((name, float(running), 0.0, float(value), 0.0))
            running += value
        else:
            running -= value
            out.append((name, float(running), 0.0, 0.0, float(value)))
    return out


def bridge_chart(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """The bridge of the last twelve months as a waterfall beside the table."""
    bars = waterfall_rows(rows[-_MONTHS:])
    if not bars:
        return
    col0 = len(columns) + 1
    names = ("bar", "base", "MRR", "up", "down")
    looks: list[dict[str, Any]] = [
        {"fill": {"none": True}, "border": {"none": True}},
        {"fill": {"color": "#1F4E79"}},
        {"fill": {"color": "#2E7D32"}},
        {"fill": {"color": "#C62828"}},
    ]
    chart = stacked_columns(
        workbook,
        ws,
        sheet,
        (header, col0),
        names,
        [(bar[0], bar[1:]) for bar in bars],
        series=[{"gap": 50, **look} for look in looks],
    )
    first, final = rows[-_MONTHS:][0]["month"], rows[-1]["month"]
    chart.set_title({"name": f"MRR bridge {first} to {final}"})
    chart.set_y_axis({"num_format": "#,##0"})
    place(ws, chart, 0, col0 + len(names) + 1, legend=False)


def _lines(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
    series: Sequence[str],
    title: str,
    num_format: str,
) -> None:
    wanted = [c for c in series if c in columns]
    if not rows or not wanted:
        return
    first, last = header + 1, header + len(rows)
    chart = workbook.add_chart({"type": "line"})
    for name in wanted:
        col = list(columns).index(name)
        chart.add_series(
            {
                "name": name.upper() if len(name) <= 4 else name,
                "categories": [sheet, first, 0, last, 0],
                "values": [sheet, first, col, last, col],
                "marker": {"type": "circle", "size": 4},
            }
        )
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": num_format})
    place(ws, chart, 0, len(columns) + 1)


def retention_chart(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """GRR beside NRR (and logo retention) per period as lines."""
    _lines(
        workbook, ws, sheet, rows, header, columns, ("grr", "nrr", "crr"),
        "GRR and NRR", "0%",
    )  # fmt: skip


def satisfaction_trend_chart(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """NPS per period as a line (its n is in the table beside it)."""
    _lines(workbook, ws, sheet, rows, header, columns, ("nps",), "NPS (points)", "0")


def cohort_heat_map(
    workbook: Any,
    ws: Any,
    sheet: str,
    rows: Sequence[Mapping[str, object]],
    header: int,
    columns: Sequence[str],
) -> None:
    """The age columns coloured from white (lowest) to green (highest)."""
    ages = [i for i, c in enumerate(columns) if c.startswith("age_")]
    if not rows or not ages:
        return
    ws.conditional_format(
        header + 1,
        ages[0],
        header + len(rows),
        ages[-1],
        {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#1B5E20"},
    )


#: Chart writers by (analysis, table); ``None`` is the analysis' own rows.
CHARTS: dict[tuple[str, str | None], ChartWriter] = {
    ("mrr", "series"): mrr_series_chart,
    ("mrr_bridge", None): bridge_chart,
    ("retention", None): retention_chart,
    ("satisfaction", "trend"): satisfaction_trend_chart,
    ("cohorts", "revenue"): cohort_heat_map,
    ("cohorts", "logo"): cohort_heat_map,
}
