"""Plotly figures of the planning pages: the timeline's Gantt chart and the division
map's treemap, as JSON for ``Plotly.newPlot`` (static/kam.js).

Written as plain JSON, like :func:`kam.web.charts.mrr_by_plan`: a Gantt chart of
2,000 tasks holds several arrays of 2,000 values, and validating them through
``plotly.graph_objects`` costs more than the rest of the page.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from threading import Lock
from typing import Any, TypeVar

from kam.analysis.result import AnalysisResult

__all__ = [
    "CRITICAL",
    "PHASE_COLOURS",
    "baseline_start",
    "cached",
    "gantt",
    "gantt_label",
    "unit_parents",
    "units_treemap",
]

#: Fill of the bars and diamonds on the critical path.
CRITICAL = "#c0392b"
#: Fills of the other bars, one per phase in order of first appearance (cycled).
PHASE_COLOURS = (
    "#1f6f8b",
    "#99c24d",
    "#d9a441",
    "#6c5b7b",
    "#2e8b57",
    "#5b6b7c",
    "#e07a5f",
    "#3d405b",
)
_GHOST = "rgba(91, 107, 124, 0.45)"
_DAY_MS = 86_400_000
_MARGIN = {"l": 60, "r": 30, "t": 30, "b": 40}
_MEMO_SIZE = 64
T = TypeVar("T")
_memo: OrderedDict[tuple[int, str], tuple[object, Any]] = OrderedDict()
_memo_lock = Lock()


def _safe(text: str) -> str:
    """JSON text safe inside a ``<script>`` element (as in kam.web.charts)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def cached(result: object, name: str, build: Callable[[], T]) -> T:
    """``build()``, remembered for this very ``result`` object (the engine hands out
    the same result for the same data, parameters and accounts), as
    :func:`kam.web.charts.cached_json` does for graph-object figures."""
    key = (id(result), name)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None and found[0] is result:
            _memo.move_to_end(key)
            value: T = found[1]
            return value
    built = build()
    with _memo_lock:
        _memo[key] = (result, built)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return built


def gantt_label(row: Mapping[str, object]) -> str:
    """The y-axis label of a task: its id and name (ids keep labels unique)."""
    name = row.get("name")
    return f"{row['task_id']} {name}" if name else str(row["task_id"])


def _span(start: date, finish: date) -> int:
    """Milliseconds from the start of ``start`` to the end of ``finish``."""
    return ((finish - start).days + 1) * _DAY_MS


def _dates(row: Mapping[str, object]) -> tuple[date, date]:
    start, finish = row["early_start"], row["early_finish"]
    assert isinstance(start, date)
    assert isinstance(finish, date)
    return start, finish


def baseline_start(row: Mapping[str, object]) -> date | None:
    """Where the baseline bar starts: the planned bar moved to end on the baseline
    finish (the Tasks sheet keeps the baseline finish, not its start)."""
    base = row.get("baseline_finish")
    if not isinstance(base, date):
        return None
    start, finish = _dates(row)
    return base - (finish - start)


def _baseline(row: Mapping[str, object]) -> tuple[date | None, date | None]:
    start = baseline_start(row)
    base = row.get("baseline_finish")
    return start, base if isinstance(base, date) else None


