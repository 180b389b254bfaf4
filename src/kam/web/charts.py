"""Plotly figures of the web pages, as JSON for ``Plotly.newPlot`` (static/kam.js)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from threading import Lock

import plotly.graph_objects as go

from kam.analysis.result import AnalysisResult

__all__ = [
    "MAX_BARS",
    "abc_classes",
    "abc_migration",
    "abc_shares",
    "cached_json",
    "mrr_by_plan",
    "pareto",
    "to_json",
]

#: Bars drawn at most in a Pareto chart; beyond, the x axis is the rank, the bars
#: show the largest accounts and the cumulative line is sampled.
MAX_BARS = 300
#: Points of the cumulative line at most.
_MAX_POINTS = 600
_MEMO_SIZE = 64
_memo: OrderedDict[tuple[int, str], tuple[object, str]] = OrderedDict()
_memo_lock = Lock()

_LAYOUT: dict[str, object] = {
    "margin": {"l": 60, "r": 60, "t": 30, "b": 60},
    "template": "plotly_white",
    "legend": {"orientation": "h", "y": -0.2},
}
_CLASS_COLOURS = {"A": "#1f6f8b", "B": "#99c24d", "C": "#d9a441"}


def to_json(fig: go.Figure) -> str:
    """The figure as JSON text (data and layout), safe inside a ``<script>`` element:
    ``<``, ``>`` and ``&`` are escaped, so a name cannot close the element."""
    return _safe(fig.to_json())


def _safe(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def cached_json(result: object, name: str, build: Callable[[], go.Figure]) -> str:
    """``to_json(build())``, remembered for this very ``result`` object.

    The engine hands out the same cached result for the same data version,
    parameters and accounts, so a figure is built once per result, not per request.
    """
    key = (id(result), name)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None and found[0] is result:
            _memo.move_to_end(key)
            return found[1]
    text = to_json(build())
    with _memo_lock:
        _memo[key] = (result, text)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return text


def _sample(n: int, keep: int) -> list[int]:
    """At most about ``_MAX_POINTS`` indices of ``range(n)``, with the ends and
    ``keep``."""
    step = max(1, n // _MAX_POINTS)
    return sorted({*range(0, n, step), n - 1, *([keep] if 0 <= keep < n else [])})


def pareto(result: AnalysisResult) -> go.Figure:
    """Bars by account (descending), the cumulative share on a right 0–100 % axis, a
    dashed line at the threshold and a marker at the k-th account.

    Beyond :data:`MAX_BARS` accounts the x axis is the rank: bars for the largest
    accounts, the cumulative line over every account (sampled).
    """
    rows = result.rows
    big = len(rows) > MAX_BARS
    labels: list[object] = (
        [int(str(r["rank"])) for r in rows]
        if big
        else [str(r["account_id"]) for r in rows]
    )
    threshold = float(str(result.parameters["threshold"]))
    k = int(str(result.summary["k"]))
    bars = rows[:MAX_BARS]
    line = _sample(len(rows), k - 1) if big else list(range(len(rows)))
    fig = go.Figure()
    fig.add_bar(
        x=labels[:MAX_BARS],
        y=[float(str(r["value"])) for r in bars],
        name="value",
        marker_color=["#1f6f8b" if r["vital_few"] else "#9fb8c4" for r in bars],
        hovertext=[f"{r['account_id']} {r['name'] or ''}" for r in bars],
    )
    fig.add_scatter(
        x=[labels[i] for i in line],
        y=[float(str(rows[i]["cum_share"])) * 100 for i in line],
        name="cumulative share",
        yaxis="y2",
        mode="lines",
        line={"color": "#c0392b"},
    )
    if 0 < k <= len(rows):
        fig.add_scatter(
            x=[labels[k - 1]],
            y=[float(str(rows[k - 1]["cum_share"])) * 100],
            name=f"k = {k}",
            yaxis="y2",
            mode="markers",
            marker={"size": 11, "color": "#c0392b", "symbol": "diamond"},
        )
    fig.add_shape(
        type="line",
        xref="paper",
        x0=0,
        x1=1,
        yref="y2",
        y0=threshold * 100,
        y1=threshold * 100,
        line={"dash": "dash", "color": "#555"},
    )
    fig.update_layout(
        **_LAYOUT,
        xaxis={
            "title": f"accounts by rank (bars: the largest {MAX_BARS} of {len(rows)})"
            if big
            else "accounts, largest first",
            "showticklabels": big or len(rows) <= 40,
        },
        yaxis={"title": str(result.parameters.get("metric", "value"))},
        yaxis2={
            "title": "cumulative share (%)",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 20,
            "ticksuffix": " %",
        },
    )
    return fig


def abc_classes(classes: Sequence[Mapping[str, object]]) -> go.Figure:
    """Accounts per class and period, stacked."""
    periods = list(dict.fromkeys(str(r["period"]) for r in classes))
    fig = go.Figure()
    for c, colour in _CLASS_COLOURS.items():
        counts = {str(r["period"]): r["accounts"] for r in classes if r["class"] == c}
        fig.add_bar(
            x=periods,
            y=[counts.get(p, 0) for p in periods],
            name=c,
            marker_color=colour,
        )
    fig.update_layout(**_LAYOUT, barmode="stack", yaxis={"title": "accounts"})
    return fig


def abc_shares(classes: Sequence[Mapping[str, object]]) -> go.Figure:
    """Two-sided bars per class over the pooled periods, as the deck draws them: the
    share of accounts to the left, the share of value to the right (account shares
    are plotted negative and labelled without a sign)."""
    pooled = [r for r in classes if r["period"] == "pooled"]
    names = [str(r["class"]) for r in pooled]
    accounts = [float(str(r["account_share"])) * 100 for r in pooled]
    values = [float(str(r["value_share"])) * 100 for r in pooled]
    fig = go.Figure()
    for label, xs, colour in (
        ("share of accounts", [-a for a in accounts], "#9fb8c4"),
        ("share of value", values, "#1f6f8b"),
    ):
        fig.add_bar(
            y=names,
            x=xs,
            name=label,
            orientation="h",
            marker_color=colour,
            text=[f"{abs(x):.1f} %" for x in xs],
            textposition="outside",
            textangle=0,
            cliponaxis=False,
            hovertemplate="%{y}: %{text} "
            + label.removeprefix("share ")
            + "<extra></extra>",
        )
    ticks = [-100, -75, -50, -25, 0, 25, 50, 75, 100]
    fig.update_layout(
        **_LAYOUT,
        barmode="relative",
        xaxis={
            "range": [-100, 100],
            "tickvals": ticks,
            "ticktext": [f"{abs(t)} %" for t in ticks],
            "title": "← share of accounts · share of value →",
            "zeroline": True,
        },
        yaxis={"title": "class", "autorange": "reversed"},
    )
    return fig


def abc_migration(migration: Sequence[Mapping[str, object]]) -> go.Figure:
    """Heat map of accounts moving from class to class (last pair of periods)."""
    if not migration:
        return go.Figure(layout=_LAYOUT)
    last = (migration[-1]["period_from"], migration[-1]["period_to"])
    rows = [r for r in migration if (r["period_from"], r["period_to"]) == last]
    sources = list(dict.fromkeys(str(r["from_class"]) for r in rows))
    targets = list(dict.fromkeys(str(r["to_class"]) for r in rows))
    counts = {(str(r["from_class"]), str(r["to_class"])): r["accounts"] for r in rows}
    z = [[counts.get((f, t), 0) for t in targets] for f in sources]
    fig = go.Figure(
        go.Heatmap(
            x=targets,
            y=sources,
            z=z,
            text=z,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    fig.update_layout(
        **_LAYOUT,
        xaxis={"title": f"class in {last[1]}", "side": "top"},
        yaxis={"title": f"class in {last[0]}", "autorange": "reversed"},
    )
    return fig


def mrr_by_plan(rows: Sequence[Mapping[str, object]]) -> str:
    """MRR per month, stacked by plan, as figure JSON.

    Written as plain JSON rather than through ``plotly.graph_objects``: it is drawn
    on every account page, and building a validated figure costs more than the rest
    of the page.
    """
    months = list(dict.fromkeys(str(r["month"]) for r in rows))
    plans = sorted({str(r["plan"]) for r in rows})
    data = []
    for plan in plans:
        values = {str(r["month"]): r["mrr"] for r in rows if r["plan"] == plan}
        y = [float(str(values.get(m, 0))) for m in months]
        data.append({"type": "bar", "x": months, "y": y, "name": plan})
    layout = {
        "margin": _LAYOUT["margin"],
        "legend": _LAYOUT["legend"],
        "barmode": "stack",
        "plot_bgcolor": "white",
        "yaxis": {"title": {"text": "MRR"}, "gridcolor": "#e5ecf0"},
    }
    return _safe(json.dumps({"data": data, "layout": layout}))