def gantt(result: AnalysisResult, limit: int | None = None) -> str:
    """The timeline as a Gantt chart (figure JSON) of its first ``limit`` tasks
    (None: every task), in the order of the task table.

    One bar per task from its early start to its early finish, coloured by phase;
    critical tasks in :data:`CRITICAL` (trace "critical path"); milestones as
    diamonds; a grey ghost bar per task with a baseline finish; a dashed line at
    the as-of date ("today") and a light band with the name of each phase.
    """
    rows = result.rows if limit is None else result.rows[:limit]
    labels = [gantt_label(r) for r in rows]
    data: list[dict[str, object]] = []
    ghosts = [
        (labels[i], start, finish)
        for i, r in enumerate(rows)
        if not r["milestone"]
        for start, finish in [_baseline(r)]
        if start is not None and finish is not None
    ]
    if ghosts:
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": "baseline",
                "y": [label for label, _, _ in ghosts],
                "base": [start.isoformat() for _, start, _ in ghosts],
                "x": [_span(start, finish) for _, start, finish in ghosts],
                "marker": {"color": _GHOST},
                "width": 0.8,
                "hoverinfo": "skip",
            }
        )
    phases = list(dict.fromkeys(str(r["phase"] or "") for r in rows))
    colour = {p: PHASE_COLOURS[n % len(PHASE_COLOURS)] for n, p in enumerate(phases)}
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["milestone"]:
            continue
        key = "critical path" if r["critical"] else str(r["phase"] or "")
        groups.setdefault(key, []).append(i)
    for key in [*phases, "critical path"]:
        found = groups.get(key)
        if not found:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": key or "no phase",
                "y": [labels[i] for i in found],
                "base": [str(rows[i]["early_start"]) for i in found],
                "x": [_span(*_dates(rows[i])) for i in found],
                "marker": {
                    "color": CRITICAL if key == "critical path" else colour[key]
                },
                "width": 0.5,
                "customdata": [
                    [
                        str(rows[i]["early_finish"]),
                        rows[i]["total_float"],
                        rows[i]["phase"] or "",
                    ]
                    for i in found
                ],
                "hovertemplate": "%{y}<br>%{base|%Y-%m-%d} – %{customdata[0]}"
                "<br>phase %{customdata[2]} · total float %{customdata[1]} days"
                "<extra></extra>",
            }
        )
    stones = [i for i, r in enumerate(rows) if r["milestone"]]
    if stones:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "milestone",
                "y": [labels[i] for i in stones],
                "x": [str(rows[i]["early_start"]) for i in stones],
                "marker": {
                    "symbol": "diamond",
                    "size": 12,
                    "color": [
                        CRITICAL if rows[i]["critical"] else "#1f2d3d" for i in stones
                    ],
                },
                "hovertemplate": "%{y}<br>%{x|%Y-%m-%d}<extra></extra>",
            }
        )
    shapes: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    # A band behind the rows of each run of one phase, named at its top.
    start = 0
    for n in range(1, len(rows) + 1):
        if n < len(rows) and rows[n]["phase"] == rows[start]["phase"]:
            continue
        if len(phases) > 1 and len(phases) <= 40:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "yref": "y",
                    "y0": start - 0.5,
                    "y1": n - 0.5,
                    "fillcolor": "#f3f6f8" if len(shapes) % 2 == 0 else "#ffffff",
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
            annotations.append(
                {
                    "xref": "paper",
                    "x": 1,
                    "xanchor": "right",
                    "yref": "y",
                    "y": start - 0.4,
                    "yanchor": "top",
                    "text": str(rows[start]["phase"] or ""),
                    "showarrow": False,
                    "font": {"size": 10, "color": "#7b8794"},
                }
            )
        start = n
    as_of = result.parameters.get("as_of")
    if isinstance(as_of, date):
        # The as-of day's work counts as done: the line stands at its end.
        today = (as_of + timedelta(days=1)).isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": today,
                "x1": today,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": CRITICAL, "dash": "dash", "width": 1.5},
            }
        )
        annotations.append(
            {
                "xref": "x",
                "x": today,
                "xanchor": "left",
                "yref": "paper",
                "y": 0,
                "yanchor": "top",
                "text": f"today ({as_of.isoformat()})",
                "showarrow": False,
                "font": {"size": 10, "color": CRITICAL},
            }
        )
    layout = {
        "margin": {**_MARGIN, "l": 260},
        "barmode": "overlay",
        "plot_bgcolor": "white",
        "height": max(300, 60 + 22 * len(rows)),
        "legend": {"orientation": "h", "y": -0.08 if len(rows) > 20 else -0.2},
        "xaxis": {"type": "date", "gridcolor": "#e5ecf0", "side": "top"},
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
            "automargin": True,
        },
        "shapes": shapes,
        "annotations": annotations,
    }
    return _safe(json.dumps({"data": data, "layout": layout}, default=str))


def unit_parents(units: Sequence[Mapping[str, object]]) -> list[str]:
    """The parent id of each unit of the division map's ``units`` table (pre-order
    with depths), ``""`` for a top unit."""
    path: list[str] = []
    parents = []
    for u in units:
        depth = int(str(u["depth"]))
        del path[depth:]
        parents.append(path[-1] if path else "")
        path.append(str(u["unit_id"]))
    return parents


def units_treemap(result: AnalysisResult) -> str:
    """The account's units as a treemap sized by potential revenue and coloured by
    share of wallet (figure JSON); a unit's own potential is what is left of its box
    after its children."""
    units = result.tables["units"]
    data = [
        {
            "type": "treemap",
            "ids": [str(u["unit_id"]) for u in units],
            "labels": [str(u["unit_name"] or u["unit_id"]) for u in units],
            "parents": unit_parents(units),
            "values": [float(str(u["potential_revenue"])) for u in units],
            "branchvalues": "remainder",
            "marker": {
                "colors": [
                    float(str(u["share_of_wallet"] or 0.0)) * 100 for u in units
                ],
                "colorscale": "Blues",
                "reversescale": True,
                "cmin": 0,
                "cmax": 100,
                "showscale": True,
                "colorbar": {"title": {"text": "share of wallet %"}},
            },
            "customdata": [
                [
                    float(str(u["whitespace_value"])),
                    float(str(u["current_revenue"])),
                ]
                for u in units
            ],
            "hovertemplate": "%{label}<br>potential %{value:,.0f}"
            "<br>current %{customdata[1]:,.0f}<br>whitespace %{customdata[0]:,.0f}"
            "<extra></extra>",
        }
    ]
    layout = {"margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "height": 420}
    return _safe(json.dumps({"data": data, "layout": layout}))
